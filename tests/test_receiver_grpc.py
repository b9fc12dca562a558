"""OTLP/gRPC front end: the real gRPC exporters in, the spec's status codes out.

Same decoder and the same outcomes as OTLP/HTTP; these tests pin how gRPC reports them
(partial_success, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE with RetryInfo).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import RetryInfo  # type: ignore[import-untyped]  # no stubs
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]  # no stubs
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace.export import SpanExportResult

from otel_runs.conventions import genai as g
from otel_runs.convert.from_sdk import record_from_span
from otel_runs.receiver.intake import SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.limits import MIB, Limits
from tests.support.agent_spans import agent_spans
from tests.support.intake_doubles import (
    GatedIntake,
    ListIntake,
    RefusingIntake,
    Running,
    inside_span,
    running_receiver,
)

TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
METRICS = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
TOKEN = "grpc-s3cret"


@pytest.fixture
def intake() -> ListIntake:
    return ListIntake()


@pytest.fixture
def receiver(intake: ListIntake) -> Iterator[Running]:
    with running_receiver(intake, limits=Limits(max_request_bytes=1 * MIB), http=False) as r:
        yield r


@pytest.fixture
def channel(receiver: Running) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(receiver.grpc_target) as c:
        yield c


def _export(
    channel: grpc.Channel, body: bytes, path: str = TRACES, **kwargs: Any
) -> tuple[bytes, Any]:
    """One raw Export call: the response bytes and the call (for trailers)."""
    call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(path)
    response, outcome = call.with_call(body, timeout=30, **kwargs)
    return response, outcome


def _refusal(channel: grpc.Channel, body: bytes, **kwargs: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        _export(channel, body, **kwargs)
    return caught.value


def _trailer(error: grpc.RpcError, key: str) -> bytes | None:
    for item in error.trailing_metadata() or ():
        if item.key == key:
            assert isinstance(item.value, bytes)
            return item.value
    return None


def _retry_seconds(error: grpc.RpcError) -> int:
    raw = _trailer(error, "google.rpc.retryinfo-bin")
    assert raw is not None
    seconds = int(RetryInfo.FromString(raw).retry_delay.seconds)
    details = _trailer(error, "grpc-status-details-bin")
    assert details is not None
    info = RetryInfo()
    assert Status.FromString(details).details[0].Unpack(info)
    assert info.retry_delay.seconds == seconds
    return seconds


def _pb_body() -> bytes:
    data: bytes = encode_spans(agent_spans()).SerializeToString()
    return data


def test_sdk_grpc_exporter_spans_arrive_as_the_sdk_records(
    receiver: Running, intake: ListIntake
) -> None:
    spans = agent_spans(2)
    exporter = OTLPSpanExporter(
        endpoint=receiver.grpc_target,
        insecure=True,
        compression=grpc.Compression.Gzip,
        headers={"langsmith-project": "weather"},
    )
    try:
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
    assert intake.records == [record_from_span(s) for s in spans]
    assert intake.projects == ["weather"]


def test_bad_spans_are_partial_success(channel: grpc.Channel, intake: ListIntake) -> None:
    request = encode_spans(agent_spans())
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[2].span_id = b""
    response, _ = _export(channel, request.SerializeToString())
    partial = ExportTraceServiceResponse.FromString(response).partial_success
    assert partial.rejected_spans == 1
    assert "span 2: spanId must be 8 bytes, got 0" in partial.error_message
    assert len(intake.records) == 4


def test_undecodable_message_is_invalid_argument(channel: grpc.Channel, intake: ListIntake) -> None:
    error = _refusal(channel, b"\xff\xff\xff")
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "not an OTLP protobuf" in (error.details() or "")
    assert _trailer(error, "google.rpc.retryinfo-bin") is None
    _export(channel, _pb_body())
    assert len(intake.records) == 5


def test_oversized_message_is_resource_exhausted_without_retry(
    channel: grpc.Channel, intake: ListIntake
) -> None:
    error = _refusal(channel, b"\0" * (2 * MIB))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert _trailer(error, "google.rpc.retryinfo-bin") is None
    bomb = _refusal(channel, b"\0" * (2 * MIB), compression=grpc.Compression.Gzip)
    assert bomb.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    _export(channel, _pb_body(), compression=grpc.Compression.Gzip)
    assert len(intake.records) == 5


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(SpoolFullError("spool is full", retry_after_s=4), id="full"),
        pytest.param(SpoolUnavailableError("disk is read-only", retry_after_s=4), id="unavailable"),
    ],
)
def test_spool_trouble_is_unavailable_with_retry_info(
    error: SpoolFullError | SpoolUnavailableError,
) -> None:
    with (
        running_receiver(RefusingIntake(error), http=False) as receiver,
        grpc.insecure_channel(receiver.grpc_target) as channel,
    ):
        refused = _refusal(channel, _pb_body())
    assert refused.code() is grpc.StatusCode.UNAVAILABLE
    assert str(error) in (refused.details() or "")
    assert _retry_seconds(refused) == 4


def test_too_many_in_flight_is_resource_exhausted_with_retry_info() -> None:
    intake = GatedIntake()
    with (
        running_receiver(intake, limits=Limits(max_inflight=1), http=False) as receiver,
        grpc.insecure_channel(receiver.grpc_target) as channel,
    ):
        answers: list[bytes] = []
        sender = threading.Thread(target=lambda: answers.append(_export(channel, _pb_body())[0]))
        sender.start()
        assert intake.entered.wait(10)
        busy = _refusal(channel, _pb_body())
        assert busy.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert _retry_seconds(busy) == 1
        intake.gate.set()
        sender.join(30)
        assert answers == [b""]
        assert len(intake.records) == 5


def test_bearer_token_is_checked() -> None:
    intake = ListIntake()
    with (
        running_receiver(intake, token=TOKEN, http=False) as receiver,
        grpc.insecure_channel(receiver.grpc_target) as channel,
    ):
        missing = _refusal(channel, _pb_body())
        wrong = _refusal(channel, _pb_body(), metadata=(("authorization", "Bearer nope"),))
        for error in (missing, wrong):
            assert error.code() is grpc.StatusCode.UNAUTHENTICATED
            assert TOKEN not in (error.details() or "")
        assert intake.records == []
        _export(channel, _pb_body(), metadata=(("authorization", f"Bearer {TOKEN}"),))
        assert len(intake.records) == 5


def test_metrics_are_accepted_and_dropped(channel: grpc.Channel, intake: ListIntake) -> None:
    response, _ = _export(channel, b"\x0a\x00", path=METRICS)
    assert response == b""
    assert intake.records == []


def test_sdk_grpc_log_exporter_events_become_log_events(
    receiver: Running, intake: ListIntake
) -> None:
    provider = LoggerProvider()
    provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=receiver.grpc_target, insecure=True))
    )
    provider.get_logger("tests.receiver").emit(
        LogRecord(
            timestamp=1_763_800_000_500_000_000,
            context=inside_span(0x1000, 2),
            event_name=g.EVENT_CHOICE,
            body={"finish_reason": "stop", "message": {"content": "sunny"}},
        )
    )
    provider.shutdown()
    [event] = intake.events
    assert (event.trace_id, event.span_id) == (0x1000, 2)
    assert event.event.name == g.EVENT_CHOICE
    assert event.event.attributes == {"finish_reason": "stop", "message": {"content": "sunny"}}
