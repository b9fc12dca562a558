"""One LangSmith API request body -> its items: undo `Content-Encoding` (zstd, gzip, deflate),
then read it by route (multipart parts, a batch, one run, one feedback).

zstd is inflated like gzip (`limits.inflate`): at most `limit + 1` bytes ever come out, so a
compression bomb costs one limit's worth of work before it is refused (413). A body that is
not what its route takes at all (not multipart, not JSON) raises `BodyError` (400); anything
finer (one run, one part) is a rejection inside the `Read`, and the rest goes on.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import orjson

from otel_runs.errors import OtelRunsError
from otel_runs.receiver.langsmith_api import items
from otel_runs.receiver.langsmith_api.items import Read
from otel_runs.receiver.langsmith_api.multipart import boundary_of, split_parts
from otel_runs.receiver.langsmith_api.sdk_body import read_sdk_body
from otel_runs.receiver.limits import (
    BadEncodingError,
    BodyTooLargeError,
    UnsupportedEncodingError,
    inflate,
)

if TYPE_CHECKING:
    import zstandard

_CHUNK: Final = 1 << 16
"""zstd output per read: below the allocator's mmap threshold, so no fresh pages per read."""


class Route(enum.Enum):
    """Which LangSmith ingest endpoint a request is for."""

    MULTIPART = "/runs/multipart"
    BATCH = "/runs/batch"
    CREATE_RUN = "/runs"
    UPDATE_RUN = "/runs/{run_id}"
    FEEDBACK = "/feedback"


@dataclass(frozen=True, slots=True)
class SpooledRequest:
    """A LangSmith API request as received."""

    route: Route
    body: bytes
    """Exactly as it came, still compressed."""
    content_type: str = ""
    encoding: str = ""
    """`Content-Encoding`."""
    run_id: str | None = None
    """The run of a `PATCH /runs/{id}`."""


class BodyError(OtelRunsError):
    """The body is not what its route takes (answer 400)."""


def decode_body(body: bytes, encoding: str, limit: int) -> bytes:
    """`body` decoded per its `Content-Encoding` (zstd, gzip, deflate, identity), at most
    `limit` bytes. Raises BodyTooLargeError, BadEncodingError, UnsupportedEncodingError."""
    coding = encoding.strip().lower()
    if coding != "zstd":
        try:
            return inflate(body, coding, limit)
        except UnsupportedEncodingError:
            raise UnsupportedEncodingError(
                f"Content-Encoding {encoding!r} is not supported (use zstd, gzip, deflate or none)"
            ) from None
    import zstandard

    out = bytearray()
    try:
        reader = _decompressor().stream_reader(body, read_across_frames=True)
        while True:
            chunk = reader.read(min(_CHUNK, limit + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > limit:
                raise BodyTooLargeError(limit)
    except zstandard.ZstdError as exc:
        raise BadEncodingError(f"body is not valid zstd data: {exc}") from None
    return bytes(out)


_LOCAL: Final = threading.local()


def _decompressor() -> zstandard.ZstdDecompressor:
    """This thread's zstd decompressor: a new one allocates its ~160 KB context every time
    (fresh pages, faulted in), one per thread is reused (they are not thread-safe)."""
    found: zstandard.ZstdDecompressor | None = getattr(_LOCAL, "zstd", None)
    if found is None:
        import zstandard

        found = _LOCAL.zstd = zstandard.ZstdDecompressor()
    return found


def read_request(request: SpooledRequest, limit: int) -> Read:
    """`decode_body` then `read_body`: the items of a request as received."""
    body = decode_body(request.body, request.encoding, limit)
    return read_body(request.route, body, request.content_type, request.run_id)


def read_body(route: Route, body: bytes, content_type: str, run_id: str | None = None) -> Read:
    """The items of a decoded body. Raises BodyError when the body as a whole is unreadable."""
    if route is Route.MULTIPART:
        try:
            boundary = boundary_of(content_type)
            # The Python SDK's own bodies in one pass; any other body (or anything to refuse)
            # by the general reader.
            read = read_sdk_body(body, boundary)
            if read is not None:
                return read
            return items.from_parts(split_parts(body, boundary))
        except OtelRunsError as exc:  # MultipartError
            raise BodyError(str(exc)) from None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"the body is not valid JSON: {exc}") from None
    if route is Route.BATCH:
        return items.from_batch(value)
    if route is Route.FEEDBACK:
        return items.from_feedback(value)
    kind = items.POST if route is Route.CREATE_RUN else items.PATCH
    return items.from_run(value, kind, path_id=run_id)
