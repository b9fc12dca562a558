"""Runs -> spans: LangSmith runs as OpenTelemetry spans any exporter can send anywhere.

    runs_to_spans(runs) -> list[ReadableSpan]     Run objects or LangSmith run dicts
    runs_to_records(runs) -> list[SpanRecord]     the same spans as neutral records

What a span carries (docs/runs-to-spans.md has the full mapping):

- ids: trace id = the trace UUID's 16 bytes (or the OTel trace id a span-born run kept), span
  id = the run UUID's last 8 bytes (`ids.py`), and `langsmith.*` id attributes when those do
  not give the run ids back;
- attributes in LangSmith's own convention (a superset of what the `langsmith` SDK's OTel
  exporter writes), the GenAI semantic conventions and OpenInference;
- status ERROR and an `exception` event for errors, a first-token event for streamed runs;
- `otel_runs.run_fields`: the fields no attribute carries exactly, so spans -> runs
  (`restore.finish`) gives back exactly the run that was written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from otel_runs.errors import InvalidRunError
from otel_runs.model.run import Run, run_sharing_input
from otel_runs.model.span_record import AttributeValue, SpanRecord
from otel_runs.runs_to_spans.record import run_to_record
from otel_runs.runs_to_spans.sdk import to_readable_span

RunLike = Run | Mapping[str, Any]
"""A `Run`, or a run as LangSmith's API and export files write it."""


def as_run(item: RunLike, index: int = 0) -> Run:
    """A Run from a Run or a run dict; InvalidRunError names the run's position."""
    if isinstance(item, Run):
        return item
    try:
        return Run.from_dict(item)
    except InvalidRunError as exc:
        raise InvalidRunError(f"run {index}: {exc}") from None


def _read_once(item: RunLike, index: int) -> Run:
    """`as_run`, for a run that is read once and dropped: a dict's containers are not copied
    (a record never holds a run's own dicts or lists)."""
    if isinstance(item, Run):
        return item
    try:
        return run_sharing_input(item)
    except InvalidRunError as exc:
        raise InvalidRunError(f"run {index}: {exc}") from None


def runs_to_records(
    runs: Iterable[RunLike], *, resource: Mapping[str, AttributeValue] | None = None
) -> list[SpanRecord]:
    """One neutral span record per run, in the runs' order."""
    return [run_to_record(_read_once(item, i), resource) for i, item in enumerate(runs)]


def runs_to_spans(
    runs: Iterable[RunLike], *, resource: Mapping[str, AttributeValue] | None = None
) -> list[ReadableSpan]:
    """One finished OTel SDK span per run, in the runs' order, for any `SpanExporter`.

    `resource` gives every span these resource attributes; by default a run born in LangSmith
    gets `service.name` = its project (`session_name`) or "langsmith", and a run that came from
    a span gets that span's resource back. Raises InvalidRunError for a dict that is not a run.
    """
    return [to_readable_span(record) for record in runs_to_records(runs, resource=resource)]


__all__ = ["RunLike", "as_run", "runs_to_records", "runs_to_spans"]
