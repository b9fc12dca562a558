"""OpenTelemetry SDK `ReadableSpan` -> `FinishedSpan` -> `SpanRecord`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from otel_runs.errors import InvalidSpanError
from otel_runs.model.span_record import (
    Attributes,
    SpanRecord,
    new_event_record,
    new_link_record,
    new_span_record,
)


def _attrs(attributes: Mapping[str, object] | None) -> Attributes:
    return dict(attributes) if attributes else {}  # type: ignore[arg-type]


def _shared_attrs(attributes: Mapping[str, object] | None) -> Attributes:
    """A finished span's own attribute dict, shared: the SDK never changes it after the span
    ended (its BoundedAttributes are immutable by then). Any other mapping is copied."""
    if type(attributes) is dict:
        return attributes
    return _attrs(attributes)


class FinishedSpan(NamedTuple):
    """What a run needs of a finished SDK span, taken when the span ends.

    `RunSpanProcessor` queues this instead of the span: a queued `ReadableSpan` keeps about ten
    GC-tracked objects alive (itself, its attribute and list wrappers with their locks, its
    deques), this tuple keeps itself, the span context and the status, plus the attribute dict,
    which holds only atomic values and so is not tracked by the collector. When the worker
    falls behind, the backlog is what the app thread's full collections scan
    (docs/benchmarks.md, hot path). A finished span's fields no longer change, so sharing them
    is safe.
    """

    context: SpanContext | None
    parent: SpanContext | None
    name: str
    start_time: int | None
    end_time: int | None
    attributes: Mapping[str, AttributeValue]
    events: Sequence[Event]
    links: Sequence[Link]
    kind: SpanKind
    status: Status
    resource: Resource | None
    instrumentation_scope: InstrumentationScope | None
    dropped_attributes: int
    dropped_events: int
    dropped_links: int
    size: int = 0
    """Bytes it is estimated to keep alive while queued (see `queued_size`); 0 if not sized."""


_SPAN_BYTES: Final = 600
"""What a queued finished span keeps alive besides its values: the tuple, context and status
objects, the attribute dict's table (measured with tracemalloc on 10-attribute spans)."""
_VALUE_BYTES: Final = 60
"""Per attribute: its dict slot, and a number or a short string's object header."""
_EVENT_BYTES: Final = 200


def _values_size(attributes: Mapping[str, Any]) -> int:
    size = _VALUE_BYTES * len(attributes)
    for value in attributes.values():
        kind = type(value)
        if kind is str:
            size += len(value)
        elif kind is tuple or kind is list:
            size += sum([len(item) if type(item) is str else 8 for item in value])
    return size


def queued_size(attributes: Mapping[str, Any], events: Sequence[Event]) -> int:
    """An estimate of the memory a queued finished span keeps alive: its fixed objects plus
    its attribute values (text by length) and its events'. Cheap enough for `on_end`."""
    size = _SPAN_BYTES + _values_size(attributes)
    for event in events:
        size += _EVENT_BYTES + _values_size(event.attributes or {})
    return size


def finished_span(span: ReadableSpan, *, sized: bool = False) -> FinishedSpan:
    """The parts of a finished span a run needs, sharing its attribute dict and event lists.

    Called on the app thread for every span, so the span the SDK hands to processors (exactly
    a `ReadableSpan`) is read field by field (0.3 us): its properties, with the SDK's
    BoundedAttributes and BoundedLists around the dict and deques, cost six times as much. Any
    other span type, or another layout, is read through its public properties.
    """
    if type(span) is not ReadableSpan:
        return _from_properties(span, sized)
    attributes, events, links = span._attributes, span._events, span._links
    if not (
        type(attributes) is BoundedAttributes
        and type(events) is BoundedList
        and type(links) is BoundedList
    ):
        return _from_properties(span, sized)
    values = attributes._dict
    # (an empty deque would be one more tracked object kept alive; `_dq` is typed by a comment
    # mypy does not read)
    event_list = events._dq or ()  # type: ignore[attr-defined]
    return _new_finished_span(  # positional, in field order
        FinishedSpan,
        (
            span._context,
            span._parent,
            span._name,
            span._start_time,
            span._end_time,
            values,
            event_list,
            links._dq or (),  # type: ignore[attr-defined]
            span._kind,
            span._status,
            span._resource,
            span._instrumentation_scope,
            attributes.dropped,
            events.dropped,
            links.dropped,
            queued_size(values, event_list) if sized else 0,
        ),
    )


_new_finished_span = tuple.__new__
"""A NamedTuple's own `__new__` is Python code taking each field by name; this is not."""


def _from_properties(span: ReadableSpan, sized: bool = False) -> FinishedSpan:
    attributes = span.attributes or {}
    return FinishedSpan(
        span.context,
        span.parent,
        span.name,
        span.start_time,
        span.end_time,
        attributes,
        span.events,
        span.links,
        span.kind,
        span.status,
        span.resource,
        span.instrumentation_scope,
        span.dropped_attributes,
        span.dropped_events,
        span.dropped_links,
        queued_size(attributes, span.events) if sized else 0,
    )


# Enum `.name` is a descriptor call; these tables make it a dict look-up.
_KIND_NAMES: dict[object, str] = {kind: kind.name for kind in SpanKind}
_STATUS_NAMES: dict[object, str] = {code: code.name for code in StatusCode}


# A provider's Resource is shared by all its spans: copy its attributes once, and let every
# record share that copy (a plain dict: records must pickle; downstream caches key on it).
_RESOURCES: dict[int, tuple[Resource, Attributes]] = {}


def _resource_attributes(resource: Resource) -> Attributes:
    cached = _RESOURCES.get(id(resource))
    if cached is not None and cached[0] is resource:
        return cached[1]
    if len(_RESOURCES) >= 64:
        _RESOURCES.clear()
    copy = _attrs(resource.attributes)
    _RESOURCES[id(resource)] = (resource, copy)
    return copy


def record_from_span(span: ReadableSpan | FinishedSpan) -> SpanRecord:
    """Copy what a run needs out of a finished span; raise InvalidSpanError if unfinished."""
    if not isinstance(span, FinishedSpan):
        span = finished_span(span)
    context = span.context
    if context is None:
        raise InvalidSpanError(f"span {span.name!r} has no span context")
    if span.start_time is None or span.end_time is None:
        raise InvalidSpanError(f"span {span.name!r} has not ended")
    # The SDK's own context, status and scope are read without their properties (each a Python
    # call, nine a span); any other type through them.
    if type(context) is SpanContext:  # a tuple: (trace_id, span_id, is_remote, flags, state, ok)
        trace_id, span_id, _, _, trace_state, _ = context
    else:
        trace_id, span_id, trace_state = context.trace_id, context.span_id, context.trace_state
    parent = span.parent
    parent_id = parent_remote = None
    if parent is not None:
        if type(parent) is SpanContext:
            parent_id, parent_remote = parent[1], parent[2]
        else:
            parent_id, parent_remote = parent.span_id, parent.is_remote
        parent_id = parent_id or None
    status = span.status
    if type(status) is Status:
        code, description = status._status_code, status._description
    else:
        code, description = status.status_code, status.description
    scope = span.instrumentation_scope
    scope_name = scope_version = ""
    if type(scope) is InstrumentationScope:
        scope_name, scope_version = scope._name, scope._version or ""
    elif scope is not None:
        scope_name, scope_version = scope.name, scope.version or ""
    resource = span.resource
    events = span.events
    links = span.links
    return new_span_record(  # positional, in field order: the fast constructor
        trace_id,
        span_id,
        parent_id,
        span.name,
        span.start_time,
        span.end_time,
        _shared_attrs(span.attributes),
        tuple(new_event_record(e.name, e.timestamp, _attrs(e.attributes)) for e in events)
        if events
        else (),
        tuple(
            new_link_record(link.context.trace_id, link.context.span_id, _attrs(link.attributes))
            for link in links
        )
        if links
        else (),
        _KIND_NAMES.get(span.kind) or span.kind.name,
        _STATUS_NAMES.get(code) or code.name,
        description or "",
        _resource_attributes(resource) if resource is not None else {},
        scope_name,
        scope_version,
        parent_remote,
        trace_state.to_header() if trace_state else "",
        span.dropped_attributes,
        span.dropped_events,
        span.dropped_links,
    )
