"""OTLP protobuf files, read request by request and written as length-delimited requests.

Three framings are read, told apart by their first bytes:

- `varint`: each `ExportTraceServiceRequest` preceded by its length as a protobuf varint (the
  OTel file-exporter spec's "delimited" messages; what we write);
- `fixed32`: each request preceded by its length as 4 big-endian bytes (the Collector's file
  exporter with `format: proto`);
- `single`: one bare request (a captured OTLP/HTTP body). It is read one `resource_spans` entry
  at a time, so memory is bounded by the largest resource's spans, not the file.

A frame that does not decode is a BadRecord named by its position ("request 3"); a malformed
span inside a good request is a BadRecord too and its neighbours still decode.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from typing import Final

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]  # no stubs
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_runs.files import FileFormatError
from otel_runs.files.encode_proto import encode_request
from otel_runs.files.records import BadRecord, decoded_spans
from otel_runs.files.source import Source
from otel_runs.model.span_record import SpanRecord
from otel_runs.otlp.decode import decode_request

_RESOURCE_SPANS_TAG: Final = 0x0A  # field 1, length-delimited
_MAX_FRAME: Final = 1 << 31


class Framing(enum.Enum):
    """How requests follow each other in a protobuf file."""

    VARINT = "varint"
    FIXED32 = "fixed32"
    SINGLE = "single"


def _varint(data: bytes, pos: int) -> tuple[int, int] | None:
    """(value, position after it), or None when the bytes end first or it is too long."""
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None


def encode_varint(value: int) -> bytes:
    """A protobuf varint."""
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _parses(frame: bytes) -> bool:
    try:
        ExportTraceServiceRequest.FromString(frame)
    except (DecodeError, RecursionError):
        return False
    return True


def _next_plausible(head: bytes, at: int, framing: Framing) -> bool:
    """Whether what follows a first frame looks like the next one (or the end)."""
    if at >= len(head):
        return True
    if framing is Framing.FIXED32:
        return head[at] == 0  # frames under 16 MiB start with a zero byte
    if framing is Framing.SINGLE:
        return head[at] == _RESOURCE_SPANS_TAG
    found = _varint(head, at)
    return found is not None and (found[1] >= len(head) or head[found[1]] == _RESOURCE_SPANS_TAG)


def framing(source: Source) -> Framing:
    """The framing of a protobuf file, from its first bytes; FileFormatError if none fits."""
    head = source.peek(1 << 20)
    if len(head) >= 5 and head[0] == 0:
        size = int.from_bytes(head[:4], "big")
        end = 4 + size
        complete = end > len(head) or _parses(head[4:end])
        if (
            head[4] == _RESOURCE_SPANS_TAG
            and complete
            and _next_plausible(head, end, Framing.FIXED32)
        ):
            return Framing.FIXED32
    if head[:1] == bytes([_RESOURCE_SPANS_TAG]):
        found = _varint(head, 1)
        if found is not None:
            end = found[1] + found[0]
            if end > len(head) or _next_plausible(head, end, Framing.SINGLE):
                return Framing.SINGLE
    found = _varint(head, 0)
    if found is not None and (found[0] == 0 or head[found[1] : found[1] + 1] == b"\x0a"):
        end = found[1] + found[0]
        if end > len(head) or (
            _parses(head[found[1] : end]) and _next_plausible(head, end, Framing.VARINT)
        ):
            return Framing.VARINT
    raise FileFormatError(
        "not OTLP: neither JSON nor a protobuf ExportTraceServiceRequest (bare, or prefixed by "
        "a varint or 4-byte length)"
    )


def _read_varint(source: Source) -> int | None:
    head = source.peek(10)
    if not head:
        return None
    found = _varint(head, 0)
    if found is None:
        raise FileFormatError("the input ends inside a length prefix")
    source.read(found[1])
    return found[0]


def _frames(source: Source, kind: Framing) -> Iterator[tuple[str, bytes]]:
    """(position, request bytes) for every request of the file."""
    number = 0
    while True:
        if kind is Framing.FIXED32:
            prefix = source.read(4)
            if not prefix:
                return
            if len(prefix) < 4:
                raise FileFormatError(
                    f"request {number + 1}: the input ends inside a length prefix"
                )
            size: int | None = int.from_bytes(prefix, "big")
        elif kind is Framing.VARINT:
            size = _read_varint(source)
        else:  # SINGLE: one resource_spans entry at a time, re-wrapped as a request
            tag = source.read(1)
            if not tag:
                return
            if tag[0] != _RESOURCE_SPANS_TAG:
                raise FileFormatError(f"resource {number + 1}: unexpected field tag {tag[0]:#x}")
            size = _read_varint(source)
        if size is None:
            return
        if size > _MAX_FRAME:
            raise FileFormatError(
                f"request {number + 1}: a length of {size} bytes is not believable"
            )
        body = source.read(size)
        number += 1
        if len(body) < size:
            raise FileFormatError(
                f"request {number}: the input ends {size - len(body)} bytes early"
            )
        if kind is Framing.SINGLE:
            yield f"resource {number}", bytes([_RESOURCE_SPANS_TAG]) + encode_varint(size) + body
        else:
            yield f"request {number}", body


def read_otlp_proto(source: Source) -> Iterator[tuple[str, SpanRecord | BadRecord]]:
    """(where, span) for the spans of an OTLP protobuf file, in file order; a request or span
    that does not decode gives a BadRecord instead."""
    kind = framing(source)
    for where, body in _frames(source, kind):
        yield from decoded_spans(decode_request, body, where)


def delimited_request(records: Sequence[SpanRecord]) -> bytes:
    """One `ExportTraceServiceRequest` of the records, varint-delimited as in our files (encoded
    by `encode_proto`, which matches the OTel SDK's encoder field for field)."""
    body = encode_request(records)
    return encode_varint(len(body)) + body
