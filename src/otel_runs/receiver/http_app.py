"""OTLP/HTTP as a raw ASGI app: `POST /v1/traces`, `/v1/logs`, `/v1/metrics`; `GET /stats`.

Per request, in this order (each refusal answers in the request's encoding, as a
`google.rpc.Status`, and never reads the body it refuses):

| check                                  | status | body / headers                          |
|----------------------------------------|--------|-----------------------------------------|
| path is not an OTLP signal             | 404    |                                         |
| method is not POST                     | 405    | `Allow: POST`                           |
| bearer token missing or wrong          | 401    | `WWW-Authenticate: Bearer`              |
| Content-Type not protobuf or JSON      | 415    |                                         |
| Content-Length over the limit          | 413    | refused before reading                  |
| too many requests in flight            | 429    | `Retry-After`, RetryInfo                |
| body over the limit (wire or inflated) | 413    | inflating stops at limit + 1 bytes      |
| Content-Encoding not gzip/deflate      | 415    |                                         |
| undecodable or corrupt compression     | 400    | BadRequest detail                       |
| spool full / cannot write              | 503    | `Retry-After`, RetryInfo                |
| decoded                                | 200    | `partial_success` when spans were bad   |

`GET /stats` answers the receiver's counters as a JSON object (`ReceiverService.stats()`: spans
accepted, refused, pending in the spool, converted, delivered, failed...), behind the same bearer
token; anything but GET gets 405.

The reply's Content-Type is the request's (`application/x-protobuf` or `application/json`);
requests of an unsupported type get protobuf. Decoding and the durable write run on the
ingress pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from otel_runs.receiver.export_call import Accepted, ExportRequest, Problem, Refused, Signal
from otel_runs.receiver.ingress import Ingress
from otel_runs.receiver.limits import BodyTooLargeError
from otel_runs.receiver.replies import (
    CODE_NOT_FOUND,
    CODE_UNAUTHENTICATED,
    CODE_UNIMPLEMENTED,
    PROBLEM_CODES,
    export_response,
    retry_seconds,
    status_body,
)

_logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PROTOBUF: Final = "application/x-protobuf"
JSON: Final = "application/json"
PROJECT_HEADER: Final = "langsmith-project"
"""Header naming the LangSmith project the spans go to (LangSmith's own OTLP endpoint's name)."""

PATHS: Final = {
    "/v1/traces": Signal.TRACES,
    "/v1/logs": Signal.LOGS,
    "/v1/metrics": Signal.METRICS,
}
STATS_PATH: Final = "/stats"
"""Where the receiver's counters are read (GET, JSON)."""
_PROTOBUF_TYPES: Final = frozenset({PROTOBUF, "application/protobuf"})
_STATUS: Final = {
    Problem.UNDECODABLE: 400,
    Problem.TOO_LARGE: 413,
    Problem.UNSUPPORTED: 415,
    Problem.UNAUTHENTICATED: 401,
    Problem.BUSY: 429,
    Problem.SPOOL_FULL: 503,
    Problem.UNAVAILABLE: 503,
}


class _Disconnected(Exception):
    """The client went away before sending its whole body."""


class OtlpHttpApp:
    """The ASGI application; one instance serves every connection."""

    def __init__(self, ingress: Ingress) -> None:
        self._ingress = ingress

    def __repr__(self) -> str:
        return f"OtlpHttpApp(auth={self._ingress.auth!r}, limits={self._ingress.limits!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = _headers(scope)
        media = headers.get("content-type", "").partition(";")[0].strip().lower()
        json_body = media == JSON
        reply = _Reply(send, json_body)
        path = scope["path"].rstrip("/") or "/"
        if path == STATS_PATH:
            await self._stats(scope, headers, send)
            return
        signal = PATHS.get(path)
        if signal is None:
            await reply.status(404, CODE_NOT_FOUND, f"no OTLP endpoint at {scope['path']!r}")
            return
        if scope["method"] != "POST":
            await reply.status(405, CODE_UNIMPLEMENTED, "use POST", extra=[(b"allow", b"POST")])
            return
        ingress = self._ingress
        if not ingress.auth.allows(headers.get("authorization")):
            await reply.unauthenticated()
            return
        if not json_body and media not in _PROTOBUF_TYPES:
            shown = media or "none"
            await reply.refused(
                Refused(
                    Problem.UNSUPPORTED,
                    f"Content-Type {shown!r} is not supported; use {PROTOBUF} or {JSON}",
                )
            )
            return
        limit = ingress.limits.max_request_bytes
        if _declared_length(headers) > limit:
            await reply.refused(Refused(Problem.TOO_LARGE, str(BodyTooLargeError(limit))))
            return
        if not ingress.limiter.try_acquire():
            await reply.refused(
                Refused(
                    Problem.BUSY,
                    "too many requests in flight; retry later",
                    ingress.limits.busy_retry_after_s,
                )
            )
            return
        try:
            await self._export(scope, receive, reply, headers, signal)
        finally:
            ingress.limiter.release()

    async def _stats(self, scope: Scope, headers: dict[str, str], send: Send) -> None:
        reply = _Reply(send, json_body=True)
        if scope["method"] != "GET":
            await reply.status(405, CODE_UNIMPLEMENTED, "use GET", extra=[(b"allow", b"GET")])
            return
        if not self._ingress.auth.allows(headers.get("authorization")):
            await reply.unauthenticated()
            return
        read = getattr(self._ingress.intake, "stats", None)
        if not callable(read):
            await reply.status(404, CODE_NOT_FOUND, "this receiver keeps no counters")
            return
        # Off the event loop: the counters share a lock with the spool's writers.
        counts = await asyncio.to_thread(read)
        await reply.body(200, json.dumps(counts, sort_keys=True).encode())

    async def _export(
        self, scope: Scope, receive: Receive, reply: _Reply, headers: dict[str, str], signal: Signal
    ) -> None:
        limit = self._ingress.limits.max_request_bytes
        try:
            body = await _read_body(receive, limit)
        except _Disconnected:
            _logger.debug("client left before sending its whole body")
            return
        except BodyTooLargeError as exc:
            await reply.refused(Refused(Problem.TOO_LARGE, str(exc)))
            return
        request = ExportRequest(
            signal,
            body,
            json_body=reply.json_body,
            encoding=headers.get("content-encoding", ""),
            project=_project(headers),
        )
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._ingress.pool, self._ingress.run, request)
        if isinstance(outcome, Refused):
            await reply.refused(outcome)
            return
        await reply.accepted(signal, outcome)


class _Reply:
    """Sends one response in the request's encoding."""

    def __init__(self, send: Send, json_body: bool) -> None:
        self._send = send
        self.json_body = json_body

    async def accepted(self, signal: Signal, accepted: Accepted) -> None:
        await self._body(200, export_response(signal, accepted, json_body=self.json_body), [])

    async def refused(self, refused: Refused) -> None:
        extra: list[tuple[bytes, bytes]] = []
        if refused.retry_after_s is not None:
            extra.append((b"retry-after", str(retry_seconds(refused.retry_after_s)).encode()))
        await self.status(
            _STATUS[refused.problem],
            PROBLEM_CODES[refused.problem],
            refused.message,
            refused.retry_after_s,
            extra=extra,
        )

    async def status(
        self,
        http_status: int,
        code: int,
        message: str,
        retry_after_s: float | None = None,
        *,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        body = status_body(code, message, retry_after_s, json_body=self.json_body)
        await self._body(http_status, body, extra or [])

    async def unauthenticated(self) -> None:
        await self.status(
            401,
            CODE_UNAUTHENTICATED,
            "missing or wrong bearer token",
            extra=[(b"www-authenticate", b"Bearer")],
        )

    async def body(self, status: int, body: bytes) -> None:
        """A body that is not an OTLP message, in the reply's content type."""
        await self._body(status, body, [])

    async def _body(self, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
        content_type = JSON if self.json_body else PROTOBUF
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name (ASGI already lower-cases them); last one wins."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _project(headers: dict[str, str]) -> str | None:
    """The `Langsmith-Project` header as UTF-8 text, or None when absent or blank."""
    raw = headers.get(PROJECT_HEADER, "").encode("latin-1")
    return raw.decode("utf-8", "replace").strip() or None


def _declared_length(headers: dict[str, str]) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, refusing it as soon as more than `limit` bytes have arrived."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to set up per app: acknowledge startup and shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
