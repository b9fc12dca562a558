"""Checks that make a span unusable as a run; each failure has a reason a person can act on."""

from __future__ import annotations

from otel_runs.ids import SPAN_ID_BITS, TRACE_ID_BITS, span_id_hex, valid_span_id, valid_trace_id
from otel_runs.model.span_record import SpanRecord

_YEAR_2000_NS = 946_684_800 * 10**9
_YEAR_3000_NS = 32_503_680_000 * 10**9


_TRACE_LIMIT = 1 << TRACE_ID_BITS  # the ranges valid_trace_id / valid_span_id allow
_SPAN_LIMIT = 1 << SPAN_ID_BITS


def problem(record: SpanRecord) -> str | None:
    """Why the span cannot become a run, or None when it can."""
    trace_id, span_id, parent = record.trace_id, record.span_id, record.parent_span_id
    start, end = record.start_ns, record.end_ns
    if (  # the usual span, at a glance (every check below passes); else each check in turn
        type(trace_id) is int
        and 0 < trace_id < _TRACE_LIMIT
        and type(span_id) is int
        and 0 < span_id < _SPAN_LIMIT
        and (parent is None or (type(parent) is int and 0 < parent < _SPAN_LIMIT))
        and parent != span_id
        and type(start) is int
        and type(end) is int
        and _YEAR_2000_NS <= start <= end <= _YEAR_3000_NS
    ):
        return None
    if not isinstance(record.trace_id, int) or not valid_trace_id(record.trace_id):
        return f"invalid trace id {record.trace_id!r}: must be 16 bytes and not all zero"
    if not isinstance(record.span_id, int) or not valid_span_id(record.span_id):
        return f"invalid span id {record.span_id!r}: must be 8 bytes and not all zero"
    parent = record.parent_span_id
    if parent is not None and (not isinstance(parent, int) or not valid_span_id(parent)):
        return f"invalid parent span id {parent!r}: must be 8 bytes and not all zero"
    if parent == record.span_id:
        return f"span {span_id_hex(record.span_id)} is its own parent"
    start, end = record.start_ns, record.end_ns
    if not isinstance(start, int) or not isinstance(end, int):
        return "start and end times must be integer nanoseconds"
    if not _YEAR_2000_NS <= start <= _YEAR_3000_NS:
        return f"impossible start time {start} ns (outside years 2000-3000)"
    if end < start:
        return f"impossible times: end {end} ns is before start {start} ns"
    if end > _YEAR_3000_NS:
        return f"impossible end time {end} ns"
    return None
