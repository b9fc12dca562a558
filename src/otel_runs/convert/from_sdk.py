"""OpenTelemetry SDK `ReadableSpan` -> `SpanRecord`."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, SpanKind, StatusCode

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


def _span_attrs(span: ReadableSpan) -> Attributes:
    """The span's attributes as a dict. The public property wraps the SDK's BoundedAttributes in
    a read-only proxy whose iteration takes a lock and calls Python code per key; copying the
    dict underneath is several times cheaper. A finished span's attributes no longer change."""
    inner = getattr(getattr(span, "_attributes", None), "_dict", None)
    if type(inner) is dict:
        return dict(inner)
    return _attrs(span.attributes)


# A finished span's events and links, read without the public properties' copies: those go
# through the SDK's BoundedList, which takes a lock and runs Python code per item, even when
# there is none. A finished span's lists no longer change.
def _events(span: ReadableSpan) -> Sequence[Event]:
    inner = getattr(getattr(span, "_events", None), "_dq", None)
    return inner if type(inner) is deque else span.events


def _links(span: ReadableSpan) -> Sequence[Link]:
    inner = getattr(getattr(span, "_links", None), "_dq", None)
    return inner if type(inner) is deque else span.links


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


def record_from_span(span: ReadableSpan) -> SpanRecord:
    """Copy what a run needs out of a finished SDK span; raise InvalidSpanError if unfinished."""
    context = span.context
    if context is None:
        raise InvalidSpanError(f"span {span.name!r} has no span context")
    if span.start_time is None or span.end_time is None:
        raise InvalidSpanError(f"span {span.name!r} has not ended")
    parent = span.parent
    status = span.status
    scope = span.instrumentation_scope
    resource = span.resource
    events = _events(span)
    links = _links(span)
    return new_span_record(  # positional, in field order: the fast constructor
        context.trace_id,
        context.span_id,
        parent.span_id if parent is not None and parent.span_id else None,
        span.name,
        span.start_time,
        span.end_time,
        _span_attrs(span),
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
        _STATUS_NAMES.get(status.status_code) or status.status_code.name,
        status.description or "",
        _resource_attributes(resource) if resource is not None else {},
        scope.name if scope is not None else "",
        (scope.version or "") if scope is not None else "",
        parent.is_remote if parent is not None else None,
        context.trace_state.to_header() if context.trace_state else "",
        span.dropped_attributes,
        span.dropped_events,
        span.dropped_links,
    )
