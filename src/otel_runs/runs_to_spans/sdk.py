"""`SpanRecord` -> the OTel SDK's `ReadableSpan`, ready for any `SpanExporter`.

Resources and instrumentation scopes are shared between spans with equal ones (the OTLP
encoders group spans by them, and a `Resource` is costly to hash), dropped counts are kept,
and a span's `parent_is_remote` is carried by its parent context.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from otel_runs.model.span_record import AttributeValue, SpanRecord

_SAMPLED: Final = TraceFlags(TraceFlags.SAMPLED)
_KINDS: Final = {kind.name: kind for kind in SpanKind}
_CODES: Final = {code.name: code for code in StatusCode}
_MAX_CACHED: Final = 256

_resources: dict[object, Resource] = {}
_scopes: dict[tuple[str, str], InstrumentationScope] = {}


def _resource(attributes: Mapping[str, AttributeValue]) -> Resource:
    cached = _resources.get(id(attributes))
    if cached is not None and cached.attributes == attributes:
        return cached
    key = json.dumps(attributes, sort_keys=True, default=str)
    found = _resources.get(key)
    if found is None:
        if len(_resources) >= _MAX_CACHED:
            _resources.clear()
        found = Resource(dict(attributes))
        _resources[key] = found
    _resources[id(attributes)] = found
    return found


def _scope(name: str, version: str) -> InstrumentationScope:
    found = _scopes.get((name, version))
    if found is None:
        if len(_scopes) >= _MAX_CACHED:
            _scopes.clear()
        found = _scopes[(name, version)] = InstrumentationScope(name, version or None)
    return found


def _attributes(values: Mapping[str, AttributeValue], dropped: int) -> Attributes:
    if not dropped:
        return values
    # ReadableSpan reports dropped attributes only for BoundedAttributes; filling it through
    # its constructor would re-validate (and refuse) OTLP key-value-list values.
    bounded = BoundedAttributes(immutable=False)
    bounded._dict.update(values)
    bounded.dropped = dropped
    return bounded


def _context(trace_id: int, span_id: int, remote: bool, trace_state: str) -> SpanContext:
    state = TraceState.from_header([trace_state]) if trace_state else None
    return SpanContext(trace_id, span_id, remote, _SAMPLED, state)


def to_readable_span(record: SpanRecord) -> ReadableSpan:
    """A finished SDK span with the record's ids, times, attributes, events and links."""
    parent = None
    if record.parent_span_id is not None:
        parent = _context(record.trace_id, record.parent_span_id, bool(record.parent_is_remote), "")
    events: list[Event] = [Event(e.name, e.attributes or None, e.time_ns) for e in record.events]
    links = [
        Link(
            SpanContext(link.trace_id, link.span_id, False, _SAMPLED),
            link.attributes or None,
        )
        for link in record.links
    ]
    return ReadableSpan(
        name=record.name,
        context=_context(record.trace_id, record.span_id, False, record.trace_state),
        parent=parent,
        resource=_resource(record.resource),
        attributes=_attributes(record.attributes, record.dropped_attributes),
        events=_bounded(events, record.dropped_events),
        links=_bounded(links, record.dropped_links),
        kind=_KINDS.get(record.kind, SpanKind.INTERNAL),
        status=_status(record),
        start_time=record.start_ns,
        end_time=record.end_ns,
        instrumentation_scope=_scope(record.scope_name, record.scope_version),
    )


def _status(record: SpanRecord) -> Status:
    code = _CODES.get(record.status_code, StatusCode.UNSET)
    # OTel keeps a description only on ERROR (and warns about any other).
    return Status(code, record.status_message or None if code is StatusCode.ERROR else None)


def _bounded(items: list[Any], dropped: int) -> Any:
    if not dropped:
        return items
    bounded = BoundedList.from_seq(None, items)
    bounded.dropped = dropped
    return bounded
