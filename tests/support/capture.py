"""Spans from real instrumentations, collected with a private TracerProvider.

The global tracer provider is never set: every test gets its own provider and in-memory
exporter, so spans cannot leak between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

from otel_runs import Run, spans_to_runs

REQUEST_SPAN = "handle request"
"""Name of the application span the tests wrap every instrumented call in."""


@dataclass(frozen=True, slots=True)
class SpanCapture:
    """A tracer provider whose finished spans land in memory."""

    provider: TracerProvider
    exporter: InMemorySpanExporter

    @property
    def tracer(self) -> Tracer:
        """The application's own tracer (for the request span around instrumented calls)."""
        return self.provider.get_tracer("tests.real_instrumentations")

    def spans(self) -> tuple[ReadableSpan, ...]:
        """Every span finished so far, in end order."""
        return self.exporter.get_finished_spans()

    def runs(self) -> list[Run]:
        """The finished spans converted by the public entry point."""
        return spans_to_runs(self.spans())


@contextmanager
def capture_spans() -> Iterator[SpanCapture]:
    """A fresh provider with a simple (synchronous) processor; shut down on exit."""
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield SpanCapture(provider, exporter)
    finally:
        provider.shutdown()
