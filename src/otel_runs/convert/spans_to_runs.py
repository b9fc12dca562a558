"""The spans -> runs entry points: validate, filter, map each span, assemble the trees.

    records ──validate──> RunData.checked (record, plan, identity) ──keep──> map_span
        (fills the same RunData in) ──> tree.assemble: RunData, in dotted_order order

`convert_batch` is the engine's one pass, used by every path (exporter, receiver, files);
`convert_records`, `convert_spans` and `spans_to_runs` make `Run` objects of its result for
callers of the public API.
"""

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
from otel_runs.convert.map_span import map_span
from otel_runs.convert.plan import plan_of
from otel_runs.convert.run_data import Batch, RunData
from otel_runs.convert.tree import Lineage, assemble, reparent
from otel_runs.convert.validate import problem
from otel_runs.errors import InvalidSpanError
from otel_runs.guard import report
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


@dataclass(slots=True)
class Converted:
    """What the engine made of a batch: `Conversion` with `RunData` instead of `Run`s."""

    runs: list[RunData] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    filtered: int = 0
    pending: int = 0

    def public(self) -> Conversion:
        """As the public API returns it. The runs' data move into the `Run`s, so the result is
        not used again (`RunData.fold_priced`)."""
        uuids: dict[str, UUID] = {}
        runs = []
        for run in self.runs:
            run.fold_priced()
            runs.append(run.to_run(uuids))
        return Conversion(runs, self.rejected, self.filtered, self.pending)


def is_genai(record: SpanRecord) -> bool:
    """Whether any attribute or event belongs to a GenAI convention."""
    if any(key.startswith(GENAI_KEY_PREFIXES) for key in record.attributes):
        return True
    return any(event.name.startswith(GENAI_EVENT_PREFIXES) for event in record.events)


def keep_predicate(keep: Keep) -> Callable[[SpanRecord], bool] | None:
    """The predicate a `keep` value stands for; None keeps everything."""
    if keep == "all":
        return None
    if keep == "genai":
        return is_genai
    if callable(keep):
        return keep
    raise ValueError(f"keep must be 'all', 'genai' or a callable, not {keep!r}")


def reject(record: object, reason: str) -> Rejection:
    """A rejection naming whatever ids and name the record has."""
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


def is_pending(record: SpanRecord) -> bool:
    """A Logfire pending-span placeholder: never a run."""
    return record.attributes.get(LOGFIRE_SPAN_TYPE) == PENDING_SPAN


def check(record: SpanRecord, result: Converted) -> RunData | None:
    """The span with its plan and identity (`RunData.checked`, to be mapped), or None after
    counting it in `result` (rejected with its reason, or a Logfire placeholder)."""
    reason = problem(record)
    if reason is not None:
        result.rejected.append(reject(record, reason))
        return None
    plan = plan_of(record)
    if plan.pending and is_pending(record):
        result.pending += 1
        return None
    if not plan.identity:  # (the usual span: its own ids, no Identity made)
        return RunData.checked(record, plan, record.span_id, record.parent_span_id, None)
    return RunData.checked(record, plan, *identity(record))


def convert_batch(
    checked: list[RunData],
    result: Converted,
    *,
    keep: Keep = "all",
    max_value_chars: int = MAX_VALUE_CHARS,
    known: Mapping[int, Lineage | None] | None = None,
    first_genai: dict[str, tuple[str, str]] | None = None,
) -> Converted:
    """Map and assemble checked spans into `result.runs` (in dotted_order order).

    `known` gives the lineage of runs emitted in earlier batches, None for a filtered-out run
    with no kept ancestor; `first_genai` the first GenAI run of traces whose root is still to
    come (see `tree.assemble`).
    """
    if keep != "all":
        checked = _kept(checked, keep, result)
    runs = []
    for item in checked:
        record = item.record
        try:
            runs.append(map_span(item, max_value_chars))
        except Exception as exc:  # one span's bug must not cost its neighbours
            assert record is not None  # (held until mapped)
            report(exc, "converting span %s", span_id_hex(record.span_id))
            result.rejected.append(reject(record, "internal error while converting; see logs"))
    ordered = assemble(runs, known, first_genai)
    batch = Batch(ordered)
    for run in ordered:
        run.batch = batch
        if run.record is not None:
            restore(run)
    result.runs = ordered
    return result


def _kept(checked: list[RunData], keep: Keep, result: Converted) -> list[RunData]:
    """The spans the keep filter keeps, each re-parented to its nearest kept ancestor."""
    predicate = keep_predicate(keep)
    identities = {item.key: Identity(item.key, item.parent_key, item.stamp) for item in checked}
    if keep == "genai":
        kept = {item.key for item in checked if item.plan.genai}
    else:
        assert predicate is not None
        kept = {item.key for item in checked if predicate(_span_of(item))}
    result.filtered = sum(1 for item in checked if item.key not in kept)
    identities = reparent(identities, kept)
    out = []
    for item in checked:
        if item.key in kept:  # (a re-sent span takes the identity of its last copy)
            ident = identities[item.key]
            item.parent_key, item.stamp = ident.parent, ident.dotted_order
            item.lineage = False
            out.append(item)
    return out


def _span_of(item: RunData) -> SpanRecord:
    record = item.record
    assert record is not None  # (held until mapped)
    return record


def restore(run: RunData) -> None:
    """Give a span made by runs -> spans its exact run back (idempotent)."""
    assert run.record is not None
    target = run.restored if run.restored is not None else run.to_run()
    finish(run.record, target)
    run.restored = target


def convert_records(
    records: Iterable[SpanRecord],
    *,
    keep: Keep = "all",
    max_value_chars: int = MAX_VALUE_CHARS,
    known: Mapping[int, Lineage | None] | None = None,
) -> Conversion:
    """Neutral span records to runs; bad spans are rejected with a reason, the rest convert."""
    result = Converted()
    checked = [found for record in records if (found := check(record, result)) is not None]
    convert_batch(checked, result, keep=keep, max_value_chars=max_value_chars, known=known)
    return result.public()


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
            rejected.append(reject(getattr(span, "context", None) or span, str(exc)))
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
