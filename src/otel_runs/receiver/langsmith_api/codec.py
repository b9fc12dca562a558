"""One accepted LangSmith API request <-> the bytes of one `run_batches` spool row.

A row keeps the request as it came (`SpooledRequest`: the route, the body still compressed,
its Content-Type and Content-Encoding, the run id of a `PATCH /runs/{id}`), in a `marshal`
tuple. Reading it back goes through the same reader as at the door, which gives the same items
in the same order (the refused ones are not items, so they stay out). The forwarder normally
gets the items the door already read, in memory (`service.py`); the row is read back only after
a restart, or when that hand-off was full.

Why the body and not the items: a SDK request of 99 runs (the benchmark's agent traces) is
6.6 KB as received against 68 KB of marshalled items, so the fsync'd insert, the WAL, the read
back and the spool's size limit handle 10x fewer bytes, and no per-run encoding is paid on the
way in.
"""

from __future__ import annotations

import marshal
from typing import Final

from otel_runs.receiver.codec import CodecError
from otel_runs.receiver.langsmith_api.bodies import Route, SpooledRequest

FORMAT: Final = 2
"""Layout version of the rows; stored in every blob."""
_MARSHAL_VERSION: Final = 4
_ROUTES: Final = {route.value: route for route in Route}


def encode_request(request: SpooledRequest) -> bytes:
    """One request as one blob."""
    fields = (request.route.value, request.content_type, request.encoding, request.run_id)
    return marshal.dumps((FORMAT, *fields, request.body), _MARSHAL_VERSION)


def decode_request(blob: bytes) -> SpooledRequest:
    """The request of one blob. Raises CodecError for another format or a damaged blob."""
    try:
        payload = marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as exc:
        raise CodecError(f"spool blob is damaged: {exc}") from exc
    if not (isinstance(payload, tuple) and len(payload) == 6 and payload[0] == FORMAT):
        raise CodecError(f"spool blob is not a LangSmith API row of format {FORMAT}")
    _, route, content_type, encoding, run_id, body = payload
    if route not in _ROUTES or not isinstance(body, bytes):
        raise CodecError(f"spool blob names an unknown route {route!r}")
    return SpooledRequest(_ROUTES[route], body, str(content_type), str(encoding), run_id)
