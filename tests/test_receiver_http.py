"""OTLP/HTTP front end: real exporters in, every documented status out, and it keeps serving.

The intake is a test double (a list, or one that refuses) so each test pins the front end's
own behaviour; `tests/test_serve.py` runs the whole `otel-runs serve` with the real spool.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google.rpc.error_details_pb2 import (  # type: ignore[import-untyped]  # no stubs
    BadRequest,
    RetryInfo,
)
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]  # no stubs
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as PbLogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace.export import SpanExportResult

from otel_runs.conventions import genai as g
from otel_runs.convert.from_sdk import record_from_span
from otel_runs.otlp import encode_json_request
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

PROTOBUF = {"content-type": "application/x-protobuf"}
JSON = {"content-type": "application/json"}
TOKEN = "s3cret-token-value"


@pytest.fixture
def intake() -> ListIntake:
    return ListIntake()


@pytest.fixture
def receiver(intake: ListIntake) -> Iterator[Running]:
    with running_receiver(intake, limits=Limits(max_request_bytes=1 * MIB), grpc=False) as r:
        yield r


@pytest.fixture
def client(receiver: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=receiver.http_url, timeout=30) as c:
        yield c


def _pb_body() -> bytes:
    data: bytes = encode_spans(agent_spans()).SerializeToString()
    return data


def _json_body() -> bytes:
    records = [record_from_span(s) for s in agent_spans()]
    return json.dumps(encode_json_request(records)).encode()


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


def _status(response: httpx.Response) -> Any:
    """The google.rpc.Status error body, decoded from protobuf."""
    assert response.headers["content-type"] == "application/x-protobuf"
    return Status.FromString(response.content)


def _retry_delay(status: Any) -> int:
    for detail in status.details:
        if detail.Is(RetryInfo.DESCRIPTOR):
            info = RetryInfo()
            detail.Unpack(info)
            return int(info.retry_delay.seconds)
    raise AssertionError("no RetryInfo detail")


def _still_serving(client: httpx.Client, intake: ListIntake) -> None:
    before = len(intake.records)
    response = client.post("/v1/traces", content=_pb_body(), headers=PROTOBUF)
    assert response.status_code == 200
    assert len(intake.records) == before + len(agent_spans())


# --- what real exporters send ------------------------------------------------------------------


@pytest.mark.parametrize(
    "compression", [Compression.NoCompression, Compression.Gzip, Compression.Deflate]
)
def test_sdk_exporter_spans_arrive_as_the_records_the_sdk_path_makes(
    receiver: Running, intake: ListIntake, compression: Compression
) -> None:
    spans = agent_spans(2)
    exporter = OTLPSpanExporter(
        endpoint=f"{receiver.http_url}/v1/traces",
        compression=compression,
        headers={"Langsmith-Project": "weather"},
    )
    try:
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]
    assert intake.records == [record_from_span(s) for s in spans]
    assert intake.projects == ["weather"]


def test_json_body_gets_a_json_reply_and_the_same_records(
    client: httpx.Client, intake: ListIntake
) -> None:
    response = client.post("/v1/traces", content=_json_body(), headers=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    assert intake.records == [record_from_span(s) for s in agent_spans()]
    assert intake.projects == [None]


@pytest.mark.parametrize(
    "encoding, compress",
    [
        pytest.param("gzip", gzip.compress, id="gzip"),
        pytest.param("deflate", zlib.compress, id="deflate-zlib"),
        pytest.param("deflate", _raw_deflate, id="deflate-raw"),
    ],
)
def test_compressed_json_bodies_are_inflated(
    client: httpx.Client, intake: ListIntake, encoding: str, compress: Any
) -> None:
    headers = {**JSON, "content-encoding": encoding}
    response = client.post("/v1/traces", content=compress(_json_body()), headers=headers)
    assert response.status_code == 200, response.text
    assert len(intake.records) == len(agent_spans())


def test_content_type_parameters_are_ignored(client: httpx.Client, intake: ListIntake) -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    response = client.post("/v1/traces", content=_json_body(), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


def test_empty_request_is_a_success(client: httpx.Client, intake: ListIntake) -> None:
    response = client.post("/v1/traces", content=b"", headers=PROTOBUF)
    assert response.status_code == 200
    assert (
        ExportTraceServiceResponse.FromString(response.content).HasField("partial_success") is False
    )
    assert intake.projects == []


# --- partial success -----------------------------------------------------------------------------


def _request_with_two_bad_spans() -> ExportTraceServiceRequest:
    request = encode_spans(agent_spans())
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[1].trace_id = b"\x01\x02\x03"  # undecodable id
    spans[3].end_time_unix_nano = spans[3].start_time_unix_nano - 1  # cannot become a run
    return request


def test_bad_spans_are_counted_and_named_and_the_rest_kept(
    client: httpx.Client, intake: ListIntake
) -> None:
    request = _request_with_two_bad_spans()
    response = client.post("/v1/traces", content=request.SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 2
    assert "2 of 5 spans rejected" in partial.error_message
    assert "span 1: traceId must be 16 bytes, got 3" in partial.error_message
    assert "span 3: impossible times" in partial.error_message
    good = [s for i, s in enumerate(agent_spans()) if i not in (1, 3)]
    assert intake.records == [record_from_span(s) for s in good]


def test_partial_success_in_json_uses_otlp_json_field_names(
    client: httpx.Client, intake: ListIntake
) -> None:
    doc = json.loads(_json_body())
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["spanId"] = "AAAAAAAAAAE="  # base64, not hex
    response = client.post("/v1/traces", content=json.dumps(doc), headers=JSON)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "looks like base64" in partial["errorMessage"]
    assert len(intake.records) == len(spans) - 1


# --- refusals: each has its status and message, and the server keeps serving ---------------------


@pytest.mark.parametrize(
    "body, headers, fragment",
    [
        pytest.param(b"\xff\xff\xff\xff", PROTOBUF, "not an OTLP protobuf", id="garbage-protobuf"),
        pytest.param(_pb_body()[:-7], PROTOBUF, "not an OTLP protobuf", id="truncated-protobuf"),
        pytest.param(b'{"resourceSpans": [', JSON, "not OTLP/JSON", id="truncated-json"),
        pytest.param(b"[1, 2]", JSON, "must be a JSON object", id="json-array"),
        pytest.param(
            b'{"resourceSpans": 7}', JSON, "resourceSpans must be an array", id="json-wrong-shape"
        ),
        pytest.param(
            gzip.compress(_pb_body())[:-20],
            {**PROTOBUF, "content-encoding": "gzip"},
            "truncated",
            id="truncated-gzip",
        ),
        pytest.param(
            b"not gzip at all",
            {**PROTOBUF, "content-encoding": "gzip"},
            "not valid gzip",
            id="corrupt-gzip",
        ),
    ],
)
def test_undecodable_bodies_get_400_with_a_reason(
    client: httpx.Client, intake: ListIntake, body: bytes, headers: dict[str, str], fragment: str
) -> None:
    response = client.post("/v1/traces", content=body, headers=headers)
    assert response.status_code == 400
    if headers["content-type"] == "application/json":
        doc = response.json()
        assert doc["code"] == 3 and fragment in doc["message"]
        assert doc["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    else:
        status = _status(response)
        assert status.code == 3 and fragment in status.message
        bad = BadRequest()
        assert status.details[0].Unpack(bad)
        assert fragment in bad.field_violations[0].description
    assert intake.records == []
    _still_serving(client, intake)


@pytest.mark.parametrize(
    "headers, fragment",
    [
        pytest.param({"content-type": "text/plain"}, "'text/plain' is not supported", id="text"),
        pytest.param({}, "'none' is not supported", id="no-type"),
        pytest.param({**PROTOBUF, "content-encoding": "br"}, "'br' is not supported", id="brotli"),
    ],
)
def test_unsupported_types_and_encodings_get_415(
    client: httpx.Client, intake: ListIntake, headers: dict[str, str], fragment: str
) -> None:
    response = client.post("/v1/traces", content=_pb_body(), headers=headers)
    assert response.status_code == 415
    assert fragment in _status(response).message
    _still_serving(client, intake)


def test_declared_oversized_body_is_refused_before_reading(
    client: httpx.Client, intake: ListIntake
) -> None:
    def body() -> Iterator[bytes]:
        yield b"\0" * (2 * MIB)  # chunked: no Content-Length, so it is counted while read

    response = client.post("/v1/traces", content=body(), headers=PROTOBUF)
    assert response.status_code == 413
    assert "larger than the limit of 1048576 bytes" in _status(response).message
    response = client.post("/v1/traces", content=b"\0" * (MIB + 1), headers=PROTOBUF)
    assert response.status_code == 413
    _still_serving(client, intake)


@pytest.mark.parametrize("json_body", [False, True], ids=["protobuf", "json"])
def test_a_request_with_too_many_spans_gets_413_and_nothing_is_stored(json_body: bool) -> None:
    """Tiny spans cost ~30x their wire size once decoded: bytes alone do not bound memory."""
    intake = ListIntake()
    spans = len(agent_spans())
    limits = Limits(max_request_spans=spans - 1)
    body, headers = (_json_body(), JSON) if json_body else (_pb_body(), PROTOBUF)
    with (
        running_receiver(intake, limits=limits, grpc=False) as receiver,
        httpx.Client(base_url=receiver.http_url, timeout=30) as client,
    ):
        response = client.post("/v1/traces", content=body, headers=headers)
        assert response.status_code == 413
        message = response.json()["message"] if json_body else _status(response).message
        assert f"more than {spans - 1} spans" in message
        assert intake.records == []
    with running_receiver(intake, limits=Limits(max_request_spans=spans), grpc=False) as receiver:
        assert httpx.post(f"{receiver.http_url}/v1/traces", content=body, headers=headers).status_code == 200
    assert len(intake.records) == spans


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compression_bomb_is_refused_after_one_limit_of_output(
    client: httpx.Client, intake: ListIntake, encoding: str
) -> None:
    bomb_size = 200 * MIB  # ~200 KB compressed
    payload = b"\0" * bomb_size
    body = gzip.compress(payload, 9) if encoding == "gzip" else zlib.compress(payload, 9)
    del payload
    assert len(body) < MIB
    headers = {**JSON, "content-encoding": encoding}
    response = client.post("/v1/traces", content=body, headers=headers)
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["message"]
    _still_serving(client, intake)


# --- backpressure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(SpoolFullError("spool is at its 1 GiB limit", retry_after_s=7), id="full"),
        pytest.param(
            SpoolUnavailableError("disk is read-only", retry_after_s=2.5), id="unavailable"
        ),
    ],
)
def test_spool_trouble_gets_503_with_retry_after(
    error: SpoolFullError | SpoolUnavailableError,
) -> None:
    intake = RefusingIntake(error)
    with (
        running_receiver(intake, grpc=False) as receiver,
        httpx.Client(base_url=receiver.http_url) as client,
    ):
        response = client.post("/v1/traces", content=_pb_body(), headers=PROTOBUF)
        assert response.status_code == 503
        expected = 7 if isinstance(error, SpoolFullError) else 3  # whole seconds, rounded up
        assert response.headers["retry-after"] == str(expected)
        status = _status(response)
        assert status.code == 14 and str(error) in status.message
        assert _retry_delay(status) == expected
        json_response = client.post("/v1/traces", content=_json_body(), headers=JSON)
        assert json_response.status_code == 503
        details = json_response.json()["details"]
        assert details == [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{expected}s"}
        ]
    assert intake.calls == 2


def test_too_many_requests_in_flight_get_429_and_the_first_still_lands() -> None:
    intake = GatedIntake()
    limits = Limits(max_inflight=1, busy_retry_after_s=1)
    with (
        running_receiver(intake, limits=limits, grpc=False) as receiver,
        httpx.Client(base_url=receiver.http_url, timeout=30) as client,
    ):
        first: list[httpx.Response] = []
        sender = threading.Thread(
            target=lambda: first.append(
                httpx.post(
                    f"{receiver.http_url}/v1/traces",
                    content=_pb_body(),
                    headers=PROTOBUF,
                    timeout=30,
                )
            )
        )
        sender.start()
        assert intake.entered.wait(10)
        busy = client.post("/v1/traces", content=_pb_body(), headers=PROTOBUF)
        assert busy.status_code == 429
        assert busy.headers["retry-after"] == "1"
        assert _retry_delay(_status(busy)) == 1
        intake.gate.set()
        sender.join(30)
        assert first[0].status_code == 200
        assert len(intake.records) == len(agent_spans())
        _still_serving(client, intake)


def test_stop_finishes_the_request_in_flight() -> None:
    intake = GatedIntake()
    with running_receiver(intake, grpc=False) as receiver:
        answers: list[httpx.Response] = []
        sender = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{receiver.http_url}/v1/traces",
                    content=_pb_body(),
                    headers=PROTOBUF,
                    timeout=30,
                )
            )
        )
        sender.start()
        assert intake.entered.wait(10)
        stopper = threading.Thread(target=receiver.server.stop)
        stopper.start()
        intake.gate.set()
        stopper.join(30)
        sender.join(30)
        assert not stopper.is_alive()
        assert answers[0].status_code == 200
        assert len(intake.records) == len(agent_spans())
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"{receiver.http_url}/v1/traces", content=b"", headers=PROTOBUF)


# --- auth, routing, other endpoints ------------------------------------------------------------


def test_bearer_token_is_required_and_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    intake = ListIntake()
    with (
        running_receiver(intake, token=TOKEN, grpc=False) as receiver,
        httpx.Client(base_url=receiver.http_url) as client,
    ):
        missing = client.post("/v1/traces", content=_pb_body(), headers=PROTOBUF)
        wrong = client.post(
            "/v1/traces", content=_pb_body(), headers={**PROTOBUF, "authorization": "Bearer nope"}
        )
        for response in (missing, wrong):
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert _status(response).code == 16
        assert intake.records == []
        ok = client.post(
            "/v1/traces",
            content=_pb_body(),
            headers={**PROTOBUF, "authorization": f"Bearer {TOKEN}"},
        )
        assert ok.status_code == 200
        assert TOKEN not in repr(receiver.server) and TOKEN not in missing.text
    assert TOKEN not in caplog.text


def test_project_header_is_passed_to_the_intake(client: httpx.Client, intake: ListIntake) -> None:
    client.post(
        "/v1/traces",
        content=_pb_body(),
        headers=[
            (b"content-type", b"application/x-protobuf"),
            (b"langsmith-project", "café".encode()),
        ],
    )
    client.post("/v1/traces", content=_pb_body(), headers={**PROTOBUF, "Langsmith-Project": ""})
    assert intake.projects == ["café", None]


@pytest.mark.parametrize(
    "method, path, status",
    [
        pytest.param("POST", "/v1/spans", 404, id="unknown-path"),
        pytest.param("GET", "/v1/traces", 405, id="get"),
    ],
)
def test_other_paths_and_methods(client: httpx.Client, method: str, path: str, status: int) -> None:
    response = client.request(method, path, headers=PROTOBUF)
    assert response.status_code == status
    assert _status(response).message


def test_metrics_are_accepted_and_dropped(client: httpx.Client, intake: ListIntake) -> None:
    response = client.post("/v1/metrics", content=b"\x0a\x00", headers=PROTOBUF)
    assert response.status_code == 200 and response.content == b""
    response = client.post("/v1/metrics", content=b"{}", headers=JSON)
    assert response.status_code == 200 and response.json() == {}
    assert intake.records == [] and intake.events == []


# --- logs -------------------------------------------------------------------------------------------


def test_sdk_log_exporter_events_inside_spans_become_log_events(
    receiver: Running, intake: ListIntake
) -> None:
    span = agent_spans()[1]
    context = span.get_span_context()
    assert context is not None
    provider = LoggerProvider()
    provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{receiver.http_url}/v1/logs"))
    )
    logger = provider.get_logger("tests.receiver")
    logger.emit(
        LogRecord(
            timestamp=1_763_800_000_500_000_000,
            context=inside_span(context.trace_id, context.span_id),
            event_name=g.EVENT_USER_MESSAGE,
            body={"content": "weather in Paris?"},
            attributes={g.SYSTEM: "openai"},
        )
    )
    logger.emit(LogRecord(body="a plain log line, no span"))
    provider.shutdown()
    assert len(intake.events) == 1
    event = intake.events[0]
    assert (event.trace_id, event.span_id) == (context.trace_id, context.span_id)
    assert event.event.name == g.EVENT_USER_MESSAGE
    assert event.event.time_ns == 1_763_800_000_500_000_000
    assert event.event.attributes == {"content": "weather in Paris?", g.SYSTEM: "openai"}


def test_bad_log_records_are_partial_success(client: httpx.Client, intake: ListIntake) -> None:
    request = ExportLogsServiceRequest()
    records = request.resource_logs.add().scope_logs.add().log_records
    good = records.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, event_name=g.EVENT_CHOICE)
    good.body.string_value = "sunny"
    records.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 3, event_name=g.EVENT_CHOICE)
    records.append(PbLogRecord(time_unix_nano=5))  # plain log line: skipped, not rejected
    response = client.post("/v1/logs", content=request.SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200
    partial = ExportLogsServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_log_records == 1
    assert "log record 1: spanId must be 8 bytes or empty, got 3" in partial.error_message
    assert [e.event.attributes for e in intake.events] == [{"body": "sunny"}]


def test_json_logs(client: httpx.Client, intake: ListIntake) -> None:
    doc = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": "1763800000500000000",
                                "traceId": "0102030405060708090a0b0c0d0e0f10",
                                "spanId": "0000000000000007",
                                "body": {
                                    "kvlistValue": {
                                        "values": [
                                            {"key": "content", "value": {"stringValue": "hi"}}
                                        ]
                                    }
                                },
                                "attributes": [
                                    {
                                        "key": g.EVENT_NAME_ATTR,
                                        "value": {"stringValue": g.EVENT_USER_MESSAGE},
                                    }
                                ],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    response = client.post("/v1/logs", content=json.dumps(doc), headers=JSON)
    assert response.status_code == 200 and response.json() == {}
    [event] = intake.events
    assert (event.trace_id, event.span_id) == (0x0102030405060708090A0B0C0D0E0F10, 7)
    assert event.event.name == g.EVENT_USER_MESSAGE
    assert event.event.attributes == {"content": "hi"}
