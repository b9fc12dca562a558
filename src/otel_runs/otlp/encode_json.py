"""`SpanRecord`s -> an OTLP/JSON `ExportTraceServiceRequest`, for fixtures and round trips.

Rules (OTLP/JSON, opentelemetry-proto `docs/specification.md`):

- ids are lower-case hex (32 characters for traces, 16 for spans); no parent, no `parentSpanId`;
- int64 and fixed64 values (times, intValue) are decimal strings; enums are integers
  (kind INTERNAL 1 ... CONSUMER 5, status UNSET 0, OK 1, ERROR 2);
- doubles are JSON numbers, except NaN and the infinities, written "NaN", "Infinity",
  "-Infinity"; bytes are standard base64; lists are arrayValue, mappings kvlistValue, None an
  empty AnyValue;
- spans are grouped by resource (equal attribute mappings) and then by scope (name, version),
  each group in first-seen order, spans in their order within the group; so records that
  share a resource and scope and are contiguous keep their order exactly;
- `parent_is_remote` is written in `flags` (HAS_IS_REMOTE 0x100, IS_REMOTE 0x200) and only
  for a span with a parent; fields at their default value are left out.

The round trip `decode_json_request(json.dumps(encode_json_request(rs))).records == rs` holds
for records in that grouped order, with lists (not tuples) as sequence values, no NaN, and
`parent_is_remote` None on roots. A record that cannot be encoded (an unknown kind or status,
a value that is no attribute type, an int outside int64) raises InvalidSpanError.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence

from otel_runs.errors import InvalidSpanError
from otel_runs.ids import span_id_hex, trace_id_hex
from otel_runs.model.span_record import Attributes, AttributeValue, SpanRecord
from otel_runs.otlp._wire import (
    FLAG_HAS_IS_REMOTE,
    FLAG_IS_REMOTE,
    INT64_MAX,
    INT64_MIN,
    SPAN_KIND_NUMBERS,
    STATUS_CODE_NUMBERS,
    AnyValueJson,
    EventJson,
    ExportTraceServiceRequestJson,
    KeyValueJson,
    LinkJson,
    ResourceSpansJson,
    ScopeJson,
    ScopeSpansJson,
    SpanJson,
    StatusJson,
)


def encode_json_request(records: Sequence[SpanRecord]) -> ExportTraceServiceRequestJson:
    """The OTLP/JSON request carrying the records; `json.dumps` it to get the body."""
    resources: dict[str, ResourceSpansJson] = {}
    scopes: dict[tuple[str, str, str], ScopeSpansJson] = {}
    keys_by_id: dict[int, tuple[str, list[KeyValueJson]]] = {}
    for record in records:
        found = keys_by_id.get(id(record.resource))
        if found is None:
            attributes = _attributes(record.resource)
            found = keys_by_id[id(record.resource)] = (_canonical(attributes), attributes)
        resource_key, attributes = found
        group = resources.get(resource_key)
        if group is None:
            group = resources[resource_key] = {
                "resource": {"attributes": attributes},
                "scopeSpans": [],
            }
        scope_key = (resource_key, record.scope_name, record.scope_version)
        scope_spans = scopes.get(scope_key)
        if scope_spans is None:
            scope_spans = scopes[scope_key] = {"scope": _scope(record), "spans": []}
            group["scopeSpans"].append(scope_spans)
        scope_spans["spans"].append(_encode_span(record))
    return {"resourceSpans": list(resources.values())}


def _canonical(attributes: list[KeyValueJson]) -> str:
    """A key equal for equal attribute mappings, whatever their order."""
    return json.dumps(sorted(attributes, key=lambda kv: kv["key"]), sort_keys=True)


def _scope(record: SpanRecord) -> ScopeJson:
    scope: ScopeJson = {}
    if record.scope_name:
        scope["name"] = record.scope_name
    if record.scope_version:
        scope["version"] = record.scope_version
    return scope


def _encode_span(record: SpanRecord) -> SpanJson:
    """One span in OTLP/JSON (without its resource and scope)."""
    kind = SPAN_KIND_NUMBERS.get(record.kind)
    if kind is None:
        raise InvalidSpanError(f"span {record.span_id:016x}: unknown kind {record.kind!r}")
    span: SpanJson = {
        "traceId": trace_id_hex(record.trace_id),
        "spanId": span_id_hex(record.span_id),
        "name": record.name,
        "kind": kind,
        "startTimeUnixNano": str(record.start_ns),
        "endTimeUnixNano": str(record.end_ns),
    }
    if record.parent_span_id is not None:
        span["parentSpanId"] = span_id_hex(record.parent_span_id)
        if record.parent_is_remote is not None:
            span["flags"] = FLAG_HAS_IS_REMOTE | (FLAG_IS_REMOTE if record.parent_is_remote else 0)
    if record.trace_state:
        span["traceState"] = record.trace_state
    if record.attributes:
        span["attributes"] = _attributes(record.attributes)
    if record.events:
        span["events"] = [_event(e.name, e.time_ns, e.attributes) for e in record.events]
    if record.links:
        span["links"] = [
            _link(link.trace_id, link.span_id, link.attributes) for link in record.links
        ]
    for field, count in (
        ("droppedAttributesCount", record.dropped_attributes),
        ("droppedEventsCount", record.dropped_events),
        ("droppedLinksCount", record.dropped_links),
    ):
        if count:
            span[field] = count  # type: ignore[literal-required]  # one of three literal keys
    status = _status(record)
    if status:
        span["status"] = status
    return span


def _status(record: SpanRecord) -> StatusJson:
    code = STATUS_CODE_NUMBERS.get(record.status_code)
    if code is None:
        raise InvalidSpanError(
            f"span {record.span_id:016x}: unknown status code {record.status_code!r}"
        )
    status: StatusJson = {}
    if code:
        status["code"] = code
    if record.status_message:
        status["message"] = record.status_message
    return status


def _event(name: str, time_ns: int, attributes: Attributes) -> EventJson:
    event: EventJson = {"timeUnixNano": str(time_ns), "name": name}
    if attributes:
        event["attributes"] = _attributes(attributes)
    return event


def _link(trace_id: int, span_id: int, attributes: Attributes) -> LinkJson:
    link: LinkJson = {"traceId": trace_id_hex(trace_id), "spanId": span_id_hex(span_id)}
    if attributes:
        link["attributes"] = _attributes(attributes)
    return link


def _attributes(attributes: Attributes) -> list[KeyValueJson]:
    return [{"key": key, "value": _any(value, key)} for key, value in attributes.items()]


def _any(value: AttributeValue, key: str) -> AnyValueJson:
    """One attribute value as an AnyValue; bool before int, str and bytes before Sequence."""
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidSpanError(f"attribute {key!r}: {value} is outside int64")
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value if math.isfinite(value) else _special(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"bytesValue": base64.b64encode(value).decode("ascii")}
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": _attributes(value)}}
    if isinstance(value, Sequence):
        return {"arrayValue": {"values": [_any(item, key) for item in value]}}
    raise InvalidSpanError(
        f"attribute {key!r}: {type(value).__name__} is not an attribute value type"
    )


def _special(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"
