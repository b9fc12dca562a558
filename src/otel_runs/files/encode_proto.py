"""`SpanRecord`s -> OTLP protobuf `ExportTraceServiceRequest` bytes, written directly.

The OTel SDK's encoder builds one protobuf object per attribute and per value (about 4 µs an
attribute); spans made from runs carry dozens of attributes, so this module writes the wire
format itself: varints from a table, little-endian fixed64 times, length-delimited messages,
keys encoded once and cached, and a text value several attributes share (`gen_ai.prompt` and
`input.value` are the same string) encoded once per request.

The output parses to the same message the SDK's `encode_spans` makes for the same spans
(`tests/test_runs_to_spans_encode.py` checks it): status and flags are always written, as
the SDK does, and spans are grouped by resource and then scope in first-seen order.

Field numbers are those of opentelemetry-proto `trace/v1/trace.proto`,
`common/v1/common.proto` and `resource/v1/resource.proto`. Pure: no I/O.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Final

from otel_runs.errors import InvalidSpanError
from otel_runs.model.span_record import AttributeValue, SpanRecord

_KINDS: Final = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
_CODES: Final = {"UNSET": 0, "OK": 1, "ERROR": 2}
_HAS_IS_REMOTE: Final = 0x100
_IS_REMOTE: Final = 0x200
_DOUBLE: Final = struct.Struct("<d")
_FIXED64: Final = struct.Struct("<Q")
_FIXED32: Final = struct.Struct("<I")
_INT64_MIN: Final = -(1 << 63)
_INT64_MAX: Final = (1 << 63) - 1
_SHARED_TEXT: Final = 256
"""Texts at least this long are remembered per request (a shared one is encoded once)."""


def _varint_slow(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_SMALL: Final = tuple(_varint_slow(n) for n in range(1 << 14))


def varint(value: int) -> bytes:
    """A non-negative protobuf varint."""
    return _SMALL[value] if value < 16384 else _varint_slow(value)


def _field(tag: bytes, payload: bytes) -> bytes:
    return tag + varint(len(payload)) + payload


def _len_prefixed(payload: bytes) -> bytes:
    return varint(len(payload)) + payload


_KEYS: dict[str, bytes] = {}


def _key(key: str) -> bytes:
    """KeyValue field 1 (the key), cached: spans of runs repeat the same keys."""
    found = _KEYS.get(key)
    if found is None:
        if len(_KEYS) > 8192:
            _KEYS.clear()
        found = _KEYS[key] = _field(b"\x0a", key.encode())
    return found


_PAIRS: dict[tuple[str, type, object], bytes] = {}
"""Whole attribute fields of short values, keyed by key, type and value."""
_MAX_PAIRS: Final = 16384


class _Encoder:
    """Encodes the spans of one request, remembering long texts already encoded."""

    __slots__ = ("_texts",)

    def __init__(self) -> None:
        self._texts: dict[int, tuple[str, bytes]] = {}

    def _string_value(self, value: str) -> bytes:
        """AnyValue{string_value}, of a long text once per request."""
        if len(value) < _SHARED_TEXT:
            data = value.encode()
            return b"\x0a" + varint(len(data)) + data
        found = self._texts.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        encoded = _field(b"\x0a", value.encode())
        self._texts[id(value)] = (value, encoded)
        return encoded

    def any_value(self, value: AttributeValue) -> bytes:
        """An AnyValue message (without its own tag)."""
        kind = type(value)
        if kind is str:
            return self._string_value(value)  # type: ignore[arg-type]
        if kind is bool:
            return b"\x10\x01" if value else b"\x10\x00"
        if kind is int:
            number: int = value  # type: ignore[assignment]
            if number >= 0:
                if number > _INT64_MAX:
                    raise InvalidSpanError(f"integer {number} does not fit OTLP's int64")
                return b"\x18" + varint(number)
            if number < _INT64_MIN:
                raise InvalidSpanError(f"integer {number} does not fit OTLP's int64")
            return b"\x18" + _varint_slow(number + (1 << 64))  # two's complement
        if kind is float:
            return b"\x21" + _DOUBLE.pack(value)
        if value is None:
            return b""
        if isinstance(value, bytes):
            return _field(b"\x3a", value)
        if isinstance(value, Mapping):
            pairs = b"".join(_field(b"\x0a", self.key_value(str(k), v)) for k, v in value.items())
            return _field(b"\x32", pairs)
        if isinstance(value, Sequence) and not isinstance(value, str):
            return _field(b"\x2a", b"".join(_field(b"\x0a", self.any_value(v)) for v in value))
        raise InvalidSpanError(f"{type(value).__name__} is not an attribute type")

    def key_value(self, key: str, value: AttributeValue) -> bytes:
        inner = self.any_value(value)
        return _key(key) + b"\x12" + varint(len(inner)) + inner

    def attributes(self, tag: bytes, attributes: Mapping[str, AttributeValue]) -> bytes:
        parts: list[bytes] = []
        append = parts.append
        pairs = _PAIRS
        small = _SMALL
        for key, value in attributes.items():
            kind = type(value)
            if kind is str and len(value) >= 40:  # type: ignore[arg-type]
                # Long text (inputs, outputs, messages): the common costly case, inlined.
                inner = self._string_value(value)  # type: ignore[arg-type]
                name = _KEYS.get(key) or _key(key)
                size = len(inner)
                pair_size = len(name) + 1 + len(varint(size)) + size
                append(tag + varint(pair_size) + name + b"\x12" + varint(size))
                append(inner)
                continue
            if kind is bool or kind is int or kind is str:
                # Short values repeat across spans (kinds, models, providers, flags): cached.
                cache_key = (key, kind, value)
                pair = pairs.get(cache_key)
                if pair is None:
                    pair = tag + _len_prefixed(self.key_value(key, value))
                    if len(pairs) >= _MAX_PAIRS:
                        pairs.clear()
                    pairs[cache_key] = pair
                append(pair if pair[0] == tag[0] else tag + pair[1:])
                continue
            pair = self.key_value(key, value)
            size = len(pair)
            append(tag + (small[size] if size < 16384 else varint(size)))
            append(pair)
        return b"".join(parts)

    def span(self, record: SpanRecord) -> bytes:
        parts = [
            b"\x0a\x10" + record.trace_id.to_bytes(16, "big"),
            b"\x12\x08" + record.span_id.to_bytes(8, "big"),
        ]
        if record.trace_state:
            parts.append(_field(b"\x1a", record.trace_state.encode()))
        if record.parent_span_id is not None:
            parts.append(b"\x22\x08" + record.parent_span_id.to_bytes(8, "big"))
        if record.name:
            parts.append(_field(b"\x2a", record.name.encode()))
        parts.append(
            b"\x30"
            + varint(_KINDS[record.kind])
            + b"\x39"
            + _FIXED64.pack(record.start_ns)
            + b"\x41"
            + _FIXED64.pack(record.end_ns)
        )
        if record.attributes:
            parts.append(self.attributes(b"\x4a", record.attributes))
        if record.dropped_attributes:
            parts.append(b"\x50" + varint(record.dropped_attributes))
        for event in record.events:
            body = b"\x09" + _FIXED64.pack(event.time_ns)
            if event.name:
                body += _field(b"\x12", event.name.encode())
            if event.attributes:
                body += self.attributes(b"\x1a", event.attributes)
            parts.append(_field(b"\x5a", body))
        if record.dropped_events:
            parts.append(b"\x60" + varint(record.dropped_events))
        for link in record.links:
            body = b"\x0a\x10" + link.trace_id.to_bytes(16, "big")
            body += b"\x12\x08" + link.span_id.to_bytes(8, "big")
            if link.attributes:
                body += self.attributes(b"\x22", link.attributes)
            body += b"\x35" + _FIXED32.pack(_HAS_IS_REMOTE)
            parts.append(_field(b"\x6a", body))
        if record.dropped_links:
            parts.append(b"\x70" + varint(record.dropped_links))
        status = _field(b"\x12", record.status_message.encode()) if record.status_message else b""
        code = _CODES[record.status_code]
        if code:
            status += b"\x18" + varint(code)
        parts.append(_field(b"\x7a", status))
        flags = _HAS_IS_REMOTE | (_IS_REMOTE if record.parent_is_remote else 0)
        parts.append(b"\x85\x01" + _FIXED32.pack(flags))
        return b"".join(parts)


def _scope(name: str, version: str) -> bytes:
    body = _field(b"\x0a", name.encode()) if name else b""
    if version:
        body += _field(b"\x12", version.encode())
    return body


def encode_request(records: Sequence[SpanRecord]) -> bytes:
    """The OTLP protobuf request carrying the records (InvalidSpanError for a value OTLP
    cannot carry: an integer beyond int64, a time beyond 2^64 ns, an unknown kind)."""
    encoder = _Encoder()
    resources: dict[int, bytes] = {}  # resource dicts are shared: encode each object once
    groups: dict[bytes, dict[tuple[str, str], list[bytes]]] = {}
    for record in records:
        resource = resources.get(id(record.resource))
        if resource is None:
            resource = resources[id(record.resource)] = encoder.attributes(b"\x0a", record.resource)
        try:
            span = encoder.span(record)
        except (KeyError, OverflowError, struct.error) as exc:
            raise InvalidSpanError(
                f"span {record.span_id:016x} cannot be encoded: {exc!r}"
            ) from None
        scopes = groups.setdefault(resource, {})
        scopes.setdefault((record.scope_name, record.scope_version), []).append(span)
    out = []
    for resource, scopes in groups.items():
        parts = [_field(b"\x0a", resource)]
        for (name, version), spans in scopes.items():
            spans_bytes = b"".join(b"\x12" + varint(len(span)) + span for span in spans)
            parts.append(_field(b"\x12", _field(b"\x0a", _scope(name, version)) + spans_bytes))
        out.append(_field(b"\x0a", b"".join(parts)))
    return b"".join(out)
