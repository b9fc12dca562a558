"""`multipart/form-data` bodies as the LangSmith SDKs write them, split into named parts.

Both SDKs give every part a length: the Python SDK a `Content-Length` header, the JS SDK a
`length=` parameter of its `Content-Type`. With a length the part's data is taken by count
(binary attachments may contain anything, the boundary included) and must be followed by the
next delimiter; without one it ends at the next delimiter, as RFC 7578 reads it. Part headers
are latin-1 lines; the name comes from `Content-Disposition: form-data; name="..."`.

Per-part `Content-Encoding` is refused, as LangSmith refuses it (the whole body may be
compressed instead). A body whose framing is broken raises `MultipartError`: nothing of it is
trusted, since where one part ends decides where the next begins.

Pure: bytes in, parts out.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from otel_runs.errors import OtelRunsError

_NAME: Final = re.compile(r'(?:^|;)\s*name="([^"]*)"')
_CRLF: Final = b"\r\n"
_SDK_HEADERS: Final = re.compile(
    rb'\r\nContent-Disposition: form-data; name="([^"\r\n]*)"\r\n'
    rb"Content-Type: ([a-z0-9.+/-]+)(?:; length=([0-9]+))?\r\n"
    rb"(?:Content-Length: ([0-9]+)\r\n)?\r\n"
)
"""The header block exactly as both SDKs write it (the JS SDK's `length=`, the Python SDK's
`Content-Length`): read with one match. Anything else takes the general reader."""


_MEDIA_TEXTS: Final = {
    media.encode(): media
    for media in ("application/json", "application/octet-stream", "text/plain")
}
"""Media types the SDKs' parts mostly have, as text (decoded once, not per part)."""


class MultipartError(OtelRunsError):
    """The body is not multipart/form-data we can split (answer 400)."""


class Part(NamedTuple):
    """One part: its form name, its media type (lower case, no parameters) and its bytes."""

    name: str
    media_type: str
    data: bytes


def boundary_of(content_type: str) -> str:
    """The boundary of a `multipart/form-data` Content-Type; MultipartError otherwise."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise MultipartError(f"expected multipart/form-data, got {media.strip()!r}")
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "boundary":
            boundary = value.strip().strip('"')
            if boundary:
                return boundary
    raise MultipartError("multipart/form-data without a boundary")


def split_parts(body: bytes, boundary: str) -> list[Part]:
    """Every part of `body`, in order."""
    delimiter = b"--" + boundary.encode("latin-1")
    between = _CRLF + delimiter
    skip = len(between)
    if not body.startswith(delimiter):
        raise MultipartError("the body does not start with its boundary")
    parts: list[Part] = []
    append = parts.append
    make = tuple.__new__  # Part(...) without NamedTuple's Python-level __new__
    medias = _MEDIA_TEXTS
    pos = len(delimiter)
    find = body.find
    starts = body.startswith
    sdk_headers = _SDK_HEADERS.match
    while True:
        if starts(b"--", pos):  # the closing delimiter
            return parts
        found = sdk_headers(body, pos)
        if found is not None:
            raw_name, raw_media, in_type, in_header = found.groups()
            name = raw_name.decode("latin-1")
            media = medias.get(raw_media) or raw_media.decode("latin-1")
            declared = in_header or in_type
            length = int(declared) if declared is not None else None
            start = found.end()
        else:
            if not starts(_CRLF, pos):
                raise MultipartError(f"malformed boundary line at byte {pos}")
            head_start = pos + 2
            head_end = find(b"\r\n\r\n", head_start)
            if head_end < 0:
                raise MultipartError(f"part {len(parts) + 1} has no end of headers")
            name, media, length = _headers(body[head_start:head_end], len(parts) + 1)
            start = head_end + 4
        if length is None:
            end = find(between, start)
            if end < 0:
                raise MultipartError(f"part {name!r} has no closing boundary")
        else:
            end = start + length
            if not starts(between, end):
                raise MultipartError(f"part {name!r}: its length {length} does not match its data")
        append(make(Part, (name, media, body[start:end])))
        pos = end + skip


def _headers(block: bytes, number: int) -> tuple[str, str, int | None]:
    """(name, media type, declared length) of one part's header block."""
    name: str | None = None
    media = ""
    length: int | None = None
    for line in block.decode("latin-1").split("\r\n"):
        key, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"part {number}: malformed header line {line!r}")
        key = key.strip().lower()
        if key == "content-disposition":
            found = _NAME.search(value.partition(";")[2])
            if not value.strip().lower().startswith("form-data") or found is None:
                raise MultipartError(f"part {number}: no form-data name in {value.strip()!r}")
            name = found.group(1)
        elif key == "content-type":
            media, _, params = value.partition(";")
            media = media.strip().lower()
            for param in params.split(";"):
                pkey, _, pvalue = param.partition("=")
                if pkey.strip().lower() == "length" and length is None:
                    length = _length(pvalue, number)
        elif key == "content-length":
            length = _length(value, number)
        elif key == "content-encoding" and value.strip().lower() not in ("", "identity"):
            raise MultipartError(
                f"part {number}: per-part Content-Encoding is not supported; compress the body"
            )
    if name is None:
        raise MultipartError(f"part {number} has no Content-Disposition name")
    return name, media, length


def _length(text: str, number: int) -> int:
    text = text.strip().strip('"')
    if not text.isdigit():
        raise MultipartError(f"part {number}: bad length {text!r}")
    return int(text)
