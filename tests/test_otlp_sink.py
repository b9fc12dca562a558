"""`OtlpSpanSink` against loopback OTLP endpoints (HTTP and a real grpcio server), and
`FanoutSink` across two destinations: what a backend keeps converts back to the same runs;
answers the OTLP spec calls retryable are handed back, the others fail."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_runs import Run
from otel_runs.otlp.decode import decode_request
from otel_runs.sinks.fanout import FanoutSink
from otel_runs.sinks.otlp import GRPC_EXPORT, OtlpSpanSink
from tests.fixtures.runs.roundtrip import back_to_runs, differences
from tests.support.memory_sink import MemorySink
from tests.support.otlp_collector import Collector, otlp_collector

EXPORT = Path(__file__).resolve().parent / "fixtures" / "runs" / "langsmith_export.jsonl"
RUNS = [Run.from_dict(json.loads(line)) for line in EXPORT.read_text().splitlines()]


@pytest.fixture
def collector() -> Iterator[Collector]:
    with otlp_collector() as running:
        yield running


def kept_runs(bodies: list[bytes]) -> list[Run]:
    records = [r for body in bodies for r in decode_request(body).records]
    by_id = {run.id: run for run in back_to_runs(records)}
    return [by_id[run.id] for run in RUNS if run.id in by_id]


def test_runs_reach_an_otlp_http_backend_and_come_back_the_same(collector: Collector) -> None:
    sink = OtlpSpanSink(collector.url, headers={"x-api-key": "secret"})
    result = sink.write(RUNS)
    sink.close()
    assert (result.stored, result.failed, result.retry) == (len(RUNS), 0, ())
    assert differences(kept_runs(collector.accepted), RUNS) == {}
    headers = {k.lower(): v for k, v in collector.requests[0][0].items()}
    assert headers["x-api-key"] == "secret"
    assert headers["content-type"] == "application/x-protobuf"


def test_large_batches_are_split_to_fit_the_request_limit(collector: Collector) -> None:
    sink = OtlpSpanSink(collector.url, max_request_bytes=4096)
    result = sink.write(RUNS)
    assert result.stored == len(RUNS) and len(collector.accepted) > 1
    assert differences(kept_runs(collector.accepted), RUNS) == {}


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_answers_hand_every_run_back(collector: Collector, status: int) -> None:
    collector.status, collector.retry_after = status, "7"
    result = OtlpSpanSink(collector.url).write(RUNS)
    assert set(result.retry) == {str(run.id) for run in RUNS}
    assert (result.stored, result.failed, result.retry_after_s) == (0, len(RUNS), 7.0)
    assert f"answered {status}" in (result.error or "")


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_other_answers_fail_for_good(collector: Collector, status: int) -> None:
    collector.status = status
    result = OtlpSpanSink(collector.url).write(RUNS)
    assert (result.stored, result.failed, result.retry) == (0, len(RUNS), ())


def test_a_partial_success_counts_the_refused_spans_as_failed(collector: Collector) -> None:
    collector.rejected_spans = 2
    result = OtlpSpanSink(collector.url).write(RUNS)
    assert (result.stored, result.failed, result.retry) == (len(RUNS) - 2, 2, ())


def test_an_unreachable_endpoint_is_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = OtlpSpanSink(f"http://127.0.0.1:{port}/v1/traces", timeout_s=2).write(RUNS[:2])
    assert len(result.retry) == 2 and "ConnectionRefused" in (result.error or "")


def test_a_run_that_cannot_become_a_span_fails_alone(collector: Collector) -> None:
    broken = Run.from_dict(json.loads(EXPORT.read_text().splitlines()[0]))
    broken.start_time = broken.start_time.replace(year=2600)  # past OTLP's last nanosecond
    result = OtlpSpanSink(collector.url).write([broken, *RUNS[1:]])
    assert (result.stored, result.failed) == (len(RUNS) - 1, 1)
    assert "cannot become a span" in (result.error or "")


def _unmappable() -> Run:
    """A run runs -> spans refuses (a tag that is not text: joining the tags raises)."""
    broken = Run.from_dict(json.loads(EXPORT.read_text().splitlines()[0]))
    broken.tags = [1]  # type: ignore[list-item]
    return broken


@pytest.mark.parametrize("position", [0, 1, len(RUNS) - 1])
def test_a_run_the_mapping_refuses_is_left_out_and_its_neighbours_go(
    collector: Collector, position: int
) -> None:
    runs = [*RUNS[1:]]
    runs.insert(position, _unmappable())
    result = OtlpSpanSink(collector.url).write(runs)
    assert (result.stored, result.failed, result.retry) == (len(RUNS) - 1, 1, ())
    assert "cannot become a span" in (result.error or "")
    sent = [r for body in collector.accepted for r in decode_request(body).records]
    assert len(sent) == len(RUNS) - 1


@pytest.mark.parametrize("position", [0, 1, len(RUNS) - 1])
def test_only_the_runs_that_became_spans_are_handed_back_for_retry(
    collector: Collector, position: int
) -> None:
    collector.status = 503
    runs = [*RUNS[1:]]
    runs.insert(position, _unmappable())
    result = OtlpSpanSink(collector.url, max_request_bytes=4096).write(runs)
    assert sorted(result.retry) == sorted(str(run.id) for run in RUNS[1:])
    assert (result.stored, result.failed) == (0, len(RUNS))


# --- OTLP/gRPC --------------------------------------------------------------------------------


class _Grpc:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.metadata: list[dict[str, str]] = []
        self.code: grpc.StatusCode | None = None

    def export(self, body: bytes, context: grpc.ServicerContext) -> bytes:
        if self.code is not None:
            context.abort(self.code, "no")
        self.bodies.append(body)
        self.metadata.append(dict(context.invocation_metadata()))  # type: ignore[arg-type]
        reply: bytes = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        return reply


@pytest.fixture
def grpc_backend() -> Iterator[tuple[_Grpc, str]]:
    backend = _Grpc()
    server = grpc.server(futures.ThreadPoolExecutor(2))
    service, method = GRPC_EXPORT.rsplit("/", 1)
    handler = grpc.method_handlers_generic_handler(
        service.lstrip("/"), {method: grpc.unary_unary_rpc_method_handler(backend.export)}
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield backend, f"http://127.0.0.1:{port}"
    server.stop(None)


def test_runs_reach_an_otlp_grpc_backend_and_come_back_the_same(
    grpc_backend: tuple[_Grpc, str],
) -> None:
    backend, url = grpc_backend
    sink = OtlpSpanSink(url, protocol="otlp-grpc", headers={"Authorization": "Bearer t"})
    result = sink.write(RUNS)
    sink.close()
    assert (result.stored, result.failed) == (len(RUNS), 0)
    assert differences(kept_runs(backend.bodies), RUNS) == {}
    assert backend.metadata[0]["authorization"] == "Bearer t"


@pytest.mark.parametrize(
    ("code", "retried"),
    [(grpc.StatusCode.UNAVAILABLE, True), (grpc.StatusCode.RESOURCE_EXHAUSTED, True),
     (grpc.StatusCode.INVALID_ARGUMENT, False), (grpc.StatusCode.UNAUTHENTICATED, False)],
)  # fmt: skip
def test_grpc_codes_are_retried_as_the_otlp_spec_says(
    grpc_backend: tuple[_Grpc, str], code: grpc.StatusCode, retried: bool
) -> None:
    backend, url = grpc_backend
    backend.code = code
    result = OtlpSpanSink(url, protocol="otlp-grpc").write(RUNS[:3])
    assert (len(result.retry) == 3) is retried and result.failed == 3
    assert code.name in (result.error or "")


# --- two destinations -------------------------------------------------------------------------


def test_a_retry_goes_only_to_the_destination_that_missed_the_runs(collector: Collector) -> None:
    local = MemorySink()
    fanout = FanoutSink([OtlpSpanSink(collector.url), local])
    collector.status = 503
    first = fanout.write(RUNS)
    assert len(first.retry) == len(RUNS) and len(local.runs) == len(RUNS)
    collector.status = 200
    second = fanout.write(RUNS)
    assert (second.stored, second.failed, second.retry) == (len(RUNS), 0, ())
    assert local.batches == 1  # the store was not written again
    assert differences(kept_runs(collector.accepted), RUNS) == {}
    fanout.close()
    assert local.closed


def test_a_run_one_destination_refuses_for_good_counts_as_failed(collector: Collector) -> None:
    collector.status = 400
    result = FanoutSink([OtlpSpanSink(collector.url), MemorySink()]).write(RUNS)
    assert (result.stored, result.failed, result.retry) == (0, len(RUNS), ())


def test_fanout_needs_a_destination() -> None:
    sinks: list[Any] = []
    with pytest.raises(ValueError, match="at least one"):
        FanoutSink(sinks)
