"""`configure()`: one call that wires a `RunSpanProcessor` into the app's tracer provider."""

from __future__ import annotations

from opentelemetry import propagate as otel_propagate
from opentelemetry import trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from otel_runs.convert.spans_to_runs import Keep
from otel_runs.privacy import Privacy
from otel_runs.processor import RunSpanProcessor
from otel_runs.propagation import LangSmithPropagator
from otel_runs.sinks import RunSink


def configure(
    sink: RunSink | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    keep: Keep | None = None,
    propagate: bool = True,
    privacy: Privacy | None = None,
) -> RunSpanProcessor:
    """Add a `RunSpanProcessor` to `tracer_provider`, else to the global SDK provider, else to a
    new provider that becomes the global one. Returns the processor (call `force_flush`/
    `shutdown` on it, or on the provider, before exiting).

    The sink: this argument > LangSmith when `LANGSMITH_API_KEY` is set > the local SQLite store.
    With `propagate`, outgoing requests carry the run context (W3C trace context and baggage plus
    LangSmith's `langsmith-trace`), so downstream services continue the same run tree.
    `privacy` hides inputs/outputs or redacts runs before they leave (default: from
    `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS`).
    """
    if propagate:
        install_propagator()
    provider = tracer_provider
    if provider is None:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            provider = current
        else:
            provider = TracerProvider()
            trace.set_tracer_provider(provider)
    processor = RunSpanProcessor(sink, keep=keep, privacy=privacy)
    provider.add_span_processor(processor)
    return processor


def install_propagator() -> None:
    """Make the global propagator W3C trace context + baggage + `LangSmithPropagator` (once)."""
    current = otel_propagate.get_global_textmap()
    parts = getattr(current, "_propagators", [current])
    if any(isinstance(part, LangSmithPropagator) for part in parts):
        return
    otel_propagate.set_global_textmap(
        CompositePropagator(
            [TraceContextTextMapPropagator(), W3CBaggagePropagator(), LangSmithPropagator()]
        )
    )
