"""App-thread cost per span: RunSpanProcessor vs BatchSpanProcessor with a no-op exporter and
with the stock OTLP/HTTP exporter (what LangSmith's own OTel integration costs an app).

Two figures per case, from the same runs:
- app-thread CPU (`time.thread_time` of the threads making spans): what the app pays per span;
  the target applies to this one.
- wall clock per span in a tight loop: also includes waiting for the GIL while the export thread
  converts. A real app that waits on I/O lends that thread its idle time; a loop that does
  nothing but make spans cannot, so this shows the worst case of sharing one interpreter.
"""

from __future__ import annotations

import functools
import gc
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from bench.common import NoOpExporter, NullSink, Row, interleaved, make_spans, row
from otel_runs import RunSpanProcessor

QUEUE = 1_000_000  # large enough that no benchmark drops a span


class _Accept(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that reads each request and answers 200 with an empty message."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def otlp_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    finally:
        server.shutdown()
        server.server_close()


def _bsp(exporter: Callable[[], object]) -> Callable[[], TracerProvider]:
    def make() -> TracerProvider:
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter(), max_queue_size=QUEUE))  # type: ignore[arg-type]
        return provider

    return make


def _ours() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(RunSpanProcessor(NullSink()))  # its queue: 64 MiB by default
    return provider


def app_thread_cost(
    make: Callable[[], TracerProvider], n: int, nested: bool, threads: int
) -> tuple[float, float]:
    """(app-thread CPU µs, wall µs) per span, n spans made by `threads` threads."""
    provider = make()
    make_spans(provider, 200, nested)  # warm-up
    provider.force_flush()
    gc.collect()
    cpu: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(threads + 1)

    def work() -> None:
        ready.wait()
        start = time.thread_time()
        make_spans(provider, n // threads, nested)
        spent = time.thread_time() - start
        with lock:
            cpu.append(spent)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    provider.shutdown()
    made = n // threads * threads
    return sum(cpu) / made * 1e6, wall / made * 1e6


def hot_path(n: int, rounds: int, thread_counts: tuple[int, ...] = (1, 4)) -> list[Row]:
    rows = []
    with otlp_endpoint() as endpoint:
        for threads in thread_counts:
            for nested in (False, True):
                measure = functools.partial(app_thread_cost, n=n, nested=nested, threads=threads)
                medians = interleaved(
                    rounds,
                    noop=functools.partial(measure, _bsp(NoOpExporter)),
                    otlp=functools.partial(
                        measure, _bsp(lambda: OTLPSpanExporter(endpoint=endpoint))
                    ),
                    ours=functools.partial(measure, _ours),
                )
                shape = f"{'nested' if nested else 'flat'}, {threads} thread{'s' * (threads > 1)}"
                for label, baseline in (
                    ("BatchSpanProcessor + no-op exporter", "noop"),
                    ("BatchSpanProcessor + OTLP/HTTP exporter", "otlp"),
                ):
                    target = "<= 1.25" if baseline == "noop" else "-"
                    rows.append(
                        row(f"hot path CPU, {shape}", label, medians[baseline][0],
                            medians["ours"][0], target)
                    )  # fmt: skip
                    rows.append(
                        row(f"hot path wall, {shape}", label, medians[baseline][1],
                            medians["ours"][1], "-")
                    )  # fmt: skip
    return rows
