"""LangSmith API requests built from items, as the SDKs frame them, for tests of the intake."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from otel_runs.receiver.langsmith_api.bodies import Route, SpooledRequest, read_request
from otel_runs.receiver.langsmith_api.items import FEEDBACK, PATCH, POST, Item

BOUNDARY = "test-boundary-0"
_EVENTS = {POST: "post", PATCH: "patch"}


def _part(name: str, data: bytes, media: str = "application/json") -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        f"Content-Type: {media}\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def multipart_request(items: Sequence[Item]) -> SpooledRequest:
    """One `/runs/multipart` request carrying the items (run dicts whole in their main part)."""
    parts = []
    for number, (kind, run_id, payload) in enumerate(items):
        if kind in _EVENTS:
            parts.append(_part(f"{_EVENTS[kind]}.{run_id}", orjson.dumps(payload)))
        elif kind == FEEDBACK:
            parts.append(_part(f"feedback.{payload.get('id') or number}", orjson.dumps(payload)))
        else:
            name, media, data = payload
            parts.append(_part(f"attachment.{run_id}.{name}", data, media))
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return SpooledRequest(Route.MULTIPART, body, f"multipart/form-data; boundary={BOUNDARY}")


def accepted(items: Sequence[Item]) -> tuple[SpooledRequest, list[Item]]:
    """The request and the items the door reads of it (all of them: a test's items are good)."""
    request = multipart_request(items)
    read = read_request(request, 1 << 30)
    assert read.rejected == [], read.rejected
    return request, read.items
