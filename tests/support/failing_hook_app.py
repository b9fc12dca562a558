"""An app whose own code imports pytest (as an app's test helpers do), wired to otel-runs with a
`keep=` callable that raises. Prints `survived <internal errors>` when its spans are done.

    python tests/support/failing_hook_app.py STORE
"""

from __future__ import annotations

import logging
import sys

import pytest  # noqa: F401 - the point: pytest is loaded, as in an app's own test suite
from opentelemetry.sdk.trace import TracerProvider

from otel_runs import guard
from otel_runs.model.span_record import SpanRecord
from otel_runs.processor import RunSpanProcessor
from otel_runs.sinks.sqlite import SqliteSink


def keep(record: SpanRecord) -> bool:
    raise ValueError(f"the app's keep callable failed on {record.name}")


logging.basicConfig(level=logging.ERROR)  # the app shows errors on stderr
provider = TracerProvider()
provider.add_span_processor(RunSpanProcessor(SqliteSink(sys.argv[1]), keep=keep))
tracer = provider.get_tracer("app")
with tracer.start_as_current_span("handle request"), tracer.start_as_current_span("step"):
    pass
provider.shutdown()
print("survived", guard.error_count(), flush=True)
