"""A span's run identity: derived from its ids, overridden by `langsmith.*` attributes."""

from __future__ import annotations

from typing import NamedTuple
from uuid import UUID

from otel_runs.conventions import langsmith as ls
from otel_runs.dialects.coerce import as_bool, as_str
from otel_runs.ids import parse_uuid, run_id_from_span_id
from otel_runs.model.span_record import SpanRecord

IDENTITY_KEYS = (
    ls.SPAN_ID, ls.SPAN_PARENT_ID, ls.TRACE_ID, ls.SPAN_DOTTED_ORDER, ls.IS_ROOT, ls.ROOT_SPAN,
)  # fmt: skip


_IDENTITY_KEY_SET = frozenset(IDENTITY_KEYS)


class Identity(NamedTuple):
    """Who a run is and who it says its parent is, before the tree is built. (A tuple: built
    for every span, and a tuple is three times cheaper to build than a frozen dataclass.)"""

    run_id: UUID
    parent_id: UUID | None
    forced_root: bool
    trace_id: UUID | None
    dotted_order: str | None


def identity(record: SpanRecord) -> Identity:
    """Run id = zero-padded span id unless `langsmith.span.id` says otherwise; likewise parent."""
    attrs = record.attributes
    if _IDENTITY_KEY_SET.isdisjoint(attrs):  # no langsmith.* identity: the ids decide alone
        parent = record.parent_span_id
        return Identity(
            run_id_from_span_id(record.span_id),
            run_id_from_span_id(parent) if parent is not None else None,
            False,
            None,
            None,
        )
    run_id = parse_uuid(attrs.get(ls.SPAN_ID)) or run_id_from_span_id(record.span_id)
    forced_root = bool(as_bool(attrs.get(ls.IS_ROOT)) or as_bool(attrs.get(ls.ROOT_SPAN)))
    parent_id = parse_uuid(attrs.get(ls.SPAN_PARENT_ID))
    if parent_id is None and record.parent_span_id is not None:
        parent_id = run_id_from_span_id(record.parent_span_id)
    if forced_root:
        parent_id = None
    return Identity(
        run_id=run_id,
        parent_id=parent_id,
        forced_root=forced_root,
        trace_id=parse_uuid(attrs.get(ls.TRACE_ID)),
        dotted_order=as_str(attrs.get(ls.SPAN_DOTTED_ORDER)),
    )
