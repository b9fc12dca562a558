"""LangSmithApi: the few LangSmith API calls `otel-runs pull` makes, with retries.

    GET  {endpoint}/sessions?name=NAME&limit=1     a project by name (as `Client.read_project`)
    GET  {endpoint}/sessions/{id}                  a project by id
    POST {base}/api/v2/runs/query                  one page of runs (as `client.runs.query()`)

`endpoint` is LangSmith's API URL as the SDK's `LANGSMITH_ENDPOINT` gives it
(https://api.smith.langchain.com, or `https://<host>/api/v1` self-hosted); `base` is that URL
without a trailing `/api/v1` or `/api`, as the SDK's `_get_openapi_base_url` makes it for the
v2 endpoints.

Every request carries `x-api-key` (and `X-Tenant-Id` with a workspace). 429, 500, 502, 503,
504, dropped connections and timeouts are retried: after `retry-after-ms` or `Retry-After` when
the server gives one (capped at `max_wait`), else after an exponential backoff with ±20%
jitter; waits are on an Event, so `close()` ends them. Any other answer that is not a
success raises LangSmithApiError with the status and the server's message. The API key is
never logged nor in an error or repr.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import httpx

from otel_runs.errors import ConfigError
from otel_runs.langsmith_api import LangSmithApiError
from otel_runs.sinks.langsmith import (
    DEFAULT_ENDPOINT,
    ENV_API_KEY,
    ENV_ENDPOINT,
    ENV_WORKSPACE_ID,
    parse_retry_after,
)

_logger = logging.getLogger(__name__)

QUERY_PATH: Final = "/api/v2/runs/query"
_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_MAX_BACKOFF: Final = 60.0
_JITTER: Final = 0.2
_MAX_MESSAGE_CHARS: Final = 500

RetryHook = Callable[[str, float], None]
"""Told why a request is retried and how many seconds until it is."""


@dataclass(frozen=True, slots=True)
class Project:
    """A LangSmith tracing project (a "session" in the API)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class QueryPage:
    """One answer of the runs query."""

    items: list[dict[str, Any]]
    """The runs, with the fields that were selected."""
    next_cursor: str | None
    """What to send as `cursor` for the next page; None on the last page."""
    size: int
    """Bytes of the answer's body."""


def api_base(endpoint: str) -> str:
    """The base URL of LangSmith's v2 endpoints for an SDK-style endpoint URL."""
    url = endpoint.rstrip("/")
    for suffix in ("/api/v1", "/api"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks to wait: `retry-after-ms` (which the SDK's generated client
    reads first), else `Retry-After` (seconds or an HTTP date); None without either."""
    raw = headers.get("retry-after-ms")
    if raw is not None:
        try:
            milliseconds = float(raw)
        except ValueError:
            milliseconds = -1.0
        if math.isfinite(milliseconds) and milliseconds >= 0:
            return milliseconds / 1000
    return parse_retry_after(headers.get("retry-after"))


def _message(response: httpx.Response) -> str:
    try:
        detail = response.json()
    except ValueError:
        text = response.text
    else:
        text = detail.get("detail", detail) if isinstance(detail, dict) else detail
        text = text if isinstance(text, str) else json.dumps(text)
    text = " ".join(str(text).split())
    return text[:_MAX_MESSAGE_CHARS] or response.reason_phrase


class LangSmithApi:
    """A client of LangSmith's project and runs-query endpoints (one thread at a time).

    Configuration: argument > environment variable > default, resolved here.

    - `api_key`: `LANGSMITH_API_KEY`; required (`ConfigError` without one).
    - `endpoint`: `LANGSMITH_ENDPOINT`, default https://api.smith.langchain.com.
    - `workspace_id`: `LANGSMITH_WORKSPACE_ID`, sent as `X-Tenant-Id` when set.
    - `timeout`: seconds per request; `max_retries`: retries after the first attempt;
      `backoff`: first wait in seconds, doubled per retry (at most 60 s); `max_wait`: the
      longest `Retry-After` honoured as it is (a longer one is waited for this long).
    """

    def __init__(
        self,
        api_key: str | None = None,
        endpoint: str | None = None,
        workspace_id: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 8,
        backoff: float = 1.0,
        max_wait: float = 300.0,
        on_retry: RetryHook | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
        if not key or not key.strip():
            raise ConfigError(f"no LangSmith API key: set {ENV_API_KEY}")
        url = endpoint if endpoint is not None else os.environ.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"LangSmith endpoint {url!r} is not an http(s) URL")
        tenant = workspace_id if workspace_id is not None else os.environ.get(ENV_WORKSPACE_ID)
        if not timeout > 0 or not backoff >= 0 or not max_wait >= 0 or max_retries < 0:
            raise ConfigError("timeout must be > 0; backoff, max_wait and max_retries >= 0")
        self._endpoint = url
        self._workspace_id = tenant.strip() if tenant and tenant.strip() else None
        self._max_retries = max_retries
        self._backoff = float(backoff)
        self._max_wait = float(max_wait)
        self._on_retry = on_retry
        self._closed = threading.Event()
        self._random = random.Random()
        headers = {"x-api-key": key.strip(), "Accept": "application/json"}
        if self._workspace_id is not None:
            headers["X-Tenant-Id"] = self._workspace_id
        self._client = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    @property
    def endpoint(self) -> str:
        """LangSmith's API URL (as `LANGSMITH_ENDPOINT` gives it)."""
        return self._endpoint

    @property
    def workspace_id(self) -> str | None:
        """The workspace sent as `X-Tenant-Id`, if any."""
        return self._workspace_id

    def __repr__(self) -> str:
        return f"LangSmithApi(endpoint={self._endpoint!r}, workspace_id={self._workspace_id!r})"

    def project_named(self, name: str) -> Project:
        """The project called `name`; LangSmithApiError (404) if there is none."""
        response = self._request(
            "GET",
            f"{self._endpoint}/sessions",
            params={"name": name, "limit": 1, "include_stats": "false"},
        )
        found = self._json(response)
        items = found if isinstance(found, list) else []
        for item in items:
            if isinstance(item, dict) and item.get("name") == name and item.get("id"):
                return Project(str(item["id"]), name)
        raise LangSmithApiError(f"LangSmith has no project named {name!r}", 404)

    def project(self, project_id: str) -> Project:
        """The project with this id; LangSmithApiError if LangSmith has none."""
        response = self._request(
            "GET",
            f"{self._endpoint}/sessions/{quote(project_id, safe='')}",
            params={"include_stats": "false"},
        )
        found = self._json(response)
        if not isinstance(found, dict) or not found.get("id"):
            raise LangSmithApiError(f"LangSmith's answer for project {project_id} has no id")
        return Project(str(found["id"]), str(found.get("name") or project_id))

    def query_runs(self, body: Mapping[str, Any]) -> QueryPage:
        """One page of `POST /api/v2/runs/query` with this request body."""
        response = self._request("POST", api_base(self._endpoint) + QUERY_PATH, json_body=body)
        found = self._json(response)
        items = found.get("items") if isinstance(found, dict) else None
        cursor = found.get("next_cursor") if isinstance(found, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise LangSmithApiError("LangSmith's runs query answer has no list of runs (items)")
        if cursor is not None and not isinstance(cursor, str):
            raise LangSmithApiError("LangSmith's runs query answer has a next_cursor not a text")
        return QueryPage(items, cursor or None, len(response.content))

    def close(self) -> None:
        """End retry waits and close the connections. Idempotent."""
        self._closed.set()
        self._client.close()

    # --- requests --------------------------------------------------------------------------

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise LangSmithApiError(
                f"LangSmith answered {response.request.url.path} with a body that is not JSON",
                response.status_code,
            ) from None

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        attempt = 0
        while True:
            if self._closed.is_set():
                raise LangSmithApiError("the LangSmith client is closed")
            retry_after: float | None = None
            try:
                response = self._client.request(method, url, params=params, json=json_body)
            except httpx.TransportError as exc:  # refused, dropped, timed out
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if response.is_success:
                    return response
                reason = f"{response.status_code} {_message(response)}"
                if response.status_code not in _RETRY_STATUSES:
                    raise LangSmithApiError(
                        f"LangSmith answered {method} {response.request.url.path} with {reason}",
                        response.status_code,
                    )
                retry_after = _retry_after(response.headers)
            if attempt >= self._max_retries:
                raise LangSmithApiError(
                    f"LangSmith kept failing {method} {httpx.URL(url).path} "
                    f"({attempt + 1} attempts): {reason}"
                )
            delay = self._delay(attempt, retry_after)
            attempt += 1
            _logger.warning("LangSmith: %s; retry %d in %.1f s", reason, attempt, delay)
            if self._on_retry is not None:
                self._on_retry(reason, delay)
            if self._closed.wait(delay):
                raise LangSmithApiError("the LangSmith client is closed")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._max_wait)
        base = min(self._backoff * 2.0**attempt, _MAX_BACKOFF)
        return base * (1 + self._random.uniform(-_JITTER, _JITTER))
