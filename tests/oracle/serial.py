"""`SpanRecord`s as JSON and back, exactly: for span sets drawn by hypothesis, whose draws may
change with its version, so the recording keeps the drawn inputs themselves.

Attribute values keep their type: JSON-native values as they are (floats included, NaN too),
bytes, tuples and mappings tagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_runs.model.span_record import AttributeValue, EventRecord, LinkRecord, SpanRecord


def value_to_json(value: AttributeValue) -> Any:
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, tuple):
        return {"tuple": [value_to_json(v) for v in value]}
    if isinstance(value, list):
        return [value_to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {"map": {k: value_to_json(v) for k, v in value.items()}}
    return value


def value_from_json(data: Any) -> AttributeValue:
    if isinstance(data, list):
        return [value_from_json(v) for v in data]
    if isinstance(data, dict):
        (tag, inner), = data.items()
        if tag == "bytes":
            return bytes.fromhex(inner)
        if tag == "tuple":
            return tuple(value_from_json(v) for v in inner)
        return {k: value_from_json(v) for k, v in inner.items()}
    return data  # type: ignore[no-any-return]


def _attrs_to_json(attrs: Mapping[str, AttributeValue]) -> dict[str, Any]:
    return {k: value_to_json(v) for k, v in attrs.items()}


def _attrs_from_json(data: dict[str, Any]) -> dict[str, AttributeValue]:
    return {k: value_from_json(v) for k, v in data.items()}


def record_to_json(record: SpanRecord) -> dict[str, Any]:
    return {
        "trace_id": record.trace_id,
        "span_id": record.span_id,
        "parent_span_id": record.parent_span_id,
        "name": record.name,
        "start_ns": record.start_ns,
        "end_ns": record.end_ns,
        "attributes": _attrs_to_json(record.attributes),
        "events": [[e.name, e.time_ns, _attrs_to_json(e.attributes)] for e in record.events],
        "links": [[ln.trace_id, ln.span_id, _attrs_to_json(ln.attributes)] for ln in record.links],
        "kind": record.kind,
        "status_code": record.status_code,
        "status_message": record.status_message,
        "resource": _attrs_to_json(record.resource),
        "scope_name": record.scope_name,
        "scope_version": record.scope_version,
        "parent_is_remote": record.parent_is_remote,
        "trace_state": record.trace_state,
        "dropped": [record.dropped_attributes, record.dropped_events, record.dropped_links],
    }


def record_from_json(data: dict[str, Any]) -> SpanRecord:
    dropped = data["dropped"]
    return SpanRecord(
        trace_id=data["trace_id"],
        span_id=data["span_id"],
        parent_span_id=data["parent_span_id"],
        name=data["name"],
        start_ns=data["start_ns"],
        end_ns=data["end_ns"],
        attributes=_attrs_from_json(data["attributes"]),
        events=tuple(EventRecord(n, t, _attrs_from_json(a)) for n, t, a in data["events"]),
        links=tuple(LinkRecord(t, s, _attrs_from_json(a)) for t, s, a in data["links"]),
        kind=data["kind"],
        status_code=data["status_code"],
        status_message=data["status_message"],
        resource=_attrs_from_json(data["resource"]),
        scope_name=data["scope_name"],
        scope_version=data["scope_version"],
        parent_is_remote=data["parent_is_remote"],
        trace_state=data["trace_state"],
        dropped_attributes=dropped[0],
        dropped_events=dropped[1],
        dropped_links=dropped[2],
    )
