"""What one receiver process lets in (request size after decompression, spans per request,
requests in flight),
where it listens by default, and how long shutdown waits.

- `Limits`: the numbers, shared by the HTTP and gRPC front ends.
- `inflate(body, encoding, limit)`: undo `Content-Encoding` (gzip, deflate) without ever
  holding more than `limit + 1` decompressed bytes, so a compression bomb costs at most one
  limit's worth of work before it is refused with `BodyTooLargeError`.
- `InflightLimiter`: a non-blocking counter of requests being decoded and spooled; when it is
  full the front ends answer 429 / RESOURCE_EXHAUSTED with a retry delay instead of queueing
  without bound.

Why 20 MiB by default and not the spec's recommended 64 MiB: a decoded span takes ~15x its wire
size in Python objects, and memory is bounded by `max_inflight * max_request_bytes * ~15`. 20 MiB
is the OpenTelemetry Collector's own default (`max_request_body_size`), and an SDK's default
batch (512 spans) is well under 1 MiB.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from typing import Final

from otel_runs.errors import OtelRunsError

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_HTTP_PORT: Final = 4318
"""The OTLP/HTTP port the spec names."""
DEFAULT_GRPC_PORT: Final = 4317
"""The OTLP/gRPC port the spec names."""
DEFAULT_GRACE_S: Final = 30.0
"""How long in-flight requests (and the final flush) may take once shutdown starts."""

MIB: Final = 1024 * 1024
DEFAULT_MAX_REQUEST_BYTES: Final = 20 * MIB
"""Largest request body accepted, measured after decompression (HTTP and gRPC)."""
DEFAULT_MAX_INFLIGHT: Final = 8
DEFAULT_MAX_REQUEST_SPANS: Final = 50_000
"""Spans one request may hold (413 beyond). Tiny spans take ~30x their wire size once decoded,
so bytes alone do not bound memory: 20 MiB of minimal spans is ~350,000 of them (~550 MiB).
50,000 is six times the Collector's largest default batch (8192)."""
"""Requests decoded and spooled at once; more get 429 / RESOURCE_EXHAUSTED with a retry delay."""
DEFAULT_BUSY_RETRY_AFTER_S: Final = 1.0
"""Retry delay suggested when the in-flight limit is reached."""

_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_ZLIB_WBITS: Final = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS: Final = -zlib.MAX_WBITS


class BodyTooLargeError(OtelRunsError):
    """The request body is larger than the limit (before or after decompression): 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body is larger than the limit of {limit} bytes")
        self.limit = limit


class BadEncodingError(OtelRunsError):
    """The body does not decompress with the encoding it names (corrupt or truncated): 400."""


class UnsupportedEncodingError(OtelRunsError):
    """A `Content-Encoding` other than gzip, deflate or identity: 415."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Size and concurrency limits of one receiver process."""

    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_inflight: int = DEFAULT_MAX_INFLIGHT
    busy_retry_after_s: float = DEFAULT_BUSY_RETRY_AFTER_S
    max_request_spans: int = DEFAULT_MAX_REQUEST_SPANS

    def __post_init__(self) -> None:
        if self.max_request_bytes < 1:
            raise ValueError(f"max_request_bytes must be >= 1, got {self.max_request_bytes}")
        if self.max_inflight < 1:
            raise ValueError(f"max_inflight must be >= 1, got {self.max_inflight}")
        if self.max_request_spans < 1:
            raise ValueError(f"max_request_spans must be >= 1, got {self.max_request_spans}")


def inflate(body: bytes, encoding: str, limit: int) -> bytes:
    """`body` decoded per its `Content-Encoding`; at most `limit` bytes come out.

    Raises BodyTooLargeError past the limit, BadEncodingError for corrupt or truncated data and
    UnsupportedEncodingError for an encoding we do not speak.
    """
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        if len(body) > limit:
            raise BodyTooLargeError(limit)
        return body
    if coding in ("gzip", "x-gzip"):
        return _inflate(body, _GZIP_WBITS, limit, coding)
    if coding == "deflate":
        # RFC 9110 says zlib-wrapped, but some clients send raw deflate: tell by the header.
        wbits = _ZLIB_WBITS if _has_zlib_header(body) else _RAW_DEFLATE_WBITS
        return _inflate(body, wbits, limit, coding)
    raise UnsupportedEncodingError(
        f"Content-Encoding {encoding!r} is not supported (use gzip, deflate or none)"
    )


def _has_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0


def _inflate(data: bytes, wbits: int, limit: int, coding: str) -> bytes:
    out = bytearray()
    while True:
        stream = zlib.decompressobj(wbits)
        try:
            # max_length caps the output: a bomb stops after limit + 1 bytes.
            out += stream.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise BadEncodingError(f"body is not valid {coding} data: {exc}") from None
        if len(out) > limit:
            raise BodyTooLargeError(limit)
        if not stream.eof:
            raise BadEncodingError(f"{coding} body is truncated")
        data = stream.unused_data
        if not data:
            return bytes(out)
        if wbits != _GZIP_WBITS:
            raise BadEncodingError(f"{len(data)} stray bytes after the {coding} stream")
        # gzip allows several members back to back; decode the next one.


class InflightLimiter:
    """Counts requests in flight across both front ends; never blocks."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._count = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        return self._count

    def try_acquire(self) -> bool:
        """Take a slot if one is free; False means answer "busy, retry later"."""
        with self._lock:
            if self._count >= self._limit:
                return False
            self._count += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._count -= 1
