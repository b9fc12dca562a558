"""otel-runs: OpenTelemetry spans <-> LangSmith runs.

Public API (everything else is private):

- `spans_to_runs(spans, keep=...)` -> `list[Run]`, and `convert_spans(...)` -> `Conversion` with the
  rejected spans and their reasons.
- `Run`: one LangSmith run; `to_dict()` / `from_dict()`.
- `SpanRecord`: the neutral span both SDK spans and OTLP spans become (for keep predicates).
- `RunSpanProcessor` (stamps run identity at span start, delivers runs in batches),
  `RunExporter` (a `SpanExporter`), `configure()`, `LangSmithPropagator`; sinks are in
  `otel_runs.sinks`.
- `use_prices(path)`: prices for models genai-prices does not know (also `OTEL_RUNS_PRICES`).
- Errors: `OtelRunsError`, `InvalidSpanError`, `InvalidRunError`, `DottedOrderError`,
  `OtlpDecodeError`.
"""

from __future__ import annotations

import logging

from otel_runs.configure import configure
from otel_runs.convert.spans_to_runs import Conversion, Rejection, convert_spans, spans_to_runs
from otel_runs.errors import (
    DottedOrderError,
    InvalidRunError,
    InvalidSpanError,
    OtelRunsError,
    OtlpDecodeError,
)
from otel_runs.exporter import RunExporter
from otel_runs.model.run import Run
from otel_runs.model.span_record import EventRecord, LinkRecord, SpanRecord
from otel_runs.prices import use_prices
from otel_runs.processor import RunSpanProcessor
from otel_runs.propagation import LangSmithPropagator
from otel_runs.render import render_tree
from otel_runs.runs_to_spans import runs_to_spans

logging.getLogger("otel_runs").addHandler(logging.NullHandler())

__all__ = [
    "Conversion",
    "DottedOrderError",
    "EventRecord",
    "InvalidRunError",
    "InvalidSpanError",
    "LangSmithPropagator",
    "LinkRecord",
    "OtelRunsError",
    "OtlpDecodeError",
    "Rejection",
    "Run",
    "RunExporter",
    "RunSpanProcessor",
    "SpanRecord",
    "configure",
    "convert_spans",
    "render_tree",
    "runs_to_spans",
    "spans_to_runs",
    "use_prices",
]
