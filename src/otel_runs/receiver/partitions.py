"""Which worker process owns a trace: its trace id, hashed, modulo the number of workers.

`otel-runs serve --workers N` splits the conversion work by trace: every span and every log
event of a trace goes to the same partition (the spool keeps one row per request and
partition), so each worker's assembler sees whole traces, as one receiver behind a trace-id
router does (docs/scaling.md). The hash is the CRC-32 of the trace id's 16 bytes, the one the
Collector's loadbalancing exporter routes by: well spread for random ids, and for ids that count
up or carry a timestamp in their first bytes too.

A spool written for one number of partitions is split again when the receiver starts with
another (`resplit`, through `Spool.repartition`); a row it cannot read stays whole.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import Final, TypeVar

from otel_runs.model.span_record import SpanRecord
from otel_runs.receiver.codec import (
    CodecError,
    decode_log_events,
    decode_spans,
    encode_log_events,
    encode_spans,
)
from otel_runs.receiver.intake import LogEvent
from otel_runs.receiver.spool import PartRow, StoredBatch, Table

_MASK128: Final = (1 << 128) - 1

Item = TypeVar("Item", SpanRecord, LogEvent)


def partition_of(trace_id: int, parts: int) -> int:
    """The partition (0 .. parts - 1) of a trace."""
    if parts <= 1:
        return 0
    return zlib.crc32((trace_id & _MASK128).to_bytes(16, "big")) % parts


def split(items: Iterable[Item], parts: int) -> dict[int, list[Item]]:
    """Spans or log events by partition, each list in the order given (one hash per trace)."""
    items = list(items)
    if parts <= 1:
        return {0: items} if items else {}
    out: dict[int, list[Item]] = {}
    seen: dict[int, list[Item]] = {}
    for item in items:
        trace_id = item.trace_id
        bucket = seen.get(trace_id)
        if bucket is None:
            bucket = seen[trace_id] = out.setdefault(partition_of(trace_id, parts), [])
        bucket.append(item)
    return out


def resplit(table: Table, batch: StoredBatch, parts: int) -> Sequence[PartRow] | None:
    """A spooled row's unresolved items as rows for `parts` partitions (for
    `Spool.repartition`); None when the row cannot be read (it stays whole, in partition 0, and
    the worker reading it drops it as unreadable)."""
    try:
        if table == "span_batches":
            spans = [r for i, r in enumerate(decode_spans(batch.body)) if not batch.is_done(i)]
            return [(p, encode_spans(g), len(g)) for p, g in sorted(split(spans, parts).items())]
        events = [e for i, e in enumerate(decode_log_events(batch.body)) if not batch.is_done(i)]
        return [(p, encode_log_events(g), len(g)) for p, g in sorted(split(events, parts).items())]
    except CodecError:
        return None
