"""The neutral span record both entry paths produce.

SDK `ReadableSpan`s and OTLP wire spans are both turned into a `SpanRecord`, and one converter
turns records into runs, so the processor, the exporter and the receiver share all mapping code.
Ids are plain ints (trace id 128-bit, span id 64-bit); times are integer Unix nanoseconds.

The records are frozen dataclasses. Decoders build one per span, and a frozen dataclass's
`__init__` pays an `object.__setattr__` call per field (a keyword call about 2 us for a
`SpanRecord`), so `new_span_record` / `new_event_record` build the very same objects about
seven times faster: they fill a writable twin class with the same slots and then switch the
instance's `__class__`, which CPython allows between classes of identical layout. The result is
an ordinary frozen record (equality, hashing, `dataclasses.replace`, FrozenInstanceError).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

AttributeValue: TypeAlias = (
    str
    | bool
    | int
    | float
    | bytes
    | Sequence["AttributeValue"]
    | Mapping[str, "AttributeValue"]
    | None
)
"""What an attribute may hold: OTel primitives, homogeneous lists, and OTLP kvlists as mappings."""

Attributes = Mapping[str, AttributeValue]


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A span event: name, time and attributes."""

    name: str
    time_ns: int
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A link to another span."""

    trace_id: int
    span_id: int
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One finished span, independent of where it came from."""

    trace_id: int
    span_id: int
    parent_span_id: int | None
    name: str
    start_ns: int
    end_ns: int
    attributes: Attributes = field(default_factory=dict)
    events: tuple[EventRecord, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    kind: str = "INTERNAL"
    status_code: str = "UNSET"
    status_message: str = ""
    resource: Attributes = field(default_factory=dict)
    scope_name: str = ""
    scope_version: str = ""
    parent_is_remote: bool | None = None
    trace_state: str = ""
    dropped_attributes: int = 0
    dropped_events: int = 0
    dropped_links: int = 0


# --- fast construction ------------------------------------------------------------------------


def _writable_twin(cls: type[Any]) -> type[Any]:
    """A class with the slots of `cls` (same names, same order) and plain attribute stores."""
    return type(f"_{cls.__name__}Draft", (), {"__slots__": cls.__slots__})


_SpanDraft: Final = _writable_twin(SpanRecord)
_EventDraft: Final = _writable_twin(EventRecord)
_LinkDraft: Final = _writable_twin(LinkRecord)
_set_class: Final = object.__setattr__


def new_span_record(  # noqa: PLR0917 - positional on purpose: a keyword call costs ~3x more
    trace_id: int,
    span_id: int,
    parent_span_id: int | None,
    name: str,
    start_ns: int,
    end_ns: int,
    attributes: Attributes,
    events: tuple[EventRecord, ...],
    links: tuple[LinkRecord, ...],
    kind: str,
    status_code: str,
    status_message: str,
    resource: Attributes,
    scope_name: str,
    scope_version: str,
    parent_is_remote: bool | None,
    trace_state: str,
    dropped_attributes: int,
    dropped_events: int,
    dropped_links: int,
    /,
) -> SpanRecord:
    """`SpanRecord(...)` with every field given, in field order, for code that builds many."""
    draft: Any = _SpanDraft()
    draft.trace_id = trace_id
    draft.span_id = span_id
    draft.parent_span_id = parent_span_id
    draft.name = name
    draft.start_ns = start_ns
    draft.end_ns = end_ns
    draft.attributes = attributes
    draft.events = events
    draft.links = links
    draft.kind = kind
    draft.status_code = status_code
    draft.status_message = status_message
    draft.resource = resource
    draft.scope_name = scope_name
    draft.scope_version = scope_version
    draft.parent_is_remote = parent_is_remote
    draft.trace_state = trace_state
    draft.dropped_attributes = dropped_attributes
    draft.dropped_events = dropped_events
    draft.dropped_links = dropped_links
    _set_class(draft, "__class__", SpanRecord)
    record: SpanRecord = draft
    return record


def new_event_record(name: str, time_ns: int, attributes: Attributes, /) -> EventRecord:
    """`EventRecord(name, time_ns, attributes)`, for code that builds many."""
    draft: Any = _EventDraft()
    draft.name = name
    draft.time_ns = time_ns
    draft.attributes = attributes
    _set_class(draft, "__class__", EventRecord)
    record: EventRecord = draft
    return record


def new_link_record(trace_id: int, span_id: int, attributes: Attributes, /) -> LinkRecord:
    """`LinkRecord(trace_id, span_id, attributes)`, for code that builds many."""
    draft: Any = _LinkDraft()
    draft.trace_id = trace_id
    draft.span_id = span_id
    draft.attributes = attributes
    _set_class(draft, "__class__", LinkRecord)
    record: LinkRecord = draft
    return record
