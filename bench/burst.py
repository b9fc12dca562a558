"""A burst of spans, default settings, delivered to a destination in another process.

What an app pays, and what arrives, when it makes a tight burst of spans: 20,000 spans (traces of
4 spans with ten GenAI-like attributes each) as fast as a loop makes them, then a clean exit.

- baseline: `BatchSpanProcessor` + the stock `OTLPSpanExporter`, defaults, posting to a loopback
  OTLP/HTTP collector (what an app pays to send its spans to LangSmith's own `/otel`);
- otel-runs: `RunSpanProcessor()` with `LANGSMITH_API_KEY` set, defaults, its LangSmith sink
  posting to a loopback fake of LangSmith's ingest API (tests/support/fake_langsmith.py, which
  validates every run).

Both destinations run in a server process of their own, so their CPU is not counted; each
candidate runs in a fresh interpreter, rounds interleaved. Figures: app-thread wall time of the
burst loop (per span), process CPU from the first span to the end of `shutdown()` per span that
arrived, and the spans that never arrived.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from bench.common import ATTRIBUTES, Row

API_KEY = "lsv2_bench_burst_0123456789"
SPANS_PER_TRACE = 4
WARM_UP = 2
"""Traces made and flushed before the burst, by both candidates: imports and first connections
are an app's start-up cost, not the burst's."""


# --- the destinations' process --------------------------------------------------------------


def _serve(conn: Connection) -> None:
    """Run both fakes; answer `count` (spans/runs that arrived since `reset`) over the pipe."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from tests.support.fake_langsmith import FakeLangSmith
    from tests.support.otlp_collector import otlp_collector

    fake = FakeLangSmith(api_key=API_KEY)
    fake.conflict_on_duplicate = False
    fake.start()
    with otlp_collector() as collector:
        conn.send((fake.url, collector.url))
        while True:
            command = conn.recv()
            if command == "stop":
                break
            if command == "reset":
                fake.runs.clear()
                fake.requests.clear()
                collector.requests.clear()
                conn.send(None)
            elif command == "count":
                spans = 0
                for body in collector.bodies:
                    request = ExportTraceServiceRequest.FromString(body)
                    for resource in request.resource_spans:
                        for scope in resource.scope_spans:
                            spans += len(scope.spans)
                conn.send({"otlp": spans, "langsmith": len(fake.runs)})
    fake.stop()


# --- one candidate, in a fresh interpreter ------------------------------------------------


def _child(kind: str, url: str, spans: int) -> dict[str, float]:
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    if kind == "stock":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    else:
        os.environ["LANGSMITH_API_KEY"] = API_KEY
        os.environ["LANGSMITH_ENDPOINT"] = url
        os.environ["LANGSMITH_PROJECT"] = "burst"
        from otel_runs import RunSpanProcessor

        provider.add_span_processor(RunSpanProcessor())
    tracer = provider.get_tracer("bench.burst")

    def traces(count: int) -> None:
        for _ in range(count):
            with tracer.start_as_current_span("agent", attributes=ATTRIBUTES):
                for _ in range(SPANS_PER_TRACE - 1):
                    with tracer.start_as_current_span("chat", attributes=ATTRIBUTES):
                        pass

    traces(WARM_UP)
    provider.force_flush()
    cpu, wall, thread = time.process_time(), time.perf_counter(), time.thread_time()
    traces(spans // SPANS_PER_TRACE)
    burst_wall = time.perf_counter() - wall
    burst_thread = time.thread_time() - thread
    provider.shutdown()
    return {
        "app_wall_us": burst_wall / spans * 1e6,
        "app_cpu_us": burst_thread / spans * 1e6,
        "process_cpu_s": time.process_time() - cpu,
        "total_wall_s": time.perf_counter() - wall,
    }


def _run_child(kind: str, url: str, spans: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.burst", "--child", kind, url, str(spans)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def burst(spans: int, rounds: int) -> list[Row]:
    """Rows: app-thread wall, process CPU per delivered span, and spans lost, per candidate."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,))
    server.start()
    try:
        langsmith_url, otlp_url = parent.recv()
        samples: dict[str, list[dict[str, Any]]] = {"stock": [], "otel_runs": []}
        for _ in range(rounds):
            for kind, url, counted in (
                ("stock", otlp_url, "otlp"),
                ("otel_runs", langsmith_url, "langsmith"),
            ):
                parent.send("reset")
                parent.recv()
                figures: dict[str, Any] = dict(_run_child(kind, url, spans))
                parent.send("count")
                arrived = parent.recv()[counted] - WARM_UP * SPANS_PER_TRACE
                figures["arrived"] = arrived
                figures["cpu_per_arrived_us"] = figures["process_cpu_s"] / max(arrived, 1) * 1e6
                samples[kind].append(figures)
        parent.send("stop")
    finally:
        server.join(30)
        if server.is_alive():
            server.kill()
    med = {
        kind: {key: statistics.median(s[key] for s in runs) for key in runs[0]}
        for kind, runs in samples.items()
    }
    stock, ours = med["stock"], med["otel_runs"]
    lost_stock = 1 - stock["arrived"] / spans
    lost_ours = 1 - ours["arrived"] / spans
    baseline = "BatchSpanProcessor + stock OTLPSpanExporter"
    return [
        _row("burst: app-thread wall per span", baseline, stock["app_wall_us"],
             ours["app_wall_us"], "<= 1.0"),
        _row("burst: process CPU per span that arrived", baseline, stock["cpu_per_arrived_us"],
             ours["cpu_per_arrived_us"], "<= 1.0"),
        {
            "benchmark": "burst: spans that never arrived",
            "baseline": baseline,
            "baseline_us": lost_stock * 100,
            "otel_runs_us": lost_ours * 100,
            "ratio": float("nan"),
            "unit": "%",
            "target": "0 lost",
            "lost": {"stock": spans - stock["arrived"], "otel_runs": spans - ours["arrived"]},
        },
    ]  # fmt: skip


def _row(name: str, baseline: str, base: float, ours: float, target: str) -> Row:
    return {
        "benchmark": name,
        "baseline": baseline,
        "baseline_us": base,
        "otel_runs_us": ours,
        "ratio": ours / base,
        "target": target,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "URL", "SPANS"))
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.child:
        kind, url, spans = args.child
        print(json.dumps(_child(kind, url, int(spans))))
        return
    for row in burst(args.spans, args.rounds):
        print(row)


if __name__ == "__main__":
    main()
