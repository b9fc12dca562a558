"""OTLP trace request bodies -> `SpanRecord`s, from protobuf or from OTLP/JSON.

Rules, the same for both encodings:

- A body that cannot be decoded at all raises `OtlpDecodeError`: bytes that are not an
  `ExportTraceServiceRequest`, text that is not JSON, JSON that is not an object, or
  `resourceSpans` / `scopeSpans` / `spans` that are not lists (their spans cannot be counted).
- Otherwise each span is decoded on its own. A malformed span goes to `Decoded.rejected` as
  `(index, reason)`, where index counts spans in request order from 0 across all resources and
  scopes, and its neighbours still decode. A malformed resource or scope rejects its spans.
- Ids: a trace id is 16 bytes, a span id 8 bytes, neither all zero; links follow the same rule.
  A parent span id that is empty or all zero means no parent.
- Times: start and end are required (missing or 0 is a rejection); event times may be 0.
- kind: 0 (UNSPECIFIED) and 1 read as INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER.
  Status code: 0 UNSET, 1 OK, 2 ERROR. Other numbers are rejections.
- flags: `parent_is_remote` is the IS_REMOTE bit (0x200) when the HAS_IS_REMOTE bit (0x100) is
  set and the span has a parent; None otherwise. The W3C trace flags (low byte) are not kept.
- Attribute values: str, bool, int (int64), float, bytes, list (arrayValue) and dict
  (kvlistValue); an empty AnyValue is None; a repeated key keeps its last value. In OTLP/JSON,
  attribute nesting deeper than 100 levels rejects the span. In protobuf, upb's own recursion
  limit (100 message levels, about 48 nested arrays) refuses the whole body; the body is then
  cut at the wire level (`_split.py`) and parsed span by span, so only the span it cannot read
  is rejected (the same for a string that is not UTF-8).
- Every span of a resource shares one resource-attributes dict; scope name and version are
  copied. Schema URLs, scope attributes, the resource's dropped count and the links' trace
  state and flags are not kept (`SpanRecord` has no field for them).
- Within a request, equal attribute keys, short string values, span names and event names are
  one shared str object (`Texts`): the values are the same, only fewer objects hold them.

OTLP/JSON differs from proto3's JSON mapping (opentelemetry-proto `docs/specification.md`) and
is therefore decoded by hand from `json.loads` output, never with `json_format.Parse`, which
reads hex ids as base64 without an error and is about 15x slower:

- ids are hex strings, case-insensitive (base64 ids are rejected, with a hint);
- int64 and fixed64 values (times, intValue) are decimal strings or JSON numbers;
- enums are integers; the enum names (`SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`) are accepted;
- keys are lowerCamelCase; snake_case keys are accepted, camelCase wins when both appear;
- unknown fields are ignored, and an AnyValue with only unknown fields is None;
- doubleValue may be a number or "NaN", "Infinity", "-Infinity" (or a numeric string);
- bytesValue is base64, standard or URL-safe, padding optional.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]  # no stubs
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otel_runs.errors import OtlpDecodeError, TooManySpansError
from otel_runs.model.span_record import (
    AttributeValue,
    EventRecord,
    LinkRecord,
    SpanRecord,
    new_event_record,
    new_link_record,
    new_span_record,
)
from otel_runs.otlp._split import ResourcePiece, split_request
from otel_runs.otlp._wire import (
    FLAG_HAS_IS_REMOTE,
    FLAG_IS_REMOTE,
    INT64_MAX,
    INT64_MIN,
    MAX_DEPTH,
    SPAN_ID_BYTES,
    SPAN_KIND_ENUM_NAMES,
    SPAN_KIND_NAMES,
    STATUS_CODE_ENUM_NAMES,
    STATUS_CODE_NAMES,
    TRACE_ID_BYTES,
    UINT32_MAX,
    UINT64_MAX,
)

Rejected = tuple[int, str]
"""A span's index in the request and why it was rejected."""

Texts = dict[str, str]
"""One request's shared strings: each distinct attribute key, short string value, span name and
event name is kept once, and every span of the request points at that one object. A request
repeats them on every span (the same keys, model and operation names), and sharing them means
fewer objects to keep and free, and a smaller spool blob (marshal writes a repeat as a
back-reference): about 2 us less receiver CPU per span. A dict per request rather than
`sys.intern`: interned strings were immortal in the first Python 3.12 releases (cpython
#113993), so unique values would pile up in a long-running receiver."""
SHARED_TEXT_MAX: Final = 64
"""Attribute values up to this many characters are shared; longer ones (message content) are
rarely repeated."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """The spans of one request: those that decoded, in request order, and those rejected."""

    records: list[SpanRecord]
    rejected: list[Rejected]


class _Reject(Exception):
    """One span (or the resource/scope above it) is malformed; the message says why."""


# --- shared helpers --------------------------------------------------------------------------


def _type(value: object) -> str:
    """JSON's name for a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _kind(number: int) -> str:
    if 0 <= number < len(SPAN_KIND_NAMES):
        return SPAN_KIND_NAMES[number]
    raise _Reject(f"kind must be 0-5, got {number}")


def _status(number: int) -> str:
    if 0 <= number < len(STATUS_CODE_NAMES):
        return STATUS_CODE_NAMES[number]
    raise _Reject(f"status code must be 0 (UNSET), 1 (OK) or 2 (ERROR), got {number}")


def _remote(flags: int, parent: int | None) -> bool | None:
    if parent is None or not flags & FLAG_HAS_IS_REMOTE:
        return None
    return bool(flags & FLAG_IS_REMOTE)


def _check_count(count: int, max_spans: int) -> None:
    if count > max_spans:
        raise TooManySpansError(
            f"the request holds more than {max_spans} spans; send smaller batches"
        )


def _reject_all(rejected: list[Rejected], first: int, count: int, problem: str) -> None:
    """Reject `count` spans from index `first` for one reason (a bad resource or scope)."""
    rejected.extend((i, f"span {i}: {problem}") for i in range(first, first + count))


# --- protobuf ---------------------------------------------------------------------------------


def decode_request(body: bytes, *, max_spans: int | None = None) -> Decoded:
    """Decode an OTLP/protobuf `ExportTraceServiceRequest` body (uncompressed).

    Raises OtlpDecodeError when the bytes are not such a message; an empty body is an empty
    request. With `max_spans`, a request holding more spans raises TooManySpansError before
    they are built (small spans take ~30x their wire size once decoded).
    """
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except (DecodeError, RecursionError, TypeError) as exc:
        pieces = split_request(body)
        if pieces is None:
            raise OtlpDecodeError(
                f"body is not an OTLP protobuf ExportTraceServiceRequest: {exc}"
            ) from None
        return _decode_pieces(pieces, max_spans)  # one part is unreadable: parse span by span
    records: list[SpanRecord] = []
    rejected: list[Rejected] = []
    texts: Texts = {}
    index = 0
    if max_spans is not None:
        _check_count(
            sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans), max_spans
        )
    for resource_spans in request.resource_spans:
        problem: str | None = None
        try:
            resource = _pb_attributes(resource_spans.resource.attributes, 0, texts)
        except _Reject as exc:
            resource, problem = {}, f"resource: {exc}"
        for scope_spans in resource_spans.scope_spans:
            spans = scope_spans.spans
            if problem is not None:
                _reject_all(rejected, index, len(spans), problem)
                index += len(spans)
                continue
            name, version = scope_spans.scope.name, scope_spans.scope.version
            for span in spans:
                try:
                    records.append(_pb_span(span, resource, name, version, texts))
                except _Reject as exc:
                    rejected.append((index, f"span {index}: {exc}"))
                index += 1
    return Decoded(records, rejected)


def _decode_pieces(pieces: list[ResourcePiece], max_spans: int | None) -> Decoded:
    """`decode_request` for a body upb refused whole: each resource, scope and span parsed on
    its own, so only the one that cannot be read is rejected (with upb's reason)."""
    if max_spans is not None:
        _check_count(sum(len(s.spans) for r in pieces for s in r.scopes), max_spans)
    records: list[SpanRecord] = []
    rejected: list[Rejected] = []
    texts: Texts = {}
    index = 0
    for piece in pieces:
        problem: str | None = None
        resource: dict[str, AttributeValue] = {}
        try:
            resource = _pb_attributes(Resource.FromString(piece.resource).attributes, 0, texts)
        except (DecodeError, RecursionError) as exc:
            problem = f"resource cannot be parsed: {exc}"
        except _Reject as exc:
            problem = f"resource: {exc}"
        for scope_piece in piece.scopes:
            count = len(scope_piece.spans)
            scope_problem = problem
            name = version = ""
            if scope_problem is None:
                try:
                    scope = InstrumentationScope.FromString(scope_piece.scope)
                    name, version = scope.name, scope.version
                except (DecodeError, RecursionError) as exc:
                    scope_problem = f"scope cannot be parsed: {exc}"
            if scope_problem is not None:
                _reject_all(rejected, index, count, scope_problem)
                index += count
                continue
            for data in scope_piece.spans:
                try:
                    records.append(_pb_span(Span.FromString(data), resource, name, version, texts))
                except (DecodeError, RecursionError) as exc:
                    rejected.append((index, f"span {index}: cannot be parsed: {exc}"))
                except _Reject as exc:
                    rejected.append((index, f"span {index}: {exc}"))
                index += 1
    return Decoded(records, rejected)


def _pb_id(raw: bytes, what: str, size: int) -> int:
    if len(raw) != size:
        raise _Reject(f"{what} must be {size} bytes, got {len(raw)}")
    value = int.from_bytes(raw, "big")
    if value == 0:
        raise _Reject(f"{what} must not be all zero")
    return value


def _pb_optional_id(raw: bytes, what: str, size: int) -> int | None:
    """An id that may be absent (a parent, a log record's span): empty or all zero is None."""
    if not raw:
        return None
    if len(raw) != size:
        raise _Reject(f"{what} must be {size} bytes or empty, got {len(raw)}")
    return int.from_bytes(raw, "big") or None


def _pb_span_problem(span: Span) -> NoReturn:
    """Raise the first problem of a span's ids and times (the checks in the documented order)."""
    if not span.start_time_unix_nano:
        raise _Reject("startTimeUnixNano is missing or 0")
    if not span.end_time_unix_nano:
        raise _Reject("endTimeUnixNano is missing or 0")
    _pb_optional_id(span.parent_span_id, "parentSpanId", SPAN_ID_BYTES)
    _pb_id(span.trace_id, "traceId", TRACE_ID_BYTES)
    _pb_id(span.span_id, "spanId", SPAN_ID_BYTES)
    raise AssertionError("called for a span whose ids and times are fine")


def _pb_span(
    span: Span,
    resource: dict[str, AttributeValue],
    scope_name: str,
    scope_version: str,
    texts: Texts,
) -> SpanRecord:
    # The hot path of the receiver: one field read each, checks inline, and positional
    # construction; anything odd goes to _pb_span_problem for the exact reason.
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    raw_trace, raw_span, raw_parent = span.trace_id, span.span_id, span.parent_span_id
    trace_id = int.from_bytes(raw_trace, "big")
    span_id = int.from_bytes(raw_span, "big")
    if (
        not start
        or not end
        or len(raw_trace) != TRACE_ID_BYTES
        or len(raw_span) != SPAN_ID_BYTES
        or not trace_id
        or not span_id
        or (raw_parent and len(raw_parent) != SPAN_ID_BYTES)
    ):
        _pb_span_problem(span)
    parent = (int.from_bytes(raw_parent, "big") or None) if raw_parent else None
    attributes = _pb_attributes(span.attributes, 0, texts)
    raw_events, raw_links = span.events, span.links  # most spans have no links, many no events
    events = _pb_events(raw_events, texts) if raw_events else ()
    links = _pb_links(raw_links, texts) if raw_links else ()
    name = span.name
    kind, status, flags = span.kind, span.status, span.flags
    if not 0 <= kind < _KIND_COUNT:
        raise _Reject(f"kind must be 0-5, got {kind}")
    code = status.code
    if not 0 <= code < _STATUS_COUNT:
        raise _Reject(f"status code must be 0 (UNSET), 1 (OK) or 2 (ERROR), got {code}")
    return new_span_record(
        trace_id,
        span_id,
        parent,
        texts.setdefault(name, name),
        start,
        end,
        attributes,
        events,
        links,
        SPAN_KIND_NAMES[kind],
        STATUS_CODE_NAMES[code],
        status.message,
        resource,
        scope_name,
        scope_version,
        _remote(flags, parent) if flags else None,
        span.trace_state,
        span.dropped_attributes_count,
        span.dropped_events_count,
        span.dropped_links_count,
    )


_KIND_COUNT: Final = len(SPAN_KIND_NAMES)
_STATUS_COUNT: Final = len(STATUS_CODE_NAMES)


def _pb_events(events: Iterable[Span.Event], texts: Texts) -> tuple[EventRecord, ...]:
    out: list[EventRecord] = []
    for event in events:
        try:
            attributes = _pb_attributes(event.attributes, 0, texts)
        except _Reject as exc:
            raise _Reject(f"event {len(out)}: {exc}") from None
        name = event.name
        out.append(new_event_record(texts.setdefault(name, name), event.time_unix_nano, attributes))
    return tuple(out)


def _pb_links(links: Iterable[Span.Link], texts: Texts) -> tuple[LinkRecord, ...]:
    out: list[LinkRecord] = []
    for i, link in enumerate(links):
        try:
            out.append(
                new_link_record(
                    _pb_id(link.trace_id, "traceId", TRACE_ID_BYTES),
                    _pb_id(link.span_id, "spanId", SPAN_ID_BYTES),
                    _pb_attributes(link.attributes, 0, texts),
                )
            )
        except _Reject as exc:
            raise _Reject(f"link {i}: {exc}") from None
    return tuple(out)


def _pb_attributes(
    items: Iterable[KeyValue], depth: int, texts: Texts | None = None
) -> dict[str, AttributeValue]:
    """A KeyValue list as a dict; a non-empty string (one oneof member set) skips WhichOneof."""
    share = (texts if texts is not None else {}).setdefault
    out: dict[str, AttributeValue] = {}
    for kv in items:
        value = kv.value
        key = kv.key
        key = share(key, key)
        text = value.string_value
        if text:
            out[key] = share(text, text) if len(text) <= SHARED_TEXT_MAX else text
            continue
        which = value.WhichOneof("value")
        if which in _PB_SCALARS:  # ints, floats, bools: read the field without another call
            out[key] = getattr(value, which)
        else:
            out[key] = _pb_any(value, which, key, depth, texts)
    return out


_PB_SCALARS: Final = frozenset({"string_value", "int_value", "bool_value", "double_value"})


def _pb_any(
    value: AnyValue, which: str | None, key: str, depth: int, texts: Texts | None = None
) -> AttributeValue:
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "bool_value":
        return value.bool_value
    if which == "double_value":
        return value.double_value
    if which == "bytes_value":
        return value.bytes_value
    if which is None:
        return None
    if depth >= MAX_DEPTH:
        raise _Reject(f"attribute {key!r}: nested deeper than {MAX_DEPTH} levels")
    if which == "array_value":
        values = value.array_value.values
        return [_pb_any(v, v.WhichOneof("value"), key, depth + 1, texts) for v in values]
    if which == "kvlist_value":
        return _pb_attributes(value.kvlist_value.values, depth + 1, texts)
    raise _Reject(f"attribute {key!r}: {which} is not allowed in a trace request")


# --- OTLP/JSON --------------------------------------------------------------------------------

_SNAKE: Final = {
    "resource_spans": "resourceSpans",
    "scope_spans": "scopeSpans",
    "schema_url": "schemaUrl",
    "trace_id": "traceId",
    "span_id": "spanId",
    "trace_state": "traceState",
    "parent_span_id": "parentSpanId",
    "start_time_unix_nano": "startTimeUnixNano",
    "end_time_unix_nano": "endTimeUnixNano",
    "time_unix_nano": "timeUnixNano",
    "dropped_attributes_count": "droppedAttributesCount",
    "dropped_events_count": "droppedEventsCount",
    "dropped_links_count": "droppedLinksCount",
}
"""snake_case field -> lowerCamelCase, for messages; AnyValue keys are in `_ANY_SNAKE`."""
_SNAKE_KEYS: Final = frozenset(_SNAKE)
_ANY_SNAKE: Final = {
    "string_value": "stringValue",
    "bool_value": "boolValue",
    "int_value": "intValue",
    "double_value": "doubleValue",
    "bytes_value": "bytesValue",
    "array_value": "arrayValue",
    "kvlist_value": "kvlistValue",
    "string_value_strindex": "stringValueStrindex",
}
_INT_RE: Final = re.compile(r"-?[0-9]{1,20}")
"""A decimal integer of at most 20 digits: enough for uint64, short of int()'s digit limit."""
_FLOAT_RE: Final = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS: Final = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_BASE64_LEN: Final = {16: (22, 24), 8: (11, 12)}
"""Byte size -> lengths of its base64 form without and with padding (for the hint)."""


def decode_json_request(body: bytes | str, *, max_spans: int | None = None) -> Decoded:
    """Decode an OTLP/JSON `ExportTraceServiceRequest` body (uncompressed, UTF-8).

    Raises OtlpDecodeError when the body is not JSON, not an object, or its span lists are not
    lists; malformed spans are rejected one by one (see the module rules). With `max_spans`, a
    request holding more spans raises TooManySpansError before more than that are built.
    """
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise OtlpDecodeError(f"body is not OTLP/JSON: {exc}") from None
    if type(doc) is not dict:
        raise OtlpDecodeError(
            f"body must be a JSON object (ExportTraceServiceRequest), got {_type(doc)}"
        )
    return _json_request(_camel(doc), max_spans)


def _camel(message: dict[str, Any]) -> dict[str, Any]:
    """The message with snake_case keys renamed; a camelCase key wins over its snake twin."""
    if _SNAKE_KEYS.isdisjoint(message):
        return message
    out: dict[str, Any] = {}
    for key, value in message.items():
        camel = _SNAKE.get(key)
        if camel is None:
            out[key] = value
        elif camel not in message:
            out[camel] = value
    return out


def _json_list(value: object, what: str) -> list[Any]:
    """A structural list; anything else makes the whole body undecodable."""
    if value is None:
        return []
    if type(value) is not list:
        raise OtlpDecodeError(f"{what} must be an array, got {_type(value)}")
    return value


def _json_message(value: object, what: str) -> dict[str, Any]:
    """A structural object (null reads as empty); anything else is an OtlpDecodeError."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise OtlpDecodeError(f"{what} must be an object, got {_type(value)}")
    return _camel(value)


def _json_request(doc: dict[str, Any], max_spans: int | None = None) -> Decoded:
    records: list[SpanRecord] = []
    rejected: list[Rejected] = []
    texts: Texts = {}
    index = 0
    for r, item in enumerate(_json_list(doc.get("resourceSpans"), "resourceSpans")):
        resource_spans = _json_message(item, f"resourceSpans[{r}]")
        group_problem: str | None = None
        resource: dict[str, AttributeValue] = {}
        try:
            resource = _json_resource(resource_spans.get("resource"), texts)
        except _Reject as exc:
            group_problem = f"resource: {exc}"
        where = f"resourceSpans[{r}].scopeSpans"
        for s, scope_item in enumerate(_json_list(resource_spans.get("scopeSpans"), where)):
            scope_spans = _json_message(scope_item, f"{where}[{s}]")
            spans = _json_list(scope_spans.get("spans"), f"{where}[{s}].spans")
            if max_spans is not None:
                _check_count(index + len(spans), max_spans)
            problem = group_problem
            name = version = ""
            if problem is None:
                try:
                    name, version = _json_scope(scope_spans.get("scope"))
                except _Reject as exc:
                    problem = f"scope: {exc}"
            if problem is not None:
                _reject_all(rejected, index, len(spans), problem)
                index += len(spans)
                continue
            for span in spans:
                try:
                    records.append(_json_span(span, resource, name, version, texts))
                except _Reject as exc:
                    rejected.append((index, f"span {index}: {exc}"))
                index += 1
    return Decoded(records, rejected)


def _json_resource(value: object, texts: Texts) -> dict[str, AttributeValue]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise _Reject(f"must be an object, got {_type(value)}")
    return _json_attributes(value.get("attributes"), 0, texts)


def _json_scope(value: object) -> tuple[str, str]:
    if value is None:
        return "", ""
    if type(value) is not dict:
        raise _Reject(f"must be an object, got {_type(value)}")
    return _json_str(value.get("name"), "name"), _json_str(value.get("version"), "version")


def _json_str(value: object, what: str) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        raise _Reject(f"{what} must be a string, got {_type(value)}")
    return value


def _json_uint(value: object, what: str, limit: int) -> int:
    """An unsigned integer field: a JSON number or a decimal string; null or missing is 0."""
    if value is None:
        return 0
    number = _json_int(value, what)
    if not 0 <= number <= limit:
        raise _Reject(f"{what} must be between 0 and {limit}, got {number}")
    return number


def _json_int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise _Reject(f"{what} must be an integer or a decimal string, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _Reject(f"{what} must be an integer or a decimal string, got {value!r:.60}")


def _json_time(value: object, what: str) -> int:
    """A required fixed64 time; a plain decimal string (the usual form) takes a fast path."""
    if type(value) is str and len(value) < 20 and value.isascii() and value.isdecimal():
        number = int(value)  # at most 19 digits: always within fixed64
        if number:
            return number
    if value is None:
        raise _Reject(f"{what} is missing")
    number = _json_uint(value, what, UINT64_MAX)
    if number == 0:
        raise _Reject(f"{what} must not be 0")
    return number


def _json_enum(value: object, what: str, names: dict[str, int]) -> int:
    if value is None:
        return 0
    if type(value) is str and value in names:
        return names[value]
    return _json_int(value, what)


def _json_hex(value: object, what: str, size: int) -> int:
    """A hex id of `size` bytes, not all zero."""
    if value is None or value == "":
        raise _Reject(f"{what} is missing")
    if type(value) is not str:
        raise _Reject(f"{what} must be a hex string, got {_type(value)}")
    width = size * 2
    if len(value) != width:
        hint = ""
        if len(value) in _BASE64_LEN[size]:
            hint = " (it looks like base64; OTLP/JSON ids are hex)"
        raise _Reject(f"{what} must be {width} hex characters, got {len(value)}{hint}")
    try:
        data = bytes.fromhex(value)
    except ValueError:
        data = b""
    if len(data) != size:  # fromhex skips whitespace, so a short result means a bad character
        raise _Reject(f"{what} must be {width} hex characters, got {value!r}")
    number = int.from_bytes(data, "big")
    if number == 0:
        raise _Reject(f"{what} must not be all zero")
    return number


def _json_parent(value: object) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is str and len(value) == 2 * SPAN_ID_BYTES and not value.strip("0"):
        return None
    return _json_hex(value, "parentSpanId", SPAN_ID_BYTES)


def _json_span(
    span: object,
    resource: dict[str, AttributeValue],
    scope_name: str,
    scope_version: str,
    texts: Texts,
) -> SpanRecord:
    if type(span) is not dict:
        raise _Reject(f"must be a JSON object, got {_type(span)}")
    if not _SNAKE_KEYS.isdisjoint(span):
        span = _camel(span)
    parent = _json_parent(span.get("parentSpanId"))
    flags, dropped_attributes, dropped_events, dropped_links = _json_counts(span)
    code, message = _json_status(span.get("status"))
    return new_span_record(
        _json_hex(span.get("traceId"), "traceId", TRACE_ID_BYTES),
        _json_hex(span.get("spanId"), "spanId", SPAN_ID_BYTES),
        parent,
        _json_str(span.get("name"), "name"),
        _json_time(span.get("startTimeUnixNano"), "startTimeUnixNano"),
        _json_time(span.get("endTimeUnixNano"), "endTimeUnixNano"),
        _json_attributes(span.get("attributes"), 0, texts),
        _json_events(span.get("events"), texts),
        _json_links(span.get("links"), texts),
        _kind(_json_enum(span.get("kind"), "kind", SPAN_KIND_ENUM_NAMES)),
        code,
        message,
        resource,
        scope_name,
        scope_version,
        _remote(flags, parent),
        _json_str(span.get("traceState"), "traceState"),
        dropped_attributes,
        dropped_events,
        dropped_links,
    )


_COUNT_FIELDS: Final = (
    "flags",
    "droppedAttributesCount",
    "droppedEventsCount",
    "droppedLinksCount",
)


def _json_counts(span: dict[str, Any]) -> tuple[int, int, int, int]:
    """flags and the three dropped counts (uint32); absent ones, the usual case, are 0."""
    if span.keys().isdisjoint(_COUNT_FIELDS):
        return 0, 0, 0, 0
    a, b, c, d = (_json_uint(span.get(field), field, UINT32_MAX) for field in _COUNT_FIELDS)
    return a, b, c, d


def _json_status(value: object) -> tuple[str, str]:
    if value is None:
        return "UNSET", ""
    if type(value) is not dict:
        raise _Reject(f"status must be an object, got {_type(value)}")
    code = _json_enum(value.get("code"), "status code", STATUS_CODE_ENUM_NAMES)
    return _status(code), _json_str(value.get("message"), "status message")


def _json_items(value: object, what: str) -> list[Any]:
    """A per-span list (events, links, attributes): a wrong type rejects the span."""
    if value is None:
        return []
    if type(value) is not list:
        raise _Reject(f"{what} must be an array, got {_type(value)}")
    return value


def _json_events(value: object, texts: Texts) -> tuple[EventRecord, ...]:
    if value is None:
        return ()
    events = []
    for i, item in enumerate(_json_items(value, "events")):
        try:
            events.append(_json_event(item, texts))
        except _Reject as exc:
            raise _Reject(f"event {i}: {exc}") from None
    return tuple(events)


def _json_event(item: object, texts: Texts) -> EventRecord:
    if type(item) is not dict:
        raise _Reject(f"must be an object, got {_type(item)}")
    event = item if _SNAKE_KEYS.isdisjoint(item) else _camel(item)
    name = event.get("name")
    if type(name) is not str:
        name = _json_str(name, "name")
    time = event.get("timeUnixNano")
    if type(time) is not str or not time.isdecimal() or len(time) > 19 or not time.isascii():
        time = _json_uint(time, "timeUnixNano", UINT64_MAX)
    attributes = _json_attributes(event.get("attributes"), 0, texts)
    return new_event_record(texts.setdefault(name, name), int(time), attributes)


def _json_links(value: object, texts: Texts) -> tuple[LinkRecord, ...]:
    links = []
    for i, item in enumerate(_json_items(value, "links")):
        try:
            if type(item) is not dict:
                raise _Reject(f"must be an object, got {_type(item)}")
            link = _camel(item)
            links.append(
                new_link_record(
                    _json_hex(link.get("traceId"), "traceId", TRACE_ID_BYTES),
                    _json_hex(link.get("spanId"), "spanId", SPAN_ID_BYTES),
                    _json_attributes(link.get("attributes"), 0, texts),
                )
            )
        except _Reject as exc:
            raise _Reject(f"link {i}: {exc}") from None
    return tuple(links)


def _json_attributes(
    value: object, depth: int, texts: Texts | None = None
) -> dict[str, AttributeValue]:
    """A KeyValue list as a dict; plain strings take a fast path without a call."""
    share = (texts if texts is not None else {}).setdefault
    out: dict[str, AttributeValue] = {}
    for i, kv in enumerate(_json_items(value, "attributes")):
        if type(kv) is not dict:
            raise _Reject(f"attributes[{i}] must be an object with key and value, got {_type(kv)}")
        key = kv.get("key")
        if type(key) is not str:
            raise _Reject(f"attributes[{i}].key must be a string, got {_type(key)}")
        key = share(key, key)
        any_value = kv.get("value")
        if type(any_value) is dict and len(any_value) == 1:
            text = any_value.get("stringValue")
            if type(text) is str:
                out[key] = share(text, text) if len(text) <= SHARED_TEXT_MAX else text
                continue
        out[key] = _json_any(any_value, key, depth, texts)
    return out


def _json_any(value: object, key: str, depth: int, texts: Texts | None = None) -> AttributeValue:
    """One AnyValue; the first recognised, non-null variant wins."""
    if value is None:
        return None
    if type(value) is not dict:
        raise _Reject(f"attribute {key!r}: value must be an AnyValue object, got {_type(value)}")
    for name, raw in value.items():
        if raw is None:
            continue
        tag = _ANY_SNAKE.get(name, name)
        if tag == "stringValue":
            if type(raw) is not str:
                raise _Reject(f"attribute {key!r}: stringValue must be a string, got {_type(raw)}")
            return raw
        if tag == "intValue":
            number = _json_int(raw, f"attribute {key!r}: intValue")
            if not INT64_MIN <= number <= INT64_MAX:
                raise _Reject(f"attribute {key!r}: intValue {number} is outside int64")
            return number
        if tag == "boolValue":
            if type(raw) is not bool:
                raise _Reject(f"attribute {key!r}: boolValue must be true or false, got {raw!r}")
            return raw
        if tag == "doubleValue":
            return _json_double(raw, key)
        if tag in ("arrayValue", "kvlistValue"):
            return _json_nested(tag, raw, key, depth, texts)
        if tag == "bytesValue":
            return _json_bytes(raw, key)
        if tag == "stringValueStrindex":
            raise _Reject(f"attribute {key!r}: stringValueStrindex is not allowed in traces")
    return None


def _json_nested(
    tag: str, raw: object, key: str, depth: int, texts: Texts | None
) -> AttributeValue:
    if depth >= MAX_DEPTH:
        raise _Reject(f"attribute {key!r}: nested deeper than {MAX_DEPTH} levels")
    if type(raw) is not dict:
        raise _Reject(f"attribute {key!r}: {tag} must be an object, got {_type(raw)}")
    values = raw.get("values")
    if tag == "kvlistValue":
        return _json_attributes(values, depth + 1, texts)
    items = _json_items(values, "arrayValue.values")
    return [_json_any(item, key, depth + 1, texts) for item in items]


def _json_double(raw: object, key: str) -> float:
    if isinstance(raw, (float, int)) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        special = _SPECIAL_FLOATS.get(raw)
        if special is not None:
            return special
        if _FLOAT_RE.fullmatch(raw):
            return float(raw)
    raise _Reject(f"attribute {key!r}: doubleValue must be a number, got {raw!r:.60}")


def _json_bytes(raw: object, key: str) -> bytes:
    if isinstance(raw, str):
        text = raw.replace("-", "+").replace("_", "/")
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            pass
    raise _Reject(f"attribute {key!r}: bytesValue must be base64, got {raw!r:.60}")
