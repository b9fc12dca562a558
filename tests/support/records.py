"""Hand-made span records for unit tests of single rules (real instrumentations live elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_runs import EventRecord, SpanRecord

T0 = 1_763_800_000_000_000_000
"""A fixed start time (2025-11-22), in ns."""
TRACE = 0x0123456789ABCDEF0123456789ABCDEF


def record(
    span_id: int,
    parent: int | None = None,
    *,
    name: str = "span",
    start: int = 0,
    duration: int = 1_000_000,
    attributes: Mapping[str, Any] | None = None,
    events: tuple[EventRecord, ...] = (),
    trace_id: int = TRACE,
    status: str = "UNSET",
    status_message: str = "",
) -> SpanRecord:
    """A finished span starting `start` ns after T0."""
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        start_ns=T0 + start,
        end_ns=T0 + start + duration,
        attributes=dict(attributes or {}),
        events=events,
        status_code=status,
        status_message=status_message,
    )
