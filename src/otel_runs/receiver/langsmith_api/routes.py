"""LangSmith's ingest API on `otel-runs serve`'s HTTP port, as a raw ASGI app in front of the
OTLP one: set `LANGSMITH_ENDPOINT` to the receiver and the LangSmith SDKs send here.

| route                      | method | takes                                         |
|----------------------------|--------|-----------------------------------------------|
| `/info`                    | GET    | (answers what the server accepts, no auth)    |
| `/runs/multipart`          | POST   | multipart/form-data, zstd / gzip / deflate    |
| `/runs/batch`              | POST   | `{"post": [...], "patch": [...]}`             |
| `/runs`                    | POST   | one run                                       |
| `/runs/{run_id}`           | PATCH  | one run update                                |
| `/feedback`                | POST   | one feedback                                  |
| `/stats`                   | GET    | the OTLP receiver's counters and these, `langsmith_api.*` |

The same paths under `/api/v1` (a self-hosted LangSmith's prefix) work too. Any other path
goes to the OTLP app (`/v1/traces`...); other LangSmith paths (`/sessions`, `GET /runs/...`)
answer 404, since otel-runs keeps no runs to query.

Per request, in this order, answers as LangSmith gives them (JSON `{"detail": ...}`):

| check                                  | status |
|----------------------------------------|--------|
| method not allowed on the route        | 405 (`Allow`)                                 |
| `x-api-key` (or bearer token) missing / wrong, when `--token` is set | 401 / 403 |
| `Content-Length` over the limit        | 413, before reading                           |
| too many requests in flight            | 429, `Retry-After`                            |
| body over the limit, inflated or not   | 413                                           |
| `Content-Encoding` not zstd/gzip/deflate | 415                                         |
| body unreadable as a whole             | 400                                           |
| every item refused                     | 422, each reason; nothing stored              |
| spool full / cannot write              | 503, `Retry-After`; nothing stored            |
| stored (fsync'd)                       | 202 `{"accepted": n, "rejected": [...]}`      |

Some items refused and others stored is a 202 whose `rejected` lists each refused run, part or
feedback with its reason: LangSmith refuses the whole request instead, but a client that
resends it would resend the good runs too, and they are already durable here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from otel_runs.guard import report
from otel_runs.receiver.export_call import INTERNAL_RETRY_AFTER_S, MAX_REASONS
from otel_runs.receiver.http_app import Receive, Scope, Send
from otel_runs.receiver.ingress import Ingress
from otel_runs.receiver.intake import SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.langsmith_api.bodies import (
    BodyError,
    Route,
    SpooledRequest,
    read_request,
)
from otel_runs.receiver.langsmith_api.items import run_key
from otel_runs.receiver.langsmith_api.service import RunIntake
from otel_runs.receiver.limits import (
    BadEncodingError,
    BodyTooLargeError,
    UnsupportedEncodingError,
)
from otel_runs.receiver.replies import retry_seconds

_logger = logging.getLogger(__name__)

App = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX: Final = "/api/v1"
"""A self-hosted LangSmith's API prefix; accepted so either endpoint form works."""
STATS_PREFIX: Final = "langsmith_api."
_ROUTES: Final = {
    "/runs/multipart": Route.MULTIPART,
    "/runs/batch": Route.BATCH,
    "/runs": Route.CREATE_RUN,
    "/feedback": Route.FEEDBACK,
}
_METHODS: Final = {
    Route.MULTIPART: "POST",
    Route.BATCH: "POST",
    Route.CREATE_RUN: "POST",
    Route.UPDATE_RUN: "PATCH",
    Route.FEEDBACK: "POST",
}
_RUN_PATH: Final = re.compile(r"^/runs/([0-9a-fA-F-]{32,36})$")
_LANGSMITH_ROOTS: Final = ("/runs", "/feedback", "/info", "/sessions", "/datasets", "/examples")
_SIZE_SHARE: Final = 2
"""The SDKs count part data only: /info advertises half the body limit, headers fit the rest."""


@dataclass(slots=True)
class _Answer:
    status: int
    body: dict[str, Any]
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def info(max_request_bytes: int) -> dict[str, Any]:
    """`GET /info`: what the LangSmith SDKs read before they send (multipart, compression,
    batch sizes). `version` is left empty: the SDKs skip their server-version checks then."""
    return {
        "version": "",
        "license_expiration_time": None,
        "batch_ingest_config": {
            "use_multipart_endpoint": True,
            "size_limit_bytes": max_request_bytes // _SIZE_SHARE,
            "size_limit": 100,
            "scale_up_qsize_trigger": 1000,
            "scale_up_nthreads_limit": 16,
            "scale_down_nempty_trigger": 4,
        },
        "instance_flags": {"zstd_compression_enabled": True, "gzip_body_enabled": True},
    }


class LangSmithApiApp:
    """LangSmith's ingest routes; everything else goes to `fallback` (the OTLP app)."""

    def __init__(self, intake: RunIntake, ingress: Ingress, fallback: App) -> None:
        self._intake = intake
        self._ingress = ingress
        self._fallback = fallback

    def __repr__(self) -> str:
        return f"LangSmithApiApp({self._intake!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._fallback(scope, receive, send)
            return
        path = scope["path"].rstrip("/") or "/"
        if path.startswith(PREFIX + "/"):
            path = path[len(PREFIX) :]
        if path == "/stats":
            await self._stats(scope, send)
            return
        if not path.startswith(_LANGSMITH_ROOTS):
            await self._fallback(scope, receive, send)
            return
        method = scope["method"]
        if path == "/info":
            if method != "GET":
                await _reply(send, _Answer(405, {"detail": "use GET"}, [(b"allow", b"GET")]))
                return
            await _reply(send, _Answer(200, info(self._ingress.limits.max_request_bytes)))
            return
        route, run_id = _route(path)
        if route is None:
            detail = f"otel-runs serves LangSmith's ingest API only; no {method} {path}"
            await _reply(send, _Answer(404, {"detail": detail}))
            return
        allowed = _METHODS[route]
        if method != allowed:
            await _reply(
                send, _Answer(405, {"detail": f"use {allowed}"}, [(b"allow", allowed.encode())])
            )
            return
        headers = _headers(scope)
        denied = self._denied(headers)
        if denied is not None:
            await _reply(send, denied)
            return
        limits = self._ingress.limits
        if _declared_length(headers) > limits.max_request_bytes:
            await _reply(send, _too_large(limits.max_request_bytes))
            return
        if not self._ingress.limiter.try_acquire():
            after = limits.busy_retry_after_s
            await _reply(send, _retry(429, "too many requests in flight; retry later", after))
            return
        try:
            try:
                body = await _read_body(receive, limits.max_request_bytes)
            except BodyTooLargeError:
                await _reply(send, _too_large(limits.max_request_bytes))
                return
            if body is None:  # the client left
                return
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(
                self._ingress.pool, self._handle, route, run_id, body, headers
            )
            await _reply(send, answer)
        finally:
            self._ingress.limiter.release()

    def _denied(self, headers: dict[str, str]) -> _Answer | None:
        auth = self._ingress.auth
        if not auth.enabled:
            return None
        key = headers.get("x-api-key")
        if key is not None:
            if auth.allows(f"Bearer {key.strip()}"):
                return None
            return _Answer(403, {"detail": "Forbidden: invalid API key"})
        if headers.get("authorization") is not None:
            if auth.allows(headers["authorization"]):
                return None
            return _Answer(403, {"detail": "Forbidden: invalid bearer token"})
        return _Answer(401, {"detail": "Unauthorized: missing x-api-key header"})

    async def _stats(self, scope: Scope, send: Send) -> None:
        if scope["method"] != "GET":
            await _reply(send, _Answer(405, {"detail": "use GET"}, [(b"allow", b"GET")]))
            return
        denied = self._denied(_headers(scope))
        if denied is not None:
            await _reply(send, denied)
            return

        def read() -> dict[str, Any]:
            counts: dict[str, Any] = {}
            otlp = getattr(self._ingress.intake, "stats", None)
            if callable(otlp):
                counts.update(otlp())
            counts.update({STATS_PREFIX + k: v for k, v in self._intake.stats().items()})
            return counts

        # Off the event loop: the counters share locks with the spool's writers.
        await _reply(send, _Answer(200, await asyncio.to_thread(read)))

    def _handle(
        self, route: Route, run_id: str | None, body: bytes, headers: dict[str, str]
    ) -> _Answer:
        """One request on a pool thread: decode, read, check, spool. Never raises."""
        limit = self._ingress.limits.max_request_bytes
        request = SpooledRequest(
            route, body, headers.get("content-type", ""), headers.get("content-encoding", ""),
            run_id,
        )  # fmt: skip
        try:
            read = read_request(request, limit)
            if read.items:
                self._intake.accept(request, read.items)
        except BodyTooLargeError:
            return _too_large(limit)
        except UnsupportedEncodingError as exc:
            return _Answer(415, {"detail": str(exc)})
        except (BadEncodingError, BodyError) as exc:
            return _Answer(400, {"detail": str(exc)})
        except (SpoolFullError, SpoolUnavailableError) as exc:
            _logger.warning("refused a LangSmith API request: %s", exc)
            return _retry(503, str(exc), exc.retry_after_s)
        except Exception as exc:
            report(exc, "handling a LangSmith API request to %s", route.value)
            message = "internal error in the receiver; nothing was stored, retry later"
            return _retry(503, message, INTERNAL_RETRY_AFTER_S)
        rejected = [{"where": where, "reason": reason} for where, reason in read.rejected]
        if not rejected:
            return _Answer(202, {"accepted": len(read.items), "rejected": []})
        self._intake.count_rejected(len(rejected))
        shown = "; ".join(f"{r['where']}: {r['reason']}" for r in rejected[:MAX_REASONS])
        more = len(rejected) - MAX_REASONS
        shown += f"; and {more} more" if more > 0 else ""
        _logger.warning(
            "%s: refused %d of %d items: %s",
            route.value, len(rejected), len(rejected) + len(read.items), shown,
        )  # fmt: skip
        if not read.items:
            return _Answer(422, {"detail": f"nothing stored: {shown}", "rejected": rejected})
        return _Answer(202, {"accepted": len(read.items), "rejected": rejected})


def _route(path: str) -> tuple[Route | None, str | None]:
    route = _ROUTES.get(path)
    if route is not None:
        return route, None
    found = _RUN_PATH.match(path)
    if found is not None:
        run_id = run_key(found.group(1))
        if run_id is not None:
            return Route.UPDATE_RUN, run_id
    return None, None


def _too_large(limit: int) -> _Answer:
    return _Answer(413, {"detail": f"request body is larger than the limit of {limit} bytes"})


def _retry(status: int, detail: str, after_s: float) -> _Answer:
    seconds = str(retry_seconds(after_s)).encode()
    return _Answer(status, {"detail": detail}, [(b"retry-after", seconds)])


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _declared_length(headers: dict[str, str]) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body (None when the client left first); BodyTooLargeError past `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _reply(send: Send, answer: _Answer) -> None:
    body = json.dumps(answer.body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
