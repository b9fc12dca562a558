"""Two services over real HTTP on loopback continue one run tree; the langsmith SDK's headers
interoperate both ways."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry import trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from otel_runs import Run, dotted_order
from otel_runs.conventions import langsmith as ls
from otel_runs.processor import RunSpanProcessor
from otel_runs.propagation import LangSmithPropagator
from tests.support.memory_sink import MemorySink

PROPAGATOR = CompositePropagator(
    [TraceContextTextMapPropagator(), W3CBaggagePropagator(), LangSmithPropagator()]
)


class Service:
    """A tracer provider with a RunSpanProcessor delivering to a MemorySink."""

    def __init__(self) -> None:
        self.sink = MemorySink()
        self.provider = TracerProvider()
        self.processor = RunSpanProcessor(self.sink, schedule_delay_millis=20)
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("service")

    def runs(self) -> dict[str, Run]:
        self.processor.force_flush(5_000)
        return dict(self.sink.by_name())


@pytest.fixture
def downstream() -> Iterator[tuple[Service, str]]:
    service = Service()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            # HTTP header names are case-insensitive; servers hand them over lower-cased.
            context = PROPAGATOR.extract({k.lower(): v for k, v in self.headers.items()})
            with service.tracer.start_as_current_span(
                "handle", context=context, kind=trace.SpanKind.SERVER
            ):
                service.tracer.start_span("downstream work").end()
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()
    service.provider.shutdown()


def test_downstream_service_continues_the_callers_run_tree(
    downstream: tuple[Service, str],
) -> None:
    service_b, url = downstream
    service_a = Service()
    call_attributes = {ls.METADATA_PREFIX + "thread_id": "thread-7", ls.SESSION_NAME: "proj"}
    with (
        service_a.tracer.start_as_current_span("request"),
        service_a.tracer.start_as_current_span("call b", attributes=call_attributes),
    ):
        headers: dict[str, str] = {}
        PROPAGATOR.inject(headers)
        assert ls.HEADER_TRACE in headers
        urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5).read()
    runs_a = service_a.runs()
    runs_b = service_b.runs()
    call, root = runs_a["call b"], runs_a["request"]
    handle, work = runs_b["handle"], runs_b["downstream work"]
    assert handle.parent_run_id == call.id
    assert handle.trace_id == root.id == work.trace_id
    assert work.parent_run_id == handle.id
    assert handle.dotted_order.startswith(call.dotted_order + ".")
    assert handle.metadata["thread_id"] == "thread-7"
    assert work.metadata["thread_id"] == "thread-7"
    assert handle.unmapped["session_name"] == "proj"
    for run in (handle, work):
        assert (
            dotted_order.problems(run.dotted_order, run.id, run.trace_id, run.parent_run_id) == []
        )
    service_a.provider.shutdown()


def test_langsmith_sdk_headers_are_understood_both_ways() -> None:
    from langsmith.run_trees import RunTree

    parent = RunTree(name="sdk parent", run_type="chain", project_name="sdk-project")
    context = PROPAGATOR.extract(parent.to_headers())
    service = Service()
    remote = trace.NonRecordingSpan(
        trace.SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=trace.TraceFlags(1))
    )
    context = trace.set_span_in_context(remote, context)
    with service.tracer.start_as_current_span("child", context=context):
        headers: dict[str, str] = {}
        PROPAGATOR.inject(headers)
    child = service.runs()["child"]
    assert child.parent_run_id == parent.id
    assert child.trace_id == parent.trace_id
    assert child.unmapped["session_name"] == "sdk-project"
    carrier: dict[str | bytes, str | bytes] = dict(headers.items())
    again = RunTree.from_headers(carrier)
    assert again is not None
    assert again.id == child.id
    assert again.trace_id == parent.trace_id
    service.provider.shutdown()
