"""OTLP logs request bodies -> span-bound events (ring 1: pure, no network, no threads).

Some instrumentations send GenAI content (prompts, choices) as OTLP log records instead of span
events. A log record that names its span (trace id + span id) and carries an event name becomes
a `SpanEvent`: the span it belongs to and an `EventRecord` shaped like the span event the
instrumentation would otherwise have written, so the dialects read both the same way.

Rules, the same for protobuf and OTLP/JSON:

- A body that cannot be decoded at all raises `OtlpDecodeError` (not an
  `ExportLogsServiceRequest`, not JSON, not an object, or `resourceLogs` / `scopeLogs` /
  `logRecords` that are not lists).
- Records are counted in request order from 0 across resources and scopes. A malformed record
  goes to `DecodedLogs.rejected` as `(index, reason)`; its neighbours still decode.
- A record with neither trace id nor span id (empty or all zero) is a plain log line: it is
  skipped and counted in `DecodedLogs.unbound`, not rejected. So is a record with span context
  but no event name (a `logging` line inside a span): it is not GenAI content.
- One id without the other, or an id of the wrong size, is a rejection.
- Event name: `eventName`, else the `event.name` attribute (older instrumentations).
- Event time: `timeUnixNano`, else `observedTimeUnixNano`, else 0.
- Event attributes: the fields of a map body, then the record's attributes over them (without
  `event.name`). Any other non-empty body is kept under the `body` attribute (`LOG_BODY`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]  # no stubs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from otel_runs.conventions.genai import EVENT_NAME_ATTR
from otel_runs.conventions.otel import LOG_BODY
from otel_runs.errors import OtlpDecodeError
from otel_runs.model.span_record import AttributeValue, EventRecord
from otel_runs.otlp._wire import SPAN_ID_BYTES, TRACE_ID_BYTES, UINT64_MAX
from otel_runs.otlp.decode import (
    Rejected,
    _json_any,
    _json_attributes,
    _json_hex,
    _json_list,
    _json_message,
    _json_str,
    _json_uint,
    _pb_any,
    _pb_attributes,
    _pb_optional_id,
    _Reject,
    _type,
)

__all__ = ["DecodedLogs", "SpanEvent", "decode_logs_json_request", "decode_logs_request"]


@dataclass(frozen=True, slots=True)
class SpanEvent:
    """A log record that belongs to a span, as the span event it stands for."""

    trace_id: int
    span_id: int
    event: EventRecord


@dataclass(frozen=True, slots=True)
class DecodedLogs:
    """The span-bound events of one request, the plain log lines skipped, and the rejections."""

    events: list[SpanEvent]
    unbound: int
    rejected: list[Rejected]


class _Unbound(Exception):
    """The record is a plain log line, not span-bound GenAI content: skip it quietly."""


def _event_attributes(
    body: AttributeValue, attributes: dict[str, AttributeValue]
) -> tuple[str, dict[str, AttributeValue]]:
    """The event name found in the attributes and the merged event attributes."""
    merged: dict[str, AttributeValue] = {}
    if isinstance(body, dict):
        merged.update(body)
    elif body is not None and body != "":
        merged[LOG_BODY] = body
    name = attributes.pop(EVENT_NAME_ATTR, None)
    merged.update(attributes)
    return (name if isinstance(name, str) else ""), merged


def _bound(trace_id: int | None, span_id: int | None) -> tuple[int, int]:
    """Both ids, or _Unbound when neither is set; one without the other is a rejection."""
    if trace_id is None and span_id is None:
        raise _Unbound
    if trace_id is None:
        raise _Reject("spanId is set but traceId is missing")
    if span_id is None:
        raise _Reject("traceId is set but spanId is missing")
    return trace_id, span_id


# --- protobuf ---------------------------------------------------------------------------------


def decode_logs_request(body: bytes) -> DecodedLogs:
    """Decode an OTLP/protobuf `ExportLogsServiceRequest` body (uncompressed)."""
    try:
        request = ExportLogsServiceRequest.FromString(body)
    except (DecodeError, RecursionError, TypeError) as exc:
        raise OtlpDecodeError(
            f"body is not an OTLP protobuf ExportLogsServiceRequest: {exc}"
        ) from None
    out = _Collector()
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                out.add(_pb_record, record)
    return out.result()


def _pb_record(record: LogRecord) -> SpanEvent:
    trace_id, span_id = _bound(
        _pb_optional_id(record.trace_id, "traceId", TRACE_ID_BYTES),
        _pb_optional_id(record.span_id, "spanId", SPAN_ID_BYTES),
    )
    body = _pb_any(record.body, record.body.WhichOneof("value"), "body", 0)
    name, attributes = _event_attributes(body, _pb_attributes(record.attributes, 0))
    name = record.event_name or name
    if not name:
        raise _Unbound
    time = record.time_unix_nano or record.observed_time_unix_nano
    return SpanEvent(trace_id, span_id, EventRecord(name, time, attributes))


# --- OTLP/JSON --------------------------------------------------------------------------------

_SNAKE: Final = {
    "resource_logs": "resourceLogs",
    "scope_logs": "scopeLogs",
    "log_records": "logRecords",
    "time_unix_nano": "timeUnixNano",
    "observed_time_unix_nano": "observedTimeUnixNano",
    "trace_id": "traceId",
    "span_id": "spanId",
    "event_name": "eventName",
}
"""snake_case keys some writers use; the camelCase key wins when both appear."""


def _camel(message: dict[str, Any]) -> dict[str, Any]:
    if _SNAKE.keys().isdisjoint(message):
        return message
    out = dict(message)
    for snake, camel in _SNAKE.items():
        if snake in out:
            value = out.pop(snake)
            out.setdefault(camel, value)
    return out


def decode_logs_json_request(body: bytes | str) -> DecodedLogs:
    """Decode an OTLP/JSON `ExportLogsServiceRequest` body (uncompressed, UTF-8)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise OtlpDecodeError(f"body is not OTLP/JSON: {exc}") from None
    if type(doc) is not dict:
        raise OtlpDecodeError(
            f"body must be a JSON object (ExportLogsServiceRequest), got {_type(doc)}"
        )
    out = _Collector()
    for r, item in enumerate(_json_list(_camel(doc).get("resourceLogs"), "resourceLogs")):
        resource_logs = _camel(_json_message(item, f"resourceLogs[{r}]"))
        where = f"resourceLogs[{r}].scopeLogs"
        for s, scope_item in enumerate(_json_list(resource_logs.get("scopeLogs"), where)):
            scope_logs = _camel(_json_message(scope_item, f"{where}[{s}]"))
            records = _json_list(scope_logs.get("logRecords"), f"{where}[{s}].logRecords")
            for record in records:
                out.add(_json_record, record)
    return out.result()


def _json_id(value: object, what: str, size: int) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is str and len(value) == 2 * size and not value.strip("0"):
        return None
    return _json_hex(value, what, size)


def _json_record(item: object) -> SpanEvent:
    if type(item) is not dict:
        raise _Reject(f"must be a JSON object, got {_type(item)}")
    record = _camel(item)
    trace_id, span_id = _bound(
        _json_id(record.get("traceId"), "traceId", TRACE_ID_BYTES),
        _json_id(record.get("spanId"), "spanId", SPAN_ID_BYTES),
    )
    body = _json_any(record.get("body"), "body", 0)
    name, attributes = _event_attributes(body, _json_attributes(record.get("attributes"), 0))
    name = _json_str(record.get("eventName"), "eventName") or name
    if not name:
        raise _Unbound
    time = _json_uint(record.get("timeUnixNano"), "timeUnixNano", UINT64_MAX) or _json_uint(
        record.get("observedTimeUnixNano"), "observedTimeUnixNano", UINT64_MAX
    )
    return SpanEvent(trace_id, span_id, EventRecord(name, time, attributes))


# --- shared -----------------------------------------------------------------------------------


class _Collector:
    """Counts records in request order and sorts each into events, unbound or rejected."""

    def __init__(self) -> None:
        self.events: list[SpanEvent] = []
        self.unbound = 0
        self.rejected: list[Rejected] = []
        self.index = 0

    def add(self, decode: Callable[[Any], SpanEvent], record: object) -> None:
        try:
            self.events.append(decode(record))
        except _Unbound:
            self.unbound += 1
        except _Reject as exc:
            self.rejected.append((self.index, f"log record {self.index}: {exc}"))
        self.index += 1

    def result(self) -> DecodedLogs:
        return DecodedLogs(self.events, self.unbound, self.rejected)
