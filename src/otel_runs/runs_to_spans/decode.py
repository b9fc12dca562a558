"""How a span made by `runs_to_spans` reads back as run fields: one function per field.

`restore.py` uses these on spans -> runs to give a marked span its exact run back. `record.py`
uses the same functions while it writes a span, to see which fields would not come back
exactly from the standard attributes; only those go into the `otel_runs.run_fields` attribute.
One set of rules, so the two sides cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from uuid import UUID

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.convert.leftovers import cap
from otel_runs.convert.map_span import USAGE_RUN_TYPES
from otel_runs.convert.times import iso_time_ns
from otel_runs.dialects.coerce import loads, to_jsonable
from otel_runs.dotted_order import SEGMENT_LEN
from otel_runs.model.span_record import AttributeValue, EventRecord


class Reader:
    """A marked span's attributes; keys whose value a kept original attribute shadowed read
    from the residue's `collisions` instead."""

    __slots__ = ("attrs", "collisions")

    def __init__(
        self, attrs: Mapping[str, AttributeValue], collisions: Mapping[str, Any] | None = None
    ) -> None:
        self.attrs = attrs
        self.collisions = collisions or {}

    def get(self, key: str) -> Any:
        if key in self.collisions:
            return self.collisions[key]
        return self.attrs.get(key)


Getter = Reader | Mapping[str, Any]
"""What the field readers take: a `Reader`, or the attributes themselves when no kept
attribute shadows one of ours (reading them needs no detour then)."""


def reader(attrs: Mapping[str, AttributeValue], collisions: Mapping[str, Any]) -> Getter:
    """A `Reader` when there are collisions, else the attributes themselves."""
    return Reader(attrs, collisions) if collisions else attrs


def tags(raw: object) -> list[str]:
    """`langsmith.span.tags` as LangSmith's ingest reads it: comma-separated, trimmed."""
    if isinstance(raw, str):
        return [t.strip() for t in raw.split(",") if t.strip()]
    if isinstance(raw, (list, tuple)):
        return [str(t) for t in raw]
    return []


_TAGS_READ: dict[str, tuple[str, ...]] = {}
_MAX_TAGS_READ: Final = 256


def tags_read_back(raw: object, expected: object) -> bool:
    """`tags(raw) == expected`, remembering what a tags text reads as (the runs of an app share
    a few tag sets)."""
    if not isinstance(raw, str):
        return tags(raw) == expected
    found = _TAGS_READ.get(raw)
    if found is None:
        if len(_TAGS_READ) >= _MAX_TAGS_READ:
            _TAGS_READ.clear()
        found = _TAGS_READ[raw] = tuple(tags(raw))
    return isinstance(expected, list) and tuple(expected) == found


def meta_value(value: object) -> Any:
    """A `langsmith.metadata.*` value as spans -> runs reads it: JSON objects and arrays written
    as text are decoded, anything else stays as it is."""
    if isinstance(value, str):
        decoded = loads(value)
        if isinstance(decoded, (dict, list)):
            return decoded
    return to_jsonable(value)


def metadata(reader: Reader) -> dict[str, Any]:
    """Every `langsmith.metadata.*` attribute, prefix removed, in attribute order."""
    cut = len(ls.METADATA_PREFIX)
    out = {}
    for key in reader.attrs:
        if key.startswith(ls.METADATA_PREFIX):
            out[key[cut:]] = meta_value(reader.get(key))
    return out


def json_object(raw: object) -> dict[str, Any] | None:
    """`gen_ai.prompt` / `gen_ai.completion`: the whole inputs or outputs as JSON text."""
    decoded = loads(raw) if isinstance(raw, str) else None
    return decoded if isinstance(decoded, dict) else None


def time_text(time_ns: int) -> str:
    """A run-event time, as spans -> runs writes it (microseconds, UTC): `format_datetime`'s
    text, built from the per-second cache of `convert.times` (a datetime's `isoformat` costs
    five times as much)."""
    return iso_time_ns(time_ns)


def events(records: Sequence[EventRecord]) -> list[dict[str, Any]]:
    """Span events as run events, in span order, written as spans -> runs writes them."""
    return [_event(event) for event in records]


def _event(event: EventRecord) -> dict[str, Any]:
    out = {"name": event.name, "time": time_text(event.time_ns)}
    if event.attributes:
        out["kwargs"] = cap(to_jsonable(event.attributes))
    return out


def events_read_back(records: Sequence[EventRecord], expected: Sequence[Any]) -> bool:
    """`events(records) == expected`, without building the events that have no attributes
    (most of them: a streamed token, a first token)."""
    if not isinstance(expected, list) or len(records) != len(expected):
        return False
    for event, given in zip(records, expected, strict=True):
        if not isinstance(given, dict):
            return False
        if event.attributes:
            if _event(event) != given:
                return False
        elif not (
            len(given) == 2
            and given.get("name") == event.name
            and given.get("time") == time_text(event.time_ns)
        ):
            return False
    return True


def _count(value: object) -> int | None:
    return value if type(value) is int else None


def tokens(reader: Getter, run_type: str) -> tuple[int | None, int | None, int | None]:
    """prompt, completion and total tokens: the usage attributes of a model call, else none."""
    if run_type not in USAGE_RUN_TYPES:
        return None, None, None
    return (
        _count(reader.get(g.USAGE_INPUT_TOKENS)),
        _count(reader.get(g.USAGE_OUTPUT_TOKENS)),
        _count(reader.get(g.USAGE_TOTAL_TOKENS)),
    )


def dotted_ids(dotted_order: object) -> list[str] | None:
    """The run-id texts of a dotted_order's segments, or None when it does not have the shape
    of one (58-character segments, `...Z<uuid>`). Times are not checked: only the ids are read."""
    if not isinstance(dotted_order, str) or not dotted_order:
        return None
    parts = dotted_order.split(".")
    for part in parts:
        if len(part) != SEGMENT_LEN or part[21] != "Z":
            return None
    return [part[22:] for part in parts]


def lineage(
    reader: Getter, otel_trace_id: int, otel_parent_span_id: int | None
) -> tuple[str, str | None, list[str]]:
    """trace_id, parent_run_id and parent_run_ids, as UUID texts.

    Explicit `langsmith.trace.id` / `langsmith.span.parent_id` win; otherwise the
    dotted_order's first and penultimate segments; otherwise the OTel ids as UUIDs.
    parent_run_ids are the dotted_order's ancestors (none when it has no dotted_order shape).
    A text that is not a UUID reads as missing (restore) and never equals a run's id (the
    check runs -> spans makes), so such runs carry the field in the residue.
    """
    ids = dotted_ids(reader.get(ls.SPAN_DOTTED_ORDER))
    trace = reader.get(ls.TRACE_ID)
    if not isinstance(trace, str):
        trace = ids[0] if ids else str(UUID(int=otel_trace_id))
    parent = reader.get(ls.SPAN_PARENT_ID)
    if not isinstance(parent, str):
        if ids is not None:
            parent = ids[-2] if len(ids) > 1 else None
        elif otel_parent_span_id is not None:
            parent = str(UUID(int=otel_parent_span_id))
    return trace, parent, (ids[:-1] if ids else [])
