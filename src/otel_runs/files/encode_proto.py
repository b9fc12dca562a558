"""`SpanRecord`s -> OTLP protobuf `ExportTraceServiceRequest` bytes, written directly.

The OTel SDK's encoder builds one protobuf object per attribute and per value (about 4 µs an
attribute); spans made from runs carry dozens of attributes, so this module writes the wire
format itself: varints and length headers from tables, little-endian fixed64 times, keys
encoded once and cached, and a long text several attributes share (`gen_ai.prompt` and
`input.value` are the same string) encoded once per request. Each span is written as a list
of pieces joined once; the request around the spans is framed from their lengths, so no span's
bytes are copied into a nested message more than once.

The output parses to the same message the SDK's `encode_spans` makes for the same spans
(`tests/test_runs_to_spans_encode.py` checks it): status and flags are always written, as
the SDK does, and spans are grouped by resource and then scope in first-seen order.

Field numbers are those of opentelemetry-proto `trace/v1/trace.proto`,
`common/v1/common.proto` and `resource/v1/resource.proto`. Pure: no I/O.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
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


_NAMES: dict[str, tuple[bytes, int]] = {}
"""KeyValue field 1 (the key) followed by field 2's tag, and its length, per key: spans of runs
repeat their keys."""
_MAX_NAMES: Final = 8192


def _name(key: str) -> tuple[bytes, int]:
    found = _NAMES.get(key)
    if found is None:
        if len(_NAMES) >= _MAX_NAMES:
            _NAMES.clear()
        name = _field(b"\x0a", key.encode()) + b"\x12"
        found = _NAMES[key] = (name, len(name))
    return found


def _text_head(size: int) -> bytes:
    """What goes before `size` bytes of UTF-8 in a KeyValue's value: the AnyValue's length,
    then its string_value tag and length."""
    length = varint(size)
    return varint(1 + len(length) + size) + b"\x0a" + length


_TEXT_HEADS: Final = tuple(_text_head(size) for size in range(4096))
_TEXT_SIZES: Final = tuple(len(head) + size for size, head in enumerate(_TEXT_HEADS))
"""A KeyValue's value size (length prefix included) for a text of so many bytes."""
_INT_BODIES: Final = tuple(
    varint(1 + len(varint(n))) + b"\x18" + varint(n) for n in range(4096)
)  # a KeyValue's value for a small non-negative int, length included
_TRUE: Final = b"\x02\x10\x01"
_FALSE: Final = b"\x02\x10\x00"
_NONE: Final = b"\x00"
_DOUBLE_HEAD: Final = b"\x09\x21"


_SHORT: dict[bytes, dict[str, dict[str, bytes]]] = {}
"""Whole KeyValue fields (tag and length first) of short texts, by tag, key and text: kinds,
names, models, providers, MIME types and metadata repeat from span to span. (Nested by key, so
a look-up hashes the text alone, not a new (key, text) tuple.)"""
_MAX_SHORT: Final = 16384
_short_count: Final = [0]
"""Entries in `_SHORT` (all tags and keys)."""


def _short_pair(tag: bytes, key: str, value: str) -> bytes:
    """The `_SHORT` entry of a tag, key and text, made and remembered."""
    data = value.encode()
    name = _name(key)[0]
    head = _text_head(len(data))
    pair = name + head + data
    pair = tag + varint(len(pair)) + pair
    if _short_count[0] >= _MAX_SHORT:
        _SHORT.clear()
        _short_count[0] = 0
    _short_count[0] += 1
    _SHORT.setdefault(tag, {}).setdefault(key, {})[value] = pair
    return pair


_NO_SHORTS: Final[dict[str, dict[str, bytes]]] = {}
_NO_PAIRS: Final[dict[str, bytes]] = {}

_ONE_TEXT_LISTS: dict[str, bytes] = {}
"""A KeyValue's value field (length first) for an array of one short text, by the text."""
_MAX_ONE_TEXT_LISTS: Final = 4096


def _one_text_list(text: str) -> bytes:
    data = text.encode()
    item = b"\x0a" + varint(len(data)) + data  # AnyValue{string_value}
    inner = _field(b"\x2a", b"\x0a" + varint(len(item)) + item)  # AnyValue{array_value{values}}
    body = varint(len(inner)) + inner
    if len(text) < 64:
        if len(_ONE_TEXT_LISTS) >= _MAX_ONE_TEXT_LISTS:
            _ONE_TEXT_LISTS.clear()
        _ONE_TEXT_LISTS[text] = body
    return body


_SPAN_NAMES: dict[str, bytes] = {}
"""Span field 5 (the name), by name: runs of an app repeat a few names."""
_EVENT_NAMES: dict[str, bytes] = {}
"""Event field 2 (the name), by name."""
_MAX_NAME_FIELDS: Final = 4096


def _text_field(cache: dict[str, bytes], tag: bytes, text: str) -> bytes:
    """A length-delimited text field, remembered in `cache` when short."""
    encoded = _field(tag, text.encode())
    if len(text) < 128:
        if len(cache) >= _MAX_NAME_FIELDS:
            cache.clear()
        cache[text] = encoded
    return encoded


_KIND_AND_TIMES: Final = struct.Struct("<BBBQBQ")
"""Span fields 6 (kind, 1-5: a one-byte varint), 7 and 8 (start and end, fixed64)."""


_FLAGS: Final = tuple(
    b"\x85\x01" + _FIXED32.pack(_HAS_IS_REMOTE | (_IS_REMOTE if remote else 0))
    for remote in (False, True)
)
"""Span field 16 (flags), for a local and for a remote parent."""
_STATUS_AND_FLAGS: Final = tuple(
    tuple(_field(b"\x7a", b"\x18" + varint(code) if code else b"") + flags for flags in _FLAGS)
    for code in range(3)
)
"""Span field 15 (status, no message) and the flags, by status code and remote parent."""


class _Encoder:
    """Encodes the spans of one request, remembering long texts already encoded."""

    __slots__ = ("_texts",)

    def __init__(self) -> None:
        self._texts: dict[int, tuple[str, bytes]] = {}

    def _shared_text(self, value: str) -> bytes:
        """A long text's length-prefixed AnyValue, encoded once per request."""
        found = self._texts.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        data = value.encode()
        size = len(data)
        encoded = (_TEXT_HEADS[size] if size < 4096 else _text_head(size)) + data
        self._texts[id(value)] = (value, encoded)
        return encoded

    def any_value(self, value: AttributeValue) -> bytes:
        """An AnyValue message (without its own tag)."""
        kind = type(value)
        if kind is str:
            data = value.encode()  # type: ignore[union-attr]
            return b"\x0a" + varint(len(data)) + data
        if kind is bool:
            return b"\x10\x01" if value else b"\x10\x00"
        if kind is int:
            return b"\x18" + _int64(value)  # type: ignore[arg-type]
        if kind is float:
            return b"\x21" + _DOUBLE.pack(value)
        if value is None:
            return b""
        if kind is list or kind is tuple:  # arrays (tags, finish reasons): before the ABCs
            items = [self.any_value(item) for item in value]  # type: ignore[union-attr]
            return _field(b"\x2a", b"".join([b"\x0a" + varint(len(i)) + i for i in items]))
        if isinstance(value, bytes):
            return _field(b"\x3a", value)
        if isinstance(value, Mapping):
            pairs: list[bytes] = []
            self.pairs(pairs, b"\x0a", [(str(k), v) for k, v in value.items()])
            return _field(b"\x32", b"".join(pairs))
        if isinstance(value, Sequence) and not isinstance(value, str):
            return _field(b"\x2a", b"".join(_field(b"\x0a", self.any_value(v)) for v in value))
        raise InvalidSpanError(f"{type(value).__name__} is not an attribute type")

    def attributes(
        self, out: list[bytes], tag: bytes, attributes: Mapping[str, AttributeValue]
    ) -> None:
        """Append one `tag`-numbered KeyValue field per attribute to `out`."""
        self.pairs(out, tag, attributes.items())

    def pairs(
        self, out: list[bytes], tag: bytes, items: Iterable[tuple[str, AttributeValue]]
    ) -> None:
        """Append one `tag`-numbered KeyValue field per key and value to `out`."""
        names = _NAMES
        small = _SMALL
        heads = _TEXT_HEADS
        sizes = _TEXT_SIZES
        extend = out.extend
        append = out.append
        shorts = _SHORT.get(tag) or _NO_SHORTS
        for key, value in items:
            kind = type(value)
            if kind is str:  # most attributes: written without building the pair first
                length = len(value)  # type: ignore[arg-type]
                if length < 32:  # short texts repeat (kinds, models, ids of a trace): cached
                    pair = (shorts.get(key) or _NO_PAIRS).get(value)  # type: ignore[arg-type]
                    if pair is None:
                        pair = _short_pair(tag, key, value)  # type: ignore[arg-type]
                        shorts = _SHORT[tag]
                    append(pair)
                    continue
                name, name_size = names.get(key) or _name(key)
                if length < _SHARED_TEXT:
                    data = value.encode()  # type: ignore[union-attr]
                    size = len(data)
                    if size < 4096:
                        total = name_size + sizes[size]
                        head = small[total] if total < 16384 else varint(total)
                        extend((tag, head, name, heads[size], data))
                        continue
                    body = _text_head(size) + data
                else:
                    body = self._shared_text(value)  # type: ignore[arg-type]
            else:
                name, name_size = names.get(key) or _name(key)
                if kind is int and 0 <= value < 4096:  # type: ignore[operator]
                    body = _INT_BODIES[value]  # type: ignore[index]
                elif kind is bool:
                    body = _TRUE if value else _FALSE
                elif kind is float:
                    body = _DOUBLE_HEAD + _DOUBLE.pack(value)
                elif value is None:
                    body = _NONE
                elif kind is list and len(value) == 1 and type(value[0]) is str:  # type: ignore[arg-type,index]
                    # one text (a tag, a finish reason): the same few repeat from span to span
                    text = value[0]  # type: ignore[index]
                    body = _ONE_TEXT_LISTS.get(text) or _one_text_list(text)
                else:
                    inner = self.any_value(value)
                    body = varint(len(inner)) + inner
            total = name_size + len(body)
            extend((tag, small[total] if total < 16384 else varint(total), name, body))

    def span(self, record: SpanRecord) -> bytes:
        parts = [
            b"\x0a\x10"
            + record.trace_id.to_bytes(16, "big")
            + b"\x12\x08"
            + record.span_id.to_bytes(8, "big")
        ]
        if record.trace_state:
            parts.append(_field(b"\x1a", record.trace_state.encode()))
        if record.parent_span_id is not None:
            parts.append(b"\x22\x08" + record.parent_span_id.to_bytes(8, "big"))
        name = record.name
        if name:
            parts.append(_SPAN_NAMES.get(name) or _text_field(_SPAN_NAMES, b"\x2a", name))
        kind = _KINDS[record.kind]
        parts.append(_KIND_AND_TIMES.pack(0x30, kind, 0x39, record.start_ns, 0x41, record.end_ns))
        if record.attributes:
            self.attributes(parts, b"\x4a", record.attributes)
        if record.dropped_attributes:
            parts.append(b"\x50" + varint(record.dropped_attributes))
        for event in record.events:
            body = [b"\x09" + _FIXED64.pack(event.time_ns)]
            if event.name:
                body.append(
                    _EVENT_NAMES.get(event.name) or _text_field(_EVENT_NAMES, b"\x12", event.name)
                )
            if event.attributes:
                self.attributes(body, b"\x1a", event.attributes)
            parts.append(_field(b"\x5a", b"".join(body)))
        if record.dropped_events:
            parts.append(b"\x60" + varint(record.dropped_events))
        for link in record.links:
            body = [
                b"\x0a\x10" + link.trace_id.to_bytes(16, "big"),
                b"\x12\x08" + link.span_id.to_bytes(8, "big"),
            ]
            if link.attributes:
                self.attributes(body, b"\x22", link.attributes)
            body.append(b"\x35" + _FIXED32.pack(_HAS_IS_REMOTE))
            parts.append(_field(b"\x6a", b"".join(body)))
        if record.dropped_links:
            parts.append(b"\x70" + varint(record.dropped_links))
        code = _CODES[record.status_code]
        if record.status_message:
            status = _field(b"\x12", record.status_message.encode())
            if code:
                status += b"\x18" + varint(code)
            parts.append(_field(b"\x7a", status))
            parts.append(_FLAGS[bool(record.parent_is_remote)])
        else:  # status and flags without a message: from a table
            parts.append(_STATUS_AND_FLAGS[code][bool(record.parent_is_remote)])
        return b"".join(parts)


def _int64(number: int) -> bytes:
    """An int64 field's varint (two's complement for negatives)."""
    if number >= 0:
        if number > _INT64_MAX:
            raise InvalidSpanError(f"integer {number} does not fit OTLP's int64")
        return varint(number)
    if number < _INT64_MIN:
        raise InvalidSpanError(f"integer {number} does not fit OTLP's int64")
    return _varint_slow(number + (1 << 64))


def _scope(name: str, version: str) -> bytes:
    body = _field(b"\x0a", name.encode()) if name else b""
    if version:
        body += _field(b"\x12", version.encode())
    return body


def _framed(out: list[bytes], tag: bytes, pieces: list[bytes], size: int) -> int:
    """Append a length-delimited field made of `pieces` (`size` bytes); its size on the wire."""
    header = tag + varint(size)
    out.append(header)
    out.extend(pieces)
    return len(header) + size


def encode_request(records: Sequence[SpanRecord]) -> bytes:
    """The OTLP protobuf request carrying the records (InvalidSpanError for a value OTLP
    cannot carry: an integer beyond int64, a time beyond 2^64 ns, an unknown kind)."""
    encoder = _Encoder()
    resources: dict[int, bytes] = {}  # resource dicts are shared: encode each object once
    groups: dict[bytes, dict[tuple[str, str], list[bytes]]] = {}
    for record in records:
        resource = resources.get(id(record.resource))
        if resource is None:
            pairs: list[bytes] = []
            encoder.attributes(pairs, b"\x0a", record.resource)
            resource = resources[id(record.resource)] = b"".join(pairs)
        try:
            span = encoder.span(record)
        except (KeyError, OverflowError, struct.error) as exc:
            raise InvalidSpanError(
                f"span {record.span_id:016x} cannot be encoded: {exc!r}"
            ) from None
        scopes = groups.get(resource)
        if scopes is None:
            scopes = groups[resource] = {}
        key = (record.scope_name, record.scope_version)
        spans = scopes.get(key)
        if spans is None:
            spans = scopes[key] = []
        spans.append(span)
    # ResourceSpans{1: Resource, 2: ScopeSpans{1: scope, 2: Span...}...}, framed from lengths.
    out: list[bytes] = []
    small = _SMALL
    for resource, scopes in groups.items():
        body: list[bytes] = [_field(b"\x0a", resource)]
        body_size = len(body[0])
        for (name, version), spans in scopes.items():
            scope_spans = [_field(b"\x0a", _scope(name, version))]
            size = len(scope_spans[0])
            for span in spans:
                length = len(span)
                header = b"\x12" + (small[length] if length < 16384 else varint(length))
                scope_spans.append(header)
                scope_spans.append(span)
                size += len(header) + length
            body_size += _framed(body, b"\x12", scope_spans, size)
        _framed(out, b"\x0a", body, body_size)
    return b"".join(out)
