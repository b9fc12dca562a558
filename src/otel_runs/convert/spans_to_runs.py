"""The spans -> runs entry point: validate, filter, map each span, assemble the trees."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from opentelemetry.sdk.trace import ReadableSpan

from otel_runs.conventions.families import GENAI_EVENT_PREFIXES, GENAI_KEY_PREFIXES
from otel_runs.conventions.pydantic_ai import LOGFIRE_SPAN_TYPE, PENDING_SPAN
from otel_runs.convert.from_sdk import record_from_span
from otel_runs.convert.identity import Identity, identity
from otel_runs.convert.leftovers import MAX_VALUE_CHARS
from otel_runs.convert.span_to_run import span_to_run
from otel_runs.convert.tree import Lineage, assemble, reparent
from otel_runs.convert.validate import problem
from otel_runs.errors import InvalidSpanError
from otel_runs.guard import internal_errors
from otel_runs.ids import span_id_hex, trace_id_hex
from otel_runs.model.run import Run
from otel_runs.model.span_record import SpanRecord
from otel_runs.runs_to_spans.restore import finish

_logger = logging.getLogger(__name__)

SpanLike = ReadableSpan | SpanRecord
Keep = Literal["all", "genai"] | Callable[[SpanRecord], bool]
"""Which spans become runs: all, GenAI-related ones, or those a predicate accepts."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A span that could not become a run, and why."""

    trace_id: str
    span_id: str
    name: str
    reason: str


@dataclass(slots=True)
class Conversion:
    """Runs in dotted_order order, the spans rejected, and how many were left out on purpose."""

    runs: list[Run] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    filtered: int = 0
    """Spans the keep filter left out (their kept descendants were re-parented)."""
    pending: int = 0
    """Logfire pending-span placeholders, which never become runs."""


def is_genai(record: SpanRecord) -> bool:
    """Whether any attribute or event belongs to a GenAI convention."""
    if any(key.startswith(GENAI_KEY_PREFIXES) for key in record.attributes):
        return True
    return any(event.name.startswith(GENAI_EVENT_PREFIXES) for event in record.events)


def _keep_predicate(keep: Keep) -> Callable[[SpanRecord], bool] | None:
    if keep == "all":
        return None
    if keep == "genai":
        return is_genai
    if callable(keep):
        return keep
    raise ValueError(f"keep must be 'all', 'genai' or a callable, not {keep!r}")


def _reject(record: object, reason: str) -> Rejection:
    trace_id = getattr(record, "trace_id", None)
    span_id = getattr(record, "span_id", None)
    return Rejection(
        trace_id=trace_id_hex(trace_id)
        if isinstance(trace_id, int) and trace_id >= 0
        else repr(trace_id),
        span_id=span_id_hex(span_id)
        if isinstance(span_id, int) and span_id >= 0
        else repr(span_id),
        name=str(getattr(record, "name", "")),
        reason=reason,
    )


def convert_records(
    records: Iterable[SpanRecord],
    *,
    keep: Keep = "all",
    max_value_chars: int = MAX_VALUE_CHARS,
    known: Mapping[UUID, Lineage | None] | None = None,
) -> Conversion:
    """Neutral span records to runs; bad spans are rejected with a reason, the rest convert.

    `known` gives the lineage of runs emitted in earlier batches, None for a filtered-out run
    with no kept ancestor (see `tree.assemble`).
    """
    result = Conversion()
    valid: list[tuple[SpanRecord, Identity]] = []
    for record in records:
        reason = problem(record)
        if reason is not None:
            result.rejected.append(_reject(record, reason))
        elif is_pending(record):
            result.pending += 1
        else:
            valid.append((record, identity(record)))
    return convert_checked(valid, result, keep=keep, max_value_chars=max_value_chars, known=known)


def is_pending(record: SpanRecord) -> bool:
    """A Logfire pending-span placeholder: never a run."""
    return record.attributes.get(LOGFIRE_SPAN_TYPE) == PENDING_SPAN


def convert_checked(
    valid: list[tuple[SpanRecord, Identity]],
    result: Conversion,
    *,
    keep: Keep = "all",
    max_value_chars: int = MAX_VALUE_CHARS,
    known: Mapping[UUID, Lineage | None] | None = None,
) -> Conversion:
    """`convert_records` for records already validated, with their identities."""
    predicate = _keep_predicate(keep)
    identities = {ident.run_id: ident for _, ident in valid}
    if predicate is not None:
        kept = {ident.run_id for record, ident in valid if predicate(record)}
        result.filtered = sum(1 for _, ident in valid if ident.run_id not in kept)
        identities = reparent(identities, kept)
        valid = [(r, identities[i.run_id]) for r, i in valid if i.run_id in kept]
    drafts = []
    for record, ident in valid:
        with internal_errors("converting span %s", span_id_hex(record.span_id)) as failed:
            drafts.append(span_to_run(record, ident, max_value_chars=max_value_chars))
        if failed:
            result.rejected.append(_reject(record, "internal error while converting; see logs"))
    ordered = assemble(drafts, known)
    for draft in ordered:
        finish(draft.record, draft.run)  # spans made by runs_to_spans give their exact run back
    result.runs = [draft.run for draft in ordered]
    return result


def convert_spans(spans: Iterable[SpanLike], *, keep: Keep = "all") -> Conversion:
    """Finished SDK spans (or span records) to runs, with the rejected spans and their reasons."""
    records: list[SpanRecord] = []
    rejected: list[Rejection] = []
    for span in spans:
        if isinstance(span, SpanRecord):
            records.append(span)
            continue
        try:
            records.append(record_from_span(span))
        except InvalidSpanError as exc:
            rejected.append(_reject(getattr(span, "context", None) or span, str(exc)))
    result = convert_records(records, keep=keep)
    result.rejected[:0] = rejected
    return result


def spans_to_runs(spans: Iterable[SpanLike], *, keep: Keep = "all") -> list[Run]:
    """Finished spans to LangSmith runs in dotted_order order.

    Every valid span becomes a run (or only the kept ones, re-parented to their nearest kept
    ancestor). Invalid spans are skipped and logged with their reason; `convert_spans` returns
    the rejections as values.
    """
    result = convert_spans(spans, keep=keep)
    for rejection in result.rejected:
        _logger.warning(
            "span %s of trace %s (%r) rejected: %s",
            rejection.span_id, rejection.trace_id, rejection.name, rejection.reason,
        )  # fmt: skip
    return result.runs
