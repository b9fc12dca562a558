"""Benchmarks, each a ratio against a baseline measured in the same process.

    bench/run            full run (a few minutes)
    bench/run --smoke    tiny inputs, seconds: proves the benchmarks still run

Rounds are interleaved (baseline, candidate, baseline, ...) and medians reported, because these
machines are noisy. Nothing here is a pass/fail test; targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_runs import Run, RunExporter, RunSpanProcessor, spans_to_runs
from otel_runs.conventions import genai as g
from otel_runs.sinks import SinkResult

# Ten GenAI-like attributes, as in the reference measurements (perf_reliability.md §5.1).
ATTRIBUTES: dict[str, Any] = {
    g.OPERATION_NAME: "chat",
    g.REQUEST_MODEL: "gpt-4o-mini",
    g.PROVIDER_NAME: "openai",
    g.USAGE_INPUT_TOKENS: 120,
    g.USAGE_OUTPUT_TOKENS: 30,
    g.REQUEST_TEMPERATURE: 0.2,
    "http.method": "POST",
    "server.address": "api.example.com",
    "app.request_id": "req-1234567890",
    "app.flag": True,
}


class NoOpExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class NullSink:
    """Accepts runs and serializes them as the LangSmith sink would, then drops them."""

    def write(self, runs: Sequence[Run]) -> SinkResult:
        for run in runs:
            json.dumps(run.to_dict(), default=str)
        return SinkResult(stored=len(runs))

    def close(self) -> None:
        return


def _spans(provider: TracerProvider, n: int, nested: bool) -> None:
    tracer = provider.get_tracer("bench")
    if not nested:
        for _ in range(n):
            tracer.start_span("chat", attributes=ATTRIBUTES).end()
        return
    for _ in range(n // 10):
        with tracer.start_as_current_span("agent", attributes=ATTRIBUTES):
            for _ in range(9):
                with tracer.start_as_current_span("chat", attributes=ATTRIBUTES):
                    pass


def _app_thread_us(make: Callable[[], TracerProvider], n: int, nested: bool) -> float:
    provider = make()
    _spans(provider, 200, nested)  # warm-up
    provider.force_flush()
    gc.collect()
    start = time.perf_counter()
    _spans(provider, n, nested)
    elapsed = time.perf_counter() - start
    provider.shutdown()
    return elapsed / n * 1e6


def _bsp_noop() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(NoOpExporter(), max_queue_size=1_000_000))
    return provider


def _run_processor() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(RunSpanProcessor(NullSink(), max_queue_size=1_000_000))
    return provider


def _interleaved(rounds: int, **candidates: Callable[[], float]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, measure in candidates.items():
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


def hot_path(n: int, rounds: int) -> list[dict[str, Any]]:
    """App-thread cost per span: RunSpanProcessor vs BatchSpanProcessor + no-op exporter."""
    rows = []
    for nested in (False, True):
        medians = _interleaved(
            rounds,
            baseline=functools.partial(_app_thread_us, _bsp_noop, n, nested),
            otel_runs=functools.partial(_app_thread_us, _run_processor, n, nested),
        )
        rows.append(
            {
                "benchmark": f"hot path, {'nested' if nested else 'flat'} spans",
                "baseline": "BatchSpanProcessor + no-op exporter",
                "baseline_us": medians["baseline"],
                "otel_runs_us": medians["otel_runs"],
                "ratio": medians["otel_runs"] / medians["baseline"],
                "target": "<= 1.25",
            }
        )
    return rows


def _finished_spans(n: int) -> Sequence[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    _spans(provider, n, nested=True)
    return memory.get_finished_spans()


def _cpu_us(work: Callable[[], object], n: int) -> float:
    gc.collect()
    start = time.process_time()
    work()
    return (time.process_time() - start) / n * 1e6


def conversion(n: int, rounds: int) -> list[dict[str, Any]]:
    """CPU per span of conversion + serialization vs the OTel SDK's OTLP protobuf encoder."""
    spans = _finished_spans(n)
    sink = NullSink()
    exporter = RunExporter(sink)

    def ours() -> None:
        exporter.export(spans)

    medians = _interleaved(
        rounds,
        baseline=lambda: _cpu_us(lambda: encode_spans(spans).SerializeToString(), len(spans)),
        otel_runs=lambda: _cpu_us(ours, len(spans)),
        spans_to_runs=lambda: _cpu_us(lambda: spans_to_runs(spans), len(spans)),
    )
    return [
        {
            "benchmark": "conversion + serialization CPU per span",
            "baseline": "OTel SDK encode_spans + SerializeToString",
            "baseline_us": medians["baseline"],
            "otel_runs_us": medians["otel_runs"],
            "ratio": medians["otel_runs"] / medians["baseline"],
            "target": "<= 0.25",
        },
        {
            "benchmark": "spans_to_runs alone, CPU per span",
            "baseline": "OTel SDK encode_spans + SerializeToString",
            "baseline_us": medians["baseline"],
            "otel_runs_us": medians["spans_to_runs"],
            "ratio": medians["spans_to_runs"] / medians["baseline"],
            "target": "-",
        },
    ]


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, for the test suite")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args(argv)
    n, rounds = (200, 1) if args.smoke else (20_000, 5)
    rows = hot_path(n, rounds) + conversion(n // 2 if not args.smoke else n, rounds)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'benchmark':44} {'baseline µs':>12} {'otel-runs µs':>13} {'ratio':>7}  target")
        for row in rows:
            print(
                f"{row['benchmark']:44} {row['baseline_us']:12.1f} {row['otel_runs_us']:13.1f}"
                f" {row['ratio']:7.2f}  {row['target']}"
            )
        print(f"\n(medians of {rounds} interleaved rounds; baselines: " + "; ".join(
            sorted({row["baseline"] for row in rows})) + ")")  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
