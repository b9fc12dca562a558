"""An app with no otel-runs code: only OpenTelemetry API calls. Run it under
`opentelemetry-instrument` with `OTEL_TRACES_EXPORTER=otel_runs`."""

from __future__ import annotations

from opentelemetry import trace

from otel_runs.conventions import genai as g

tracer = trace.get_tracer("plain-app")

with tracer.start_as_current_span("handle request"), tracer.start_as_current_span("agent"):
    tracer.start_span(
        "chat gpt-4o-mini",
        attributes={
            g.OPERATION_NAME: "chat",
            g.REQUEST_MODEL: "gpt-4o-mini",
            g.USAGE_INPUT_TOKENS: 30,
            g.USAGE_OUTPUT_TOKENS: 7,
        },
    ).end()
