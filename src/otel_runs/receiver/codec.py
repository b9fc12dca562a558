"""Span records and log events <-> the compact bytes the spool stores, one blob per request
(and the lineages of delivered runs, one blob per mark).

The encoding is `marshal` (format version 4, readable by every Python since 3.4) of plain
tuples, lists and dicts, tagged with our own format number. Why marshal:

- It is the fastest serializer in the standard library for exactly the value types a span
  holds (str, int of any size, float including NaN and infinities, bool, None, bytes, tuple,
  list, dict), and it round-trips them exactly: a 128-bit trace id, a tuple-valued attribute
  and a list-valued one all come back as they went in.
- One `dumps` per request writes a resource dict shared by many spans once (marshal keeps
  references within one call), and `loads` shares it again, as the OTLP decoder does; the same
  goes for the attribute keys, short values and names the decoder shares between the spans of
  a request (a third of the blob on GenAI-like spans).
- It cannot run code when loading, unlike pickle.

The spool is a private file of the receiver, not an exchange format: a spool written by one
otel-runs version is only ever read by the same or a later one, and `FORMAT` changes when the
tuple layout does (`decode_*` refuses an unknown format with `CodecError`).

Values marshal cannot write (a `Mapping` that is not a dict, a str or int subclass, an SDK
`BoundedAttributes`) are normalized to plain types first, only when the fast path fails.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from otel_runs.convert.tree import Lineage
from otel_runs.model.span_record import (
    EventRecord,
    LinkRecord,
    SpanRecord,
    new_event_record,
    new_link_record,
    new_span_record,
)
from otel_runs.receiver.intake import LogEvent

FORMAT: Final = 1
"""Layout version of the tuples below; stored in every blob."""
_MARSHAL_VERSION: Final = 4

_SPANS: Final = 1
_LOGS: Final = 2
_LINEAGE: Final = 3
_LINEAGES: Final = 4


class CodecError(ValueError):
    """A spool blob that is not in a format this version reads (or is damaged)."""


def _event(event: EventRecord) -> tuple[Any, ...]:
    return (event.name, event.time_ns, event.attributes)


def _link(link: LinkRecord) -> tuple[Any, ...]:
    return (link.trace_id, link.span_id, link.attributes)


def _span(r: SpanRecord) -> tuple[Any, ...]:
    return (
        r.trace_id, r.span_id, r.parent_span_id, r.name, r.start_ns, r.end_ns, r.attributes,
        tuple([_event(e) for e in r.events]) if r.events else (),
        tuple([_link(k) for k in r.links]) if r.links else (),
        r.kind, r.status_code, r.status_message, r.resource, r.scope_name, r.scope_version,
        r.parent_is_remote, r.trace_state, r.dropped_attributes, r.dropped_events,
        r.dropped_links,
    )  # fmt: skip


def _dumps(kind: int, items: list[tuple[Any, ...]]) -> bytes:
    payload = (FORMAT, kind, items)
    try:
        return marshal.dumps(payload, _MARSHAL_VERSION)
    except ValueError:  # a value of a type marshal does not write: normalize, then retry
        return marshal.dumps(_plain(payload), _MARSHAL_VERSION)


def encode_spans(records: Iterable[SpanRecord]) -> bytes:
    """One request's span records as one blob."""
    return _dumps(_SPANS, [_span(record) for record in records])


def encode_log_events(events: Iterable[LogEvent]) -> bytes:
    """One request's span-bound log events as one blob."""
    return _dumps(_LOGS, [(e.trace_id, e.span_id, *_event(e.event)) for e in events])


def _loads(blob: bytes, kind: int) -> list[tuple[Any, ...]]:
    try:
        payload = marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as exc:
        raise CodecError(f"spool blob is damaged: {exc}") from exc
    if not (isinstance(payload, tuple) and len(payload) == 3):
        raise CodecError("spool blob has no format header")
    version, found, items = payload
    if version != FORMAT or found != kind:
        raise CodecError(f"spool blob has format {version}/{found}; this version reads {FORMAT}")
    if not isinstance(items, list):
        raise CodecError("spool blob holds no item list")
    return items


def _events(items: tuple[tuple[Any, ...], ...]) -> tuple[EventRecord, ...]:
    return tuple([new_event_record(name, time_ns, attrs) for name, time_ns, attrs in items])


def decode_spans(blob: bytes) -> list[SpanRecord]:
    """The span records of one blob, in request order. Raises CodecError."""
    records = []
    try:
        for (
            trace_id, span_id, parent, name, start, end, attributes, events, links, kind,
            status_code, status_message, resource, scope_name, scope_version, remote,
            trace_state, dropped_attributes, dropped_events, dropped_links,
        ) in _loads(blob, _SPANS):  # fmt: skip
            record = new_span_record(
                trace_id, span_id, parent, name, start, end, attributes,
                _events(events) if events else (),
                tuple([new_link_record(*link) for link in links]) if links else (),
                kind, status_code, status_message, resource, scope_name, scope_version,
                remote, trace_state, dropped_attributes, dropped_events, dropped_links,
            )  # fmt: skip
            records.append(record)
    except (TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"spool blob has a malformed span: {exc}") from exc
    return records


def decode_log_events(blob: bytes) -> list[LogEvent]:
    """The log events of one blob, in request order. Raises CodecError."""
    try:
        return [
            LogEvent(trace_id, span_id, EventRecord(name, time_ns, attrs))
            for trace_id, span_id, name, time_ns, attrs in _loads(blob, _LOGS)
        ]
    except (TypeError, ValueError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"spool blob has a malformed log event: {exc}") from exc


def decode_lineage(blob: bytes) -> Lineage:
    """The lineage of one run as schema-1 spools stored it (one blob per run). Raises
    CodecError."""
    try:
        [(dotted_order, segment_us, thread_id, user_id, project)] = _loads(blob, _LINEAGE)
        return Lineage(dotted_order, segment_us, thread_id, user_id, tuple(map(tuple, project)))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"spool blob has a malformed lineage: {exc}") from exc


def encode_lineages(items: Iterable[tuple[int, int, Lineage]]) -> bytes:
    """Lineages of delivered runs, each with its run id and OTel trace id (the trace id says
    which worker's partition it belongs to), as one blob."""
    # A Lineage is a tuple: dotted_order, segment_us, thread_id, user_id, project.
    return _dumps(_LINEAGES, [(key, trace_id, *lineage) for key, trace_id, lineage in items])


def decode_lineages(blob: bytes) -> list[tuple[int, int, Lineage]]:
    """(run id, trace id, lineage) of one blob, in the order written. Raises CodecError."""
    try:
        return [
            (key, trace_id, Lineage(dotted, segment, thread, user, tuple(map(tuple, project))))
            for key, trace_id, dotted, segment, thread, user, project in _loads(blob, _LINEAGES)
        ]
    except (TypeError, ValueError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"spool blob has a malformed lineage: {exc}") from exc


def _plain(value: Any) -> Any:
    """`value` with every container and scalar turned into the exact builtin type marshal
    writes; a type no attribute may hold becomes its `str`, so one odd value loses no span."""
    if value is None or type(value) in (str, int, float, bool, bytes):
        return value
    if isinstance(value, str):
        return str.__str__(value)  # the text itself, also for a str-based Enum
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Sequence):
        return tuple([_plain(v) for v in value])
    return str(value)
