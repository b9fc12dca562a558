"""A protobuf `ExportTraceServiceRequest` cut into its resources, scopes and spans at the wire
level, each still encoded, so that each can be parsed on its own.

The decoder parses a request in one call to upb, which refuses the whole message when any part
of it cannot be read: an attribute nested past upb's recursion limit (100 message levels), or a
string field that is not UTF-8. Then, and only then, the decoder asks this module for the
pieces, and parses span by span: the span that cannot be read is rejected with upb's reason,
and its neighbours go through (`decode.py`). A body that is not even well-formed protobuf at
the wire level (truncated, a bad varint, a length past the end) gives None: it stays one
undecodable request.

Field numbers (opentelemetry-proto): ExportTraceServiceRequest.resource_spans = 1;
ResourceSpans.resource = 1, .scope_spans = 2; ScopeSpans.scope = 1, .spans = 2. Other fields
(schema URLs, unknown fields) are skipped, as any proto3 parser does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

_VARINT, _I64, _LEN, _START_GROUP, _END_GROUP, _I32 = 0, 1, 2, 3, 4, 5
_MAX_VARINT_BYTES: Final = 10
_MAX_GROUP_DEPTH: Final = 100
"""Unknown groups nested deeper than upb would read make the body undecodable."""


class _Malformed(Exception):
    """Not protobuf at the wire level."""


@dataclass(slots=True)
class ScopePiece:
    """One ScopeSpans: its scope message and its span messages, still encoded."""

    scope: bytes = b""
    spans: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class ResourcePiece:
    """One ResourceSpans: its resource message and its scopes, still encoded."""

    resource: bytes = b""
    scopes: list[ScopePiece] = field(default_factory=list)


def split_request(body: bytes) -> list[ResourcePiece] | None:
    """The request's pieces in request order, or None when the body is not wire-level
    protobuf of that shape."""
    try:
        resources = []
        for number, value in _length_fields(body):
            if number == 1:
                resources.append(_resource(value))
        return resources
    except _Malformed:
        return None


def _resource(data: bytes) -> ResourcePiece:
    piece = ResourcePiece()
    for number, value in _length_fields(data):
        if number == 1:
            piece.resource = value
        elif number == 2:
            piece.scopes.append(_scope(value))
    return piece


def _scope(data: bytes) -> ScopePiece:
    piece = ScopePiece()
    for number, value in _length_fields(data):
        if number == 1:
            piece.scope = value
        elif number == 2:
            piece.spans.append(value)
    return piece


def _length_fields(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(field number, bytes) of a message's length-delimited fields. Fields of other wire types
    are skipped, as upb skips them (a known field with the wrong wire type is unknown to it)."""
    position, end = 0, len(data)
    while position < end:
        number, wire, position = _key(data, position)
        if wire == _LEN:
            length, position = _varint(data, position)
            if position + length > end:
                raise _Malformed("length past the end")
            yield number, data[position : position + length]
            position += length
        else:
            position = _skip(data, position, number, wire, depth=0)


def _key(data: bytes, position: int) -> tuple[int, int, int]:
    key, position = _varint(data, position)
    if key >> 3 == 0:
        raise _Malformed("field number 0")
    return key >> 3, key & 7, position


def _skip(data: bytes, position: int, number: int, wire: int, depth: int) -> int:
    """The position after a value that is not length-delimited (a group: up to its end)."""
    if wire == _VARINT:
        _, position = _varint(data, position)
    elif wire == _I64:
        position += 8
    elif wire == _I32:
        position += 4
    elif wire == _START_GROUP and depth < _MAX_GROUP_DEPTH:
        while True:
            if position >= len(data):
                raise _Malformed("group without its end")
            inner, inner_wire, position = _key(data, position)
            if inner_wire == _END_GROUP:
                if inner != number:
                    raise _Malformed("group ends with another field number")
                break
            if inner_wire == _LEN:
                length, position = _varint(data, position)
                position += length
            else:
                position = _skip(data, position, inner, inner_wire, depth + 1)
    else:  # an end without a start, the unused types 6 and 7, or groups nested too deep
        raise _Malformed(f"wire type {wire}")
    if position > len(data):
        raise _Malformed("value past the end")
    return position


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    for index in range(position, min(position + _MAX_VARINT_BYTES, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, index + 1
        shift += 7
    raise _Malformed("bad varint")
