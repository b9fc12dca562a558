"""The size limit on one attribute value, applied where spans come in (the receiver before its
spool, the exporter before conversion).

A single attribute could otherwise be as large as a whole request (20 MiB), and a run that big
is refused by LangSmith on its own (more than its 20 MiB per request once serialized). Strings
longer than the limit, in span attributes, event attributes and link attributes, inside lists
and kvlists too, are cut and end with a marker saying how much was cut; bytes are cut without
one. The limit is in characters (bytes for bytes values), as OpenTelemetry's own
`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, which sets it here too (same meaning); the SDK's default is
no limit, ours is 4 Mi characters, so that the few content values of one run (inputs, outputs)
still fit LangSmith's 20 MiB. JSON text cut this way no longer parses: the dialects then keep
it as text among the leftovers (cut again to 16 KiB there), so a prompt longer than the limit
loses its message structure; raise the limit if yours are that long.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final

from otel_runs.env_values import number
from otel_runs.model.span_record import AttributeValue, EventRecord, LinkRecord, SpanRecord

ENV_VALUE_LIMIT: Final = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"
"""OpenTelemetry's attribute value length limit; otel-runs applies it to what it receives."""
DEFAULT_MAX_VALUE_CHARS: Final = 4 * 1024 * 1024


def max_value_chars(value: int | None = None) -> int:
    """Argument > `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` > 4 Mi characters (at least 1,024)."""
    limit = number("max_value_chars", value, ENV_VALUE_LIMIT, DEFAULT_MAX_VALUE_CHARS, minimum=1024)
    return int(limit)


def cap_span_values(record: SpanRecord, limit: int) -> SpanRecord:
    """`record` with every attribute value longer than `limit` cut; the same object when none
    is."""
    events, links = record.events, record.links
    if (
        not _long(record.attributes, limit)
        and not (events and any(_long(event.attributes, limit) for event in events))
        and not (links and any(_long(link.attributes, limit) for link in links))
    ):
        return record  # the usual case, checked first: short flat values only
    attributes = cap_attributes(record.attributes, limit)
    events = _kept(tuple(cap_event_values(event, limit) for event in record.events), record.events)
    links = _kept(tuple(_cap_link(link, limit) for link in record.links), record.links)
    if attributes is record.attributes and events is record.events and links is record.links:
        return record
    return dataclasses.replace(record, attributes=attributes, events=events, links=links)


def _kept(new: tuple[Any, ...], old: tuple[Any, ...]) -> tuple[Any, ...]:
    """`old` when every item came back unchanged, else `new`."""
    return old if all(a is b for a, b in zip(new, old, strict=True)) else new


def _cap_link(link: LinkRecord, limit: int) -> LinkRecord:
    attributes = cap_attributes(link.attributes, limit)
    return (
        link if attributes is link.attributes else dataclasses.replace(link, attributes=attributes)
    )


def cap_event_values(event: EventRecord, limit: int) -> EventRecord:
    """An event with its attribute values cut to `limit`; the same object when none is."""
    attributes = cap_attributes(event.attributes, limit)
    if attributes is event.attributes:
        return event
    return dataclasses.replace(event, attributes=attributes)


def cap_attributes(
    attributes: Mapping[str, AttributeValue], limit: int
) -> Mapping[str, AttributeValue]:
    """The attributes with long values cut; the same mapping when none is."""
    changed: dict[str, AttributeValue] | None = None
    for key, value in attributes.items():
        capped = _cap(value, limit)
        if capped is not value:
            if changed is None:
                changed = dict(attributes)
            changed[key] = capped
    return attributes if changed is None else changed


def _long(attributes: Mapping[str, AttributeValue], limit: int) -> bool:
    """Whether any value may need cutting (a long string, or anything but a scalar)."""
    values: Any = attributes.values()  # type() checks below: faster than isinstance here
    for value in values:
        kind = type(value)
        if kind is str:
            if len(value) > limit:
                return True
        elif kind is tuple or kind is list:  # arrays of scalars, e.g. finish reasons
            if _long_items(value, limit):
                return True
        elif kind is not int and kind is not float and kind is not bool:
            return True
    return False


def _long_items(items: Sequence[Any], limit: int) -> bool:
    for item in items:
        kind = type(item)
        if kind is str:
            if len(item) > limit:
                return True
        elif kind is not int and kind is not float and kind is not bool:
            return True
    return False


def _cap(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return f"{value[:limit]}...[truncated {len(value) - limit} of {len(value)} chars]"
    if isinstance(value, bytes):
        return value if len(value) <= limit else value[:limit]
    if isinstance(value, Mapping):
        capped = cap_attributes(value, limit)
        return value if capped is value else dict(capped)
    if isinstance(value, Sequence):
        items = [_cap(item, limit) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return tuple(items) if isinstance(value, tuple) else items
    return value
