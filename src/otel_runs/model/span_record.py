"""The neutral span record both entry paths produce.

SDK `ReadableSpan`s and OTLP wire spans are both turned into a `SpanRecord`, and one converter
turns records into runs, so the processor, the exporter and the receiver share all mapping code.
Ids are plain ints (trace id 128-bit, span id 64-bit); times are integer Unix nanoseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

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
