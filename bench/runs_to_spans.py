"""Benchmark: runs -> spans -> OTLP protobuf bytes, against the `langsmith` SDK's own OTel
export path for the same runs.

    python -m bench.runs_to_spans [--smoke] [--json]

The runs are traces of a LangChain-style agent (chain -> chat model with usage, tools and a
streamed token -> tool), as the SDK serializes them. CPU time per run (all threads), medians
of interleaved rounds:

- baseline: what `LANGSMITH_TRACING_MODE=otel` does with a run: `serialize_run_dict` (the
  tracing queue's operation), `OTELExporter.export_batch` on a tracer provider with the SDK's
  default `BatchSpanProcessor`, then the OTLP exporter's encoding (`encode_spans` +
  `SerializeToString`), without the network;
- otel-runs: `runs_to_records` + `encode_request` (what `otel-runs convert --to otlp-proto`
  does), from `Run` objects and from the same run dicts (parsing included);
- for reference, otel-runs' SDK spans encoded with the SDK's encoder (`runs_to_spans` +
  `encode_spans`), the path a user's own `SpanExporter` takes.

Our spans carry about twice the attributes of the SDK's (GenAI and OpenInference on top of
LangSmith's own), so the comparison is per run, not per attribute.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_runs import Run
from otel_runs.files.encode_proto import encode_request
from otel_runs.runs_to_spans import runs_to_records, runs_to_spans

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def _segment(at: datetime, run_id: uuid.UUID) -> str:
    return at.strftime("%Y%m%dT%H%M%S%fZ") + str(run_id)


def _trace(index: int) -> list[dict[str, Any]]:
    """One agent trace as the SDK posts it: chain -> chat model -> tool."""
    root, chat, tool = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = T0 + timedelta(seconds=index)
    dotted = _segment(start, root)
    meta = {"thread_id": "thread-1", "user_id": "user-1", "ls_run_depth": 0}
    return [
        {
            "id": root, "trace_id": root, "name": "agent", "run_type": "chain",
            "start_time": start.isoformat(), "end_time": (start + timedelta(seconds=2)).isoformat(),
            "dotted_order": dotted, "inputs": {"question": "What is the weather in Paris?"},
            "outputs": {"answer": "Sunny, 21C"}, "extra": {"metadata": meta},
            "tags": ["prod"], "session_name": "bench", "events": [],
        },
        {
            "id": chat, "trace_id": root, "parent_run_id": root, "name": "ChatOpenAI",
            "run_type": "llm", "start_time": (start + timedelta(milliseconds=10)).isoformat(),
            "end_time": (start + timedelta(seconds=1)).isoformat(),
            "dotted_order": dotted + "." + _segment(start + timedelta(milliseconds=10), chat),
            "inputs": {
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": "What is the weather in Paris?"},
                ],
                "model": "gpt-4o-mini",
            },
            "outputs": {
                "id": "chatcmpl-1", "model": "gpt-4o-mini",
                "choices": [{
                    "index": 0, "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": None, "tool_calls": [{
                        "id": "call_1", "type": "function",
                        "function": {"name": "weather", "arguments": "{\"city\": \"Paris\"}"},
                    }]},
                }],
                "usage_metadata": {
                    "input_tokens": 120, "output_tokens": 30, "total_tokens": 150,
                    "input_token_details": {"cache_read": 64},
                },
            },
            "extra": {
                "metadata": {
                    **meta, "ls_provider": "openai", "ls_model_name": "gpt-4o-mini",
                    "ls_model_type": "chat", "ls_temperature": 0.2,
                    "invocation_params": {"model": "gpt-4o-mini", "temperature": 0.2},
                },
                "invocation_params": {"tools": TOOLS},
            },
            "tags": ["prod"], "session_name": "bench",
            "events": [{"name": "new_token",
                        "time": (start + timedelta(milliseconds=300)).isoformat()}],
        },
        {
            "id": tool, "trace_id": root, "parent_run_id": root, "name": "weather",
            "run_type": "tool", "start_time": (start + timedelta(seconds=1)).isoformat(),
            "end_time": (start + timedelta(seconds=1, milliseconds=200)).isoformat(),
            "dotted_order": dotted + "." + _segment(start + timedelta(seconds=1), tool),
            "inputs": {"city": "Paris"}, "outputs": {"output": "Sunny, 21C"},
            "extra": {"metadata": meta, "tool_call_id": "call_1"},
            "tags": [], "session_name": "bench", "events": [],
        },
    ]  # fmt: skip


class _Collect(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def _sdk(payloads: list[dict[str, Any]]) -> Callable[[], bytes]:
    from langsmith._internal._operations import serialize_run_dict
    from langsmith._internal.otel._otel_exporter import OTELExporter

    def run() -> bytes:
        collected = _Collect()
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(collected, max_queue_size=1_000_000))
        exporter = OTELExporter(tracer_provider=provider)  # type: ignore[no-untyped-call]
        operations = [serialize_run_dict("post", dict(payload)) for payload in payloads]
        exporter.export_batch(operations, {})
        provider.force_flush()
        body: bytes = encode_spans(collected.spans).SerializeToString()
        provider.shutdown()
        return body

    return run


def _cpu_us(work: Callable[[], object], count: int) -> float:
    gc.collect()
    start = time.process_time()
    work()
    return (time.process_time() - start) / count * 1e6


def measure(n_runs: int, rounds: int) -> list[dict[str, Any]]:
    """Rows of the benchmark table."""
    payloads = [run for i in range(max(1, n_runs // 3)) for run in _trace(i)]
    dicts = [json.loads(json.dumps(p, default=str)) for p in payloads]
    runs = [Run.from_dict(d) for d in dicts]
    count = len(payloads)
    candidates: dict[str, Callable[[], object]] = {
        "baseline": _sdk(payloads),
        "runs": lambda: encode_request(runs_to_records(runs)),
        "dicts": lambda: encode_request(runs_to_records(dicts)),
        "sdk_encoder": lambda: encode_spans(runs_to_spans(runs)).SerializeToString(),
    }
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about its own deprecations
        for work in candidates.values():
            work()  # warm-up: imports, caches
        for _ in range(rounds):
            for name, work in candidates.items():
                samples[name].append(_cpu_us(work, count))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["baseline"]
    label = "langsmith SDK OTel export (serialize + OTELExporter + BSP + OTLP encode)"
    rows = []
    for key, title, target in (
        ("runs", "runs -> spans -> OTLP bytes, from Run objects", "<= 0.50"),
        ("dicts", "runs -> spans -> OTLP bytes, from run dicts", "<= 0.50"),
        ("sdk_encoder", "runs_to_spans + the SDK's OTLP encoder", "-"),
    ):
        rows.append(
            {
                "benchmark": title,
                "baseline": label,
                "baseline_us": baseline,
                "otel_runs_us": medians[key],
                "ratio": medians[key] / baseline,
                "target": target,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, for the test suite")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args(argv)
    n_runs, rounds = (30, 1) if args.smoke else (3000, 7)
    rows = measure(n_runs, rounds)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'benchmark':48} {'baseline µs':>12} {'otel-runs µs':>13} {'ratio':>7}  target")
        for row in rows:
            print(
                f"{row['benchmark']:48} {row['baseline_us']:12.1f} {row['otel_runs_us']:13.1f}"
                f" {row['ratio']:7.2f}  {row['target']}"
            )
        print(
            f"\n(CPU per run, medians of {rounds} interleaved rounds; ratio <= 0.50 is 2x faster)"
        )
    return rows


if __name__ == "__main__":
    main()
