"""What every benchmark shares: the span shapes, sinks that only serialize, interleaved medians."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_runs.conventions import genai as g
from otel_runs.convert.run_data import RunData
from otel_runs.model.ingest import encode_ingest_run
from otel_runs.sinks import AnyRun, SinkResult
from otel_runs.sinks.ingest import dumps

Row = dict[str, Any]

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


# A chat span with its messages, as opentelemetry-instrumentation-openai-v2 (with util-genai's
# current conventions and content capture on) records one: the second chat call of
# tests/fixtures/otlp/genai_current.json (a tool round trip), attribute for attribute.
MESSAGE_ATTRIBUTES: dict[str, Any] = {
    g.OPERATION_NAME: "chat",
    g.REQUEST_MODEL: "gpt-4o-mini",
    g.PROVIDER_NAME: "openai",
    g.RESPONSE_FINISH_REASONS: ("stop",),
    g.RESPONSE_MODEL: "gpt-4o-mini",
    g.RESPONSE_ID: "chatcmpl-fake-1",
    g.USAGE_INPUT_TOKENS: 12,
    g.USAGE_OUTPUT_TOKENS: 5,
    g.INPUT_MESSAGES: (
        '[{"role":"system","parts":[{"content":"You are a terse weather assistant.",'
        '"type":"text"}]},{"role":"user","parts":[{"content":"What is the weather in Paris?",'
        '"type":"text"}]},'
        '{"role":"assistant","parts":[{"arguments":{"city":"Paris"},"name":"get_weather",'
        '"id":"call_weather_1","type":"tool_call"}]},{"role":"tool","parts":[{"response":'
        '"{\\"city\\":\\"Paris\\",\\"forecast\\":\\"sunny\\",\\"temp_c\\":21}",'
        '"id":"call_weather_1","type":"tool_call_response"}]}]'
    ),
    g.OUTPUT_MESSAGES: (
        '[{"role":"assistant","parts":[{"content":"It is sunny.","type":"text"}],'
        '"finish_reason":"stop"}]'
    ),
}


class NoOpExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class NullSink:
    """Accepts runs and serializes them as the LangSmith sink does (its ingest payload, the
    JSON of one `/runs/batch` entry), then drops them."""

    takes_run_data = True

    def write(self, runs: Sequence[AnyRun]) -> SinkResult:
        for run in runs:
            payload = (
                run.ingest("bench")
                if isinstance(run, RunData)
                else encode_ingest_run(run, project="bench")
            )
            dumps(payload)
        return SinkResult(stored=len(runs))

    def close(self) -> None:
        return


def make_spans(
    provider: TracerProvider, n: int, nested: bool, attributes: dict[str, Any] | None = None
) -> None:
    """n spans: flat ones, or traces of one agent span with nine chat children."""
    tracer = provider.get_tracer("bench")
    attributes = attributes or ATTRIBUTES
    if not nested:
        for _ in range(n):
            tracer.start_span("chat", attributes=attributes).end()
        return
    for _ in range(n // 10):
        with tracer.start_as_current_span("agent", attributes=ATTRIBUTES):
            for _ in range(9):
                with tracer.start_as_current_span("chat", attributes=attributes):
                    pass


def finished_spans(
    n: int, nested: bool = True, attributes: dict[str, Any] | None = None
) -> Sequence[ReadableSpan]:
    """n finished spans (`make_spans`), with ATTRIBUTES or the given ones."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    make_spans(provider, n, nested, attributes)
    return memory.get_finished_spans()


def cpu_us(work: Callable[[], object], n: int) -> float:
    """Process CPU per item of one call of work."""
    gc.collect()
    start = time.process_time()
    work()
    return (time.process_time() - start) / n * 1e6


def interleaved(rounds: int, **candidates: Callable[[], Any]) -> dict[str, Any]:
    """Run candidates in turn for `rounds` rounds; the median of each (or of each component)."""
    samples: dict[str, list[Any]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, measure in candidates.items():
            samples[name].append(measure())
    out: dict[str, Any] = {}
    for name, values in samples.items():
        if isinstance(values[0], tuple):
            out[name] = tuple(statistics.median(column) for column in zip(*values, strict=True))
        else:
            out[name] = statistics.median(values)
    return out


def row(benchmark: str, baseline: str, baseline_us: float, ours_us: float, target: str) -> Row:
    return {
        "benchmark": benchmark,
        "baseline": baseline,
        "baseline_us": baseline_us,
        "otel_runs_us": ours_us,
        "ratio": ours_us / baseline_us,
        "target": target,
    }


_MASK64 = (1 << 64) - 1


class Reidentifier:
    """Rewrites one OTLP trace request's ids in place so each copy is new: every trace, span
    and parent id XOR-ed by a mask drawn from the copy's number, so parent links (and parents
    that are missing on purpose) stay consistent inside a copy and unique across copies."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self._spans = [
            span
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        self._original = [(s.trace_id, s.span_id, s.parent_span_id) for s in self._spans]

    def __len__(self) -> int:
        return len(self._spans)

    def rewrite(self, number: int) -> None:
        """Give the request the ids of copy `number` (1, 2, ...)."""
        mask = (number * 0x9E3779B97F4A7C15) & _MASK64
        for span, (trace_id, span_id, parent_id) in zip(self._spans, self._original, strict=True):
            span.trace_id = trace_id[:8] + _xor(trace_id[8:], mask)
            span.span_id = _xor(span_id, mask)
            span.parent_span_id = _xor(parent_id, mask) if parent_id else b""


def _xor(raw: bytes, mask: int) -> bytes:
    return (int.from_bytes(raw, "big") ^ mask).to_bytes(8, "big")
