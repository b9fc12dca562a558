"""An app instrumented with OpenTelemetry's openai-v2, content as log events, exported over OTLP.

    python -m tests.support.otlp_openai_app OPENAI_BASE_URL RECEIVER_HTTP_URL

One chat call to the fake OpenAI server. With `CAPTURE_MESSAGE_CONTENT=EVENT_ONLY` the span
carries no messages: they travel as a `gen_ai.client.inference.operation.details` log record
bound to the span, exported to `/v1/logs`, while the span goes to `/v1/traces`. Logs are flushed
first, then spans. Runs in its own interpreter because the instrumentation patches the openai
client for the whole process.
"""

from __future__ import annotations

import os
import sys


def main(openai_url: str, receiver_url: str) -> int:
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "EVENT_ONLY"
    os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
    import openai
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver_url}/v1/traces"))
    )
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{receiver_url}/v1/logs"))
    )
    instrumentor = OpenAIInstrumentor()  # type: ignore[no-untyped-call]
    instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    with openai.OpenAI(base_url=openai_url, api_key="sk-test", max_retries=0) as client:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "weather in Paris?"}]
        )
    instrumentor.uninstrument()
    logger_provider.shutdown()
    tracer_provider.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
