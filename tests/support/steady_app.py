"""An app that makes traces steadily through RunSpanProcessor into a SQLite store, and prints
`ended N` after each trace's spans have ended, until it is killed.

    python -m tests.support.steady_app STORE QUEUE_SIZE BATCH_SIZE
"""

from __future__ import annotations

import sys
import time

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.util.types import AttributeValue

from otel_runs import RunSpanProcessor
from otel_runs.conventions import genai as g
from otel_runs.sinks.sqlite import SqliteSink

SPANS_PER_TRACE = 3


def main() -> None:
    store, queue, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    provider = TracerProvider()
    provider.add_span_processor(
        RunSpanProcessor(SqliteSink(store), max_queue_size=queue, max_export_batch_size=batch,
                         schedule_delay_millis=50)
    )  # fmt: skip
    tracer = provider.get_tracer("steady")
    llm: dict[str, AttributeValue] = {g.OPERATION_NAME: "chat", g.REQUEST_MODEL: "gpt-4o-mini", g.USAGE_INPUT_TOKENS: 5,
           g.USAGE_OUTPUT_TOKENS: 1}  # fmt: skip
    count = 0
    while True:
        with tracer.start_as_current_span("request"):
            tracer.start_span("chat", attributes=llm).end()
            tracer.start_span("chat", attributes=llm).end()
        count += 1
        print(f"ended {count}", flush=True)
        time.sleep(0.005)


if __name__ == "__main__":
    main()
