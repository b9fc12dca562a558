"""`SpanRecord` -> an OTel SDK `ReadableSpan` built directly: fixed contexts, a fixed Resource per
resource (never `Resource.create`, whose default carries the SDK version and a random
service.instance.id), no clock and no id generator.

Half the spans are shaped as the SDK's own finished spans (BoundedAttributes and BoundedLists, the
fast path of `from_sdk.finished_span`), half carry a plain dict and lists (any other
`ReadableSpan`, read through its properties).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from otel_runs.model.span_record import AttributeValue, SpanRecord

_SAMPLED = TraceFlags(TraceFlags.SAMPLED)


def sdk_compatible(record: SpanRecord) -> bool:
    """Whether the SDK can hold the record's ids at all (SpanContext compares them as ints)."""
    ids = (record.trace_id, record.span_id, record.parent_span_id)
    return all(isinstance(i, int) or i is None for i in ids)


class SpanFactory:
    """Builds ReadableSpans; one Resource per distinct resource mapping, as a provider shares
    its Resource between all its spans."""

    def __init__(self) -> None:
        self._resources: dict[int, tuple[Mapping[str, AttributeValue], Resource]] = {}

    def resource(self, attributes: Mapping[str, AttributeValue]) -> Resource:
        found = self._resources.get(id(attributes))
        if found is not None and found[0] is attributes:
            return found[1]
        # The SDK's attribute values only: nested mappings cannot be resource attributes.
        plain = {k: v for k, v in attributes.items() if not isinstance(v, Mapping)}
        made = Resource(plain)
        self._resources[id(attributes)] = (attributes, made)
        return made

    def span(self, record: SpanRecord, *, sdk_shaped: bool, ended: bool = True) -> ReadableSpan:
        parent = None
        if record.parent_span_id is not None:
            parent = SpanContext(
                record.trace_id, record.parent_span_id, bool(record.parent_is_remote), _SAMPLED
            )
        state = TraceState.from_header([record.trace_state]) if record.trace_state else None
        context = SpanContext(record.trace_id, record.span_id, False, _SAMPLED, state)
        events = [Event(e.name, dict(e.attributes) or None, e.time_ns) for e in record.events]
        links = [
            Link(SpanContext(link.trace_id, link.span_id, False, _SAMPLED), dict(link.attributes))
            for link in record.links
        ]
        attributes: Any = dict(record.attributes)
        event_list: Sequence[Event] = events
        link_list: Sequence[Link] = links
        if sdk_shaped:
            bounded = BoundedAttributes(immutable=False)
            bounded._dict.update(attributes)  # as the SDK holds them, without re-validation
            bounded.dropped = record.dropped_attributes
            attributes = bounded
            event_list = _bounded(events, record.dropped_events)
            link_list = _bounded(links, record.dropped_links)
        code = StatusCode.__members__.get(record.status_code, StatusCode.UNSET)
        status = Status(code, record.status_message or None if code is StatusCode.ERROR else None)
        scope = None
        if record.scope_name or record.scope_version:
            scope = InstrumentationScope(record.scope_name, record.scope_version or None)
        return ReadableSpan(
            name=record.name,
            context=context,
            parent=parent,
            resource=self.resource(record.resource),
            attributes=attributes,
            events=event_list,
            links=link_list,
            kind=SpanKind.__members__.get(record.kind, SpanKind.INTERNAL),
            status=status,
            start_time=record.start_ns,
            end_time=record.end_ns if ended else None,
            instrumentation_scope=scope,
        )


def _bounded(items: list[Any], dropped: int) -> Any:
    bounded = BoundedList.from_seq(None, items)
    bounded.dropped = dropped
    return bounded
