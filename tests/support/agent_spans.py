"""Real SDK spans of a small agent trace, with deterministic ids and clocks, and their runs.

A `TracerProvider` with a counting id generator and an `InMemorySpanExporter` records an agent
span, two GenAI chat spans with token usage, a tool span and a failing tool span; the runs are
what `otel_runs.spans_to_runs` makes of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Status, StatusCode, Tracer

from otel_runs import Run, spans_to_runs
from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls

T0_NS = 1_763_800_000_000_000_000
"""2025-11-22T08:26:40Z, the first trace's start."""
MS = 1_000_000
PROJECT = "local-agent"


class CountingIds(IdGenerator):
    """Span ids 1, 2, 3... and trace ids 0x1000..., 0x1001...: the same every run."""

    def __init__(self) -> None:
        self._spans: Iterator[int] = itertools.count(1)
        self._traces: Iterator[int] = itertools.count(0x1000)

    def generate_span_id(self) -> int:
        return next(self._spans)

    def generate_trace_id(self) -> int:
        return next(self._traces)


def _chat(tracer: Tracer, start: int, model: str, tokens: tuple[int, int]) -> None:
    span = tracer.start_span(
        f"chat {model}",
        start_time=start,
        attributes={
            g.OPERATION_NAME: "chat",
            g.PROVIDER_NAME: "openai",
            g.REQUEST_MODEL: model,
            g.RESPONSE_MODEL: model,
            g.USAGE_INPUT_TOKENS: tokens[0],
            g.USAGE_OUTPUT_TOKENS: tokens[1],
        },
    )
    span.end(end_time=start + 40 * MS)


def _tool(tracer: Tracer, start: int, name: str, *, fail: bool = False) -> None:
    span = tracer.start_span(
        f"execute_tool {name}",
        start_time=start,
        attributes={g.OPERATION_NAME: "execute_tool", g.TOOL_NAME: name},
    )
    if fail:
        span.set_status(Status(StatusCode.ERROR, f"{name} is down"))
    span.end(end_time=start + 5 * MS)


def agent_trace(tracer: Tracer, start: int, *, name: str = "weather agent") -> None:
    """One trace: agent -> chat, tool, failing tool, chat."""
    root = tracer.start_span(
        name,
        start_time=start,
        attributes={g.OPERATION_NAME: "invoke_agent", g.AGENT_NAME: name, ls.SESSION_NAME: PROJECT},
    )
    with trace.use_span(root, end_on_exit=False):
        _chat(tracer, start + 1 * MS, "gpt-4o-mini", (120, 30))
        _tool(tracer, start + 50 * MS, "get_weather")
        _tool(tracer, start + 60 * MS, "get_forecast", fail=True)
        _chat(tracer, start + 70 * MS, "gpt-4o-mini", (200, 45))
    root.end(end_time=start + 120 * MS)


def agent_spans(traces: int = 1) -> tuple[ReadableSpan, ...]:
    """Finished spans of `traces` agent traces, one second apart."""
    # Resource(...) rather than Resource.create: no detectors, no random service.instance.id.
    provider = TracerProvider(
        resource=Resource({"service.name": "agent"}), id_generator=CountingIds()
    )
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.agent_spans")
    for index in range(traces):
        agent_trace(tracer, T0_NS + index * 1000 * MS, name=f"weather agent {index}")
    provider.shutdown()
    return exporter.get_finished_spans()


def agent_runs(traces: int = 1) -> list[Run]:
    """The runs of `agent_spans(traces)`, converted by the public entry point."""
    return spans_to_runs(agent_spans(traces))
