"""OTLP trace wire vocabulary shared by the decoders and the JSON encoder.

Enum numbers and span flags come from `opentelemetry/proto/trace/v1/trace.proto`; the JSON
shapes are the OTLP/JSON encoding of `ExportTraceServiceRequest` (opentelemetry-proto
`docs/specification.md`, "JSON Protobuf Encoding"): lowerCamelCase keys, hex ids, int64 and
fixed64 values as decimal strings, enums as integers.
"""

from __future__ import annotations

from typing import Final, TypedDict

SPAN_KIND_NAMES: Final = ("INTERNAL", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
"""`Span.SpanKind` number -> `SpanRecord.kind`; 0 (UNSPECIFIED) reads as INTERNAL."""
SPAN_KIND_NUMBERS: Final = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
"""`SpanRecord.kind` -> `Span.SpanKind` number."""
SPAN_KIND_ENUM_NAMES: Final = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
"""Enum names some JSON writers use instead of numbers (not conformant, accepted)."""

STATUS_CODE_NAMES: Final = ("UNSET", "OK", "ERROR")
"""`Status.StatusCode` number -> `SpanRecord.status_code`."""
STATUS_CODE_NUMBERS: Final = {"UNSET": 0, "OK": 1, "ERROR": 2}
"""`SpanRecord.status_code` -> `Status.StatusCode` number."""
STATUS_CODE_ENUM_NAMES: Final = {
    "STATUS_CODE_UNSET": 0,
    "STATUS_CODE_OK": 1,
    "STATUS_CODE_ERROR": 2,
}
"""Enum names some JSON writers use instead of numbers (not conformant, accepted)."""

FLAG_HAS_IS_REMOTE: Final = 0x100
"""`SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`: the is-remote bit below is meaningful."""
FLAG_IS_REMOTE: Final = 0x200
"""`SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`: the parent (or linked) span context is remote."""

TRACE_ID_BYTES: Final = 16
SPAN_ID_BYTES: Final = 8
MAX_DEPTH: Final = 100
"""Deepest array/kvlist nesting decoded; upb's default recursion limit is also 100."""
INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1
UINT64_MAX: Final = (1 << 64) - 1
UINT32_MAX: Final = (1 << 32) - 1


class ArrayValueJson(TypedDict):
    """`ArrayValue`."""

    values: list[AnyValueJson]


class KeyValueJson(TypedDict):
    """`KeyValue`: one attribute."""

    key: str
    value: AnyValueJson


class KeyValueListJson(TypedDict):
    """`KeyValueList`."""

    values: list[KeyValueJson]


class AnyValueJson(TypedDict, total=False):
    """`AnyValue`: exactly one key is set; none means an empty value."""

    stringValue: str
    boolValue: bool
    intValue: str
    doubleValue: float | str
    bytesValue: str
    arrayValue: ArrayValueJson
    kvlistValue: KeyValueListJson


class ResourceJson(TypedDict):
    """`Resource`."""

    attributes: list[KeyValueJson]


class ScopeJson(TypedDict, total=False):
    """`InstrumentationScope`."""

    name: str
    version: str


class StatusJson(TypedDict, total=False):
    """`Status`."""

    code: int
    message: str


class EventJson(TypedDict, total=False):
    """`Span.Event`."""

    timeUnixNano: str
    name: str
    attributes: list[KeyValueJson]


class LinkJson(TypedDict, total=False):
    """`Span.Link`."""

    traceId: str
    spanId: str
    attributes: list[KeyValueJson]


class SpanJson(TypedDict, total=False):
    """`Span`."""

    traceId: str
    spanId: str
    traceState: str
    parentSpanId: str
    flags: int
    name: str
    kind: int
    startTimeUnixNano: str
    endTimeUnixNano: str
    attributes: list[KeyValueJson]
    droppedAttributesCount: int
    events: list[EventJson]
    droppedEventsCount: int
    links: list[LinkJson]
    droppedLinksCount: int
    status: StatusJson


class ScopeSpansJson(TypedDict):
    """`ScopeSpans`."""

    scope: ScopeJson
    spans: list[SpanJson]


class ResourceSpansJson(TypedDict):
    """`ResourceSpans`."""

    resource: ResourceJson
    scopeSpans: list[ScopeSpansJson]


class ExportTraceServiceRequestJson(TypedDict):
    """`ExportTraceServiceRequest`, the body of `POST /v1/traces`."""

    resourceSpans: list[ResourceSpansJson]
