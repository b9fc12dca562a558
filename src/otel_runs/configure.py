"""`configure()`: one call that wires a `RunSpanProcessor` into the app's tracer provider."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from otel_runs.convert.spans_to_runs import Keep
from otel_runs.processor import RunSpanProcessor
from otel_runs.sinks import RunSink


def configure(
    sink: RunSink | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    keep: Keep | None = None,
) -> RunSpanProcessor:
    """Add a `RunSpanProcessor` to `tracer_provider`, else to the global SDK provider, else to a
    new provider that becomes the global one. Returns the processor (call `force_flush`/
    `shutdown` on it, or on the provider, before exiting).

    The sink: this argument > LangSmith when `LANGSMITH_API_KEY` is set > the local SQLite store.
    """
    provider = tracer_provider
    if provider is None:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            provider = current
        else:
            provider = TracerProvider()
            trace.set_tracer_provider(provider)
    processor = RunSpanProcessor(sink, keep=keep)
    provider.add_span_processor(processor)
    return processor
