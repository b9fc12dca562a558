"""Everything of a span that no dialect consumed, under `extra.metadata.otel`, size-capped."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any, Final

from otel_runs.dialects.coerce import to_jsonable
from otel_runs.dialects.view import SpanView
from otel_runs.ids import span_id_hex, trace_id_hex
from otel_runs.model.span_record import SpanRecord

MAX_VALUE_CHARS: Final = 16_384
"""Longest string kept in the leftovers; longer ones are cut and marked."""


PLAIN_TYPES: Final = frozenset({int, bool})
"""Attribute value types kept as they are (text too, when short)."""


def plain_attributes(
    value: Any, limit: int, skip: AbstractSet[str] = frozenset()
) -> dict[str, Any]:
    """Attributes (less the `skip` keys) as JSON-ready values with long strings cut:
    `cap(to_jsonable(value), limit)` for text keys, in one pass that leaves short flat values
    as they are. (A plan's mapper writes the same rule out per key: `map_span._LEFTOVER`.)"""
    out = {}
    for key, item in value.items():
        if key in skip:
            continue
        if (type(item) is str and len(item) <= limit) or type(item) in PLAIN_TYPES:
            out[key] = item
        else:
            out[key] = leftover_value(item, limit)
    return out


def leftover_value(item: Any, limit: int) -> Any:
    """An attribute value that is not short text, an int or a bool: JSON-ready, cut."""
    return cap(to_jsonable(item), limit)


# Resources are shared by every span of a provider: convert each one once.
_RESOURCES: dict[tuple[int, int], tuple[object, dict[str, Any]]] = {}
_MAX_RESOURCES: Final = 64


def _resource(resource: Any, limit: int) -> dict[str, Any]:
    key = (id(resource), limit)  # (the limit too: the same resource may be cut differently)
    cached = _RESOURCES.get(key)
    if cached is not None and cached[0] is resource:
        return cached[1]
    converted = plain_attributes(resource, limit)
    if len(_RESOURCES) >= _MAX_RESOURCES:
        _RESOURCES.clear()
    _RESOURCES[key] = (resource, converted)
    return converted


def cap(value: Any, limit: int = MAX_VALUE_CHARS) -> Any:
    """Cut strings longer than limit, recursively, leaving a marker with the original length."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return f"{value[:limit]}...[truncated {len(value) - limit} of {len(value)} chars]"
    if isinstance(value, dict):
        return {k: cap(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [cap(v, limit) for v in value]
    return value



SPAN_NAME: Final = "span_name"
"""Original span name, when it differs from the run's name."""
EVENT_TIMES: Final = "event_times_unix_nano"
"""Original event times in span order, when the run's events cannot give them back (not whole
microseconds, not in time order, or a `new_token` event added by conversion)."""


def otel_namespace(
    v: SpanView,
    limit: int = MAX_VALUE_CHARS,
    *,
    run_name: str | None = None,
    run_event_count: int | None = None,
) -> dict[str, Any]:
    """The span's kind, scope, resource, leftover attributes, links, status and exact times;
    given the run's name and event count, also what the run cannot give back of the span
    (`note_span`), so spans -> runs -> spans is exact."""
    return otel_space(v.record, leftover_attributes(v, limit), limit, run_name, run_event_count)


def leftover_attributes(v: SpanView, limit: int) -> dict[str, Any]:
    """What no dialect consumed, JSON-ready, long text cut."""
    return plain_attributes(v.attrs, limit, v.used)


def otel_space(
    record: SpanRecord,
    leftovers: dict[str, Any],
    limit: int,
    run_name: str | None,
    run_event_count: int | None,
) -> dict[str, Any]:
    """`otel_namespace` of a span whose leftover attributes are known."""
    out: dict[str, Any] = {
        "kind": record.kind,
        "start_time_unix_nano": record.start_ns,
        "end_time_unix_nano": record.end_ns,
    }
    if record.scope_name:
        out["scope"] = {"name": record.scope_name, "version": record.scope_version}
    if record.status_code != "UNSET" or record.status_message:
        out["status"] = {"code": record.status_code, "message": record.status_message}
    if leftovers:
        out["attributes"] = leftovers
    if record.resource:
        out["resource"] = dict(_resource(record.resource, limit))
    if record.links:
        out["links"] = [
            {
                "trace_id": trace_id_hex(link.trace_id),
                "span_id": span_id_hex(link.span_id),
                **(
                    {"attributes": cap(to_jsonable(link.attributes), limit)}
                    if link.attributes
                    else {}
                ),
            }
            for link in record.links
        ]
    if record.dropped_attributes or record.dropped_events or record.dropped_links:
        dropped = {}
        if record.dropped_attributes:
            dropped["attributes"] = record.dropped_attributes
        if record.dropped_events:
            dropped["events"] = record.dropped_events
        if record.dropped_links:
            dropped["links"] = record.dropped_links
        out["dropped"] = dropped
    if record.parent_is_remote:
        out["parent_is_remote"] = True
    if record.trace_state:
        out["trace_state"] = record.trace_state
    if run_name is not None and run_event_count is not None:
        note_span(record, run_name, run_event_count, out)
    return out


def note_span(
    record: SpanRecord, run_name: str, run_event_count: int, space: dict[str, Any]
) -> None:
    """What a run cannot otherwise give back of its span: the span name when the run has
    another, a scope version without a scope name, and the event times when the run's events
    lost their order, nanoseconds, or gained a `new_token` event."""
    if record.name != run_name:
        space[SPAN_NAME] = record.name
    if record.scope_version and not record.scope_name:  # only named scopes are kept above
        space["scope"] = {"name": "", "version": record.scope_version}
    if not record.events and not run_event_count:  # most spans: nothing to say, nothing built
        return
    times = [event.time_ns for event in record.events]
    exact = run_event_count == len(times)
    last_us = -1
    for time_ns in times:  # whole microseconds, in time order
        if not exact:
            break
        us, rest = divmod(time_ns, 1000)
        exact = not rest and us >= last_us
        last_us = us
    if not exact:
        space[EVENT_TIMES] = times
