"""LangSmithSink: runs to LangSmith's ingest API, the way LangSmith's own SDK sends them.

    write(runs)
      └─ RunData.ingest / encode_ingest_run (pure, model/ingest.py)
         └─ split into batches of at most max_batch_bytes (serialized, before compression)
            └─ POST {endpoint}/runs/multipart   zstd or gzip body, one part per out-of-band field
               ├─ 2xx        stored
               ├─ 404        the server has no multipart endpoint: /runs/batch from now on
               ├─ 429 5xx    retried: exponential backoff ±20% jitter, Retry-After honoured,
               │             connection errors and timeouts too; every wait interruptible by close()
               ├─ 400 409    one bad (or already stored) run makes LangSmith reject the whole
               │  413 422    request: the batch is halved until the culprits stand alone, so good
               │             runs still go; a lone 409 is a duplicate, a lone 4xx a failure.
               │             A 409 names no run, so runs of a request that got no answer (it
               │             may have been stored) are tried one by one, the others together
               └─ other 4xx  failed with the server's message, never retried

Every write has one deadline covering its requests, retries and waits. `SinkResult` accounts for
every run given to `write` exactly once. The API key is sent only in the `x-api-key` header: it
is never logged, never in a repr and never in an error message.

HTTP requests run with OpenTelemetry instrumentation suppressed, so an instrumented httpx does
not turn our own uploads into spans (which would become runs, and uploads, in a loop).
"""

from __future__ import annotations

import email.utils
import gzip
import logging
import math
import os
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from types import ModuleType, TracebackType
from typing import Any, Final, Literal

import httpx
from opentelemetry import context as otel_context

from otel_runs.convert.attachments import decoded
from otel_runs.convert.feedback import run_attachments, run_feedback
from otel_runs.convert.run_data import RunData
from otel_runs.errors import ConfigError
from otel_runs.guard import internal_errors
from otel_runs.model.ingest import IngestRun, encode_ingest_run
from otel_runs.sinks import AnyRun, SinkResult
from otel_runs.sinks.ingest import dumps, split_out_of_band

_logger = logging.getLogger(__name__)

ENV_API_KEY: Final = "LANGSMITH_API_KEY"
"""API key (sent as `x-api-key`)."""
ENV_ENDPOINT: Final = "LANGSMITH_ENDPOINT"
"""Base URL of the LangSmith API."""
ENV_PROJECT: Final = "LANGSMITH_PROJECT"
"""Project for runs that name none."""
ENV_WORKSPACE_ID: Final = "LANGSMITH_WORKSPACE_ID"
"""Workspace, for keys linked to several (sent as `X-Tenant-Id`)."""

DEFAULT_ENDPOINT: Final = "https://api.smith.langchain.com"
DEFAULT_PROJECT: Final = "default"
DEFAULT_MAX_BATCH_BYTES: Final = 20 * 1024 * 1024
"""LangSmith SDK's `_SIZE_LIMIT_BYTES`: 20 MiB of serialized runs per request."""

Compression = Literal["auto", "zstd", "gzip", "none"]

_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_SPLIT_STATUSES: Final = frozenset({400, 409, 413, 422})
"""Answers about the content: a batch is halved to find the runs they are about."""
_MAX_WAIT: Final = 30.0
"""Cap on one wait between attempts, Retry-After included (seconds)."""
_JITTER: Final = 0.2
_WARN_INTERVAL: Final = 10.0
_MAX_MESSAGE_CHARS: Final = 500
_MAX_UNANSWERED: Final = 100_000
"""Run ids remembered as sent in a request that got no answer (oldest forgotten first)."""


def _package_version() -> str:
    try:
        return importlib_metadata.version("otel-runs")
    except importlib_metadata.PackageNotFoundError:
        return "0"


def _zstandard() -> ModuleType | None:
    try:
        import zstandard
    except ImportError:
        return None
    return zstandard


# --- OpenTelemetry instrumentation suppression ------------------------------------------------

# The API's own keys (what opentelemetry-instrumentation's `suppress_instrumentation` and
# `suppress_http_instrumentation` set), plus the plain string key that older instrumentations
# (and `is_instrumentation_enabled`) also read. A key made with `create_key` would be unique and
# so read by nobody: the fallback is the plain string instead.
_SUPPRESS_KEYS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(
        key
        for key in (
            getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", None),
            getattr(otel_context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None),
            "suppress_instrumentation",
        )
        if isinstance(key, str)
    )
)


@contextmanager
def _instrumentation_suppressed() -> Iterator[None]:
    ctx = otel_context.get_current()
    for key in _SUPPRESS_KEYS:
        ctx = otel_context.set_value(key, True, ctx)
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)


# --- small values -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Encoded:
    """One run serialized for one endpoint: its id and its bytes in the request body."""

    run_id: str
    data: bytes


@dataclass(frozen=True, slots=True)
class _Answer:
    """The final answer to one request after retries: a status (None: no HTTP answer)."""

    status: int | None
    message: str
    retry_after: float | None = None
    """The server's last Retry-After (seconds) when it gave up while the server asked to wait."""


@dataclass(slots=True)
class _Tally:
    """What became of a write's runs; every run lands in exactly one counter."""

    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    retry_after: float | None = None
    accepted: list[str] = field(default_factory=list)
    """Runs LangSmith has now (stored or duplicates): their feedback can go."""

    def fail(self, count: int, message: str) -> None:
        self.failed += count
        if message not in self.errors:
            self.errors.append(message)

    def result(self) -> SinkResult:
        error = None
        if self.errors:
            shown = self.errors[:3]
            more = len(self.errors) - len(shown)
            error = "; ".join(shown) + (f" (and {more} more errors)" if more else "")
        return SinkResult(
            self.stored, self.duplicates, self.failed, error, tuple(self.retry), self.retry_after
        )


class _RateLimit:
    """At most one warning per key and interval; the rest go to debug."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval:
                return False
            self._last[key] = now
            return True


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if absent
    or unreadable. Never negative."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


# --- the sink ---------------------------------------------------------------------------------


class LangSmithSink:
    """Delivers runs to LangSmith (`RunSink`). Thread-safe; `close()` interrupts retry waits.

    Configuration: argument > environment variable > default, resolved here.

    - `api_key`: `LANGSMITH_API_KEY`; required (`ConfigError` without one).
    - `endpoint`: `LANGSMITH_ENDPOINT`, default https://api.smith.langchain.com (a full URL;
      self-hosted: `https://<host>/api/v1`).
    - `project`: `LANGSMITH_PROJECT`, default "default"; runs that name a project keep it.
    - `workspace_id`: `LANGSMITH_WORKSPACE_ID`, sent as `X-Tenant-Id` when set.
    - `timeout`: seconds per HTTP request; `deadline`: seconds a whole `write` may take,
      retries and waits included.
    - `max_retries`: retries after the first attempt; `backoff`: first wait in seconds, doubled
      per retry, ±20% jitter, at most 30 s.
    - `max_batch_bytes`: serialized (uncompressed) bytes per request, default 20 MiB.
    - `compression`: "auto" (zstd when `zstandard` is installed, else gzip), "zstd", "gzip"
      or "none". The multipart body is compressed; `/runs/batch` is sent plain, as the SDK does.
    """

    def __init__(
        self,
        api_key: str | None = None,
        endpoint: str | None = None,
        project: str | None = None,
        workspace_id: str | None = None,
        *,
        timeout: float = 10.0,
        max_retries: int = 5,
        max_batch_bytes: int | None = None,
        compression: Compression = "auto",
        deadline: float = 60.0,
        backoff: float = 0.5,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
        if not key or not key.strip():
            raise ConfigError(
                f"no LangSmith API key: pass api_key= to LangSmithSink or set {ENV_API_KEY}"
            )
        self._api_key = key.strip()
        url = endpoint if endpoint is not None else os.environ.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            # Not "warn and fall back": the fallback would send traces to another host.
            raise ConfigError(f"LangSmith endpoint {url!r} is not an http(s) URL")
        self._endpoint = url
        self._project = (
            project if project is not None else os.environ.get(ENV_PROJECT) or DEFAULT_PROJECT
        )
        if not self._project:
            raise ConfigError("the LangSmith project name is empty")
        tenant = workspace_id if workspace_id is not None else os.environ.get(ENV_WORKSPACE_ID)
        self._workspace_id = tenant.strip() if tenant and tenant.strip() else None
        for name, value in (("timeout", timeout), ("deadline", deadline)):
            if not value > 0:
                raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
        if not backoff >= 0:
            raise ConfigError(f"backoff must be >= 0 seconds, got {backoff!r}")
        if max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {max_retries!r}")
        limit = DEFAULT_MAX_BATCH_BYTES if max_batch_bytes is None else max_batch_bytes
        if limit <= 0:
            raise ConfigError(f"max_batch_bytes must be positive, got {max_batch_bytes!r}")
        self._timeout = float(timeout)
        self._deadline = float(deadline)
        self._backoff = float(backoff)
        self._max_retries = max_retries
        self._max_batch_bytes = limit
        self._zstd = _zstandard()
        self._compression = self._resolve_compression(compression)

        self._boundary = f"otel-runs-{uuid.uuid4().hex}"
        self._closing = f"--{self._boundary}--\r\n".encode()
        self._batch_only = False
        """Set once the server answered 404 on /runs/multipart."""
        self._batch_confirmed = False
        """/runs/batch has accepted a request since the switch (so the 404 meant the path)."""
        self._unanswered: OrderedDict[str, None] = OrderedDict()
        """Runs sent in a request that got no HTTP answer: LangSmith may have stored them."""
        self.feedback_counts = {"sent": 0, "duplicates": 0, "failed": 0}
        """Feedback posted to `/feedback`: taken, already there (409), or failed for good."""
        self._closed = threading.Event()
        self._random = random.Random()
        self._warnings = _RateLimit(_WARN_INTERVAL)
        headers = {
            "x-api-key": self._api_key,
            "Accept": "application/json",
            "User-Agent": f"otel-runs/{_package_version()}",
        }
        if self._workspace_id is not None:
            headers["X-Tenant-Id"] = self._workspace_id
        self._client = httpx.Client(headers=headers, timeout=self._timeout)

    def _resolve_compression(self, compression: str) -> str:
        if compression == "auto":
            return "zstd" if self._zstd is not None else "gzip"
        if compression == "zstd" and self._zstd is None:
            raise ConfigError("compression='zstd' needs the zstandard package (otel-runs[zstd])")
        if compression not in ("zstd", "gzip", "none"):
            raise ConfigError(f"compression must be auto, zstd, gzip or none, got {compression!r}")
        return compression

    # --- public ----------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """Base URL of the LangSmith API."""
        return self._endpoint

    @property
    def project(self) -> str:
        """Project for runs that name none."""
        return self._project

    @property
    def workspace_id(self) -> str | None:
        """Workspace sent as `X-Tenant-Id`, if any."""
        return self._workspace_id

    @property
    def compression(self) -> str:
        """The multipart body encoding in use: zstd, gzip or none."""
        return self._compression

    def __repr__(self) -> str:
        return (
            f"LangSmithSink(endpoint={self._endpoint!r}, project={self._project!r},"
            f" workspace_id={self._workspace_id!r})"
        )

    def __enter__(self) -> LangSmithSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    takes_run_data: Final = True

    def write(self, runs: Sequence[AnyRun]) -> SinkResult:
        """Deliver runs; returns when each is stored, a duplicate, or failed (never raises for
        a LangSmith failure). Repeated run ids in one call: the last copy is sent, the earlier
        ones count as duplicates."""
        tally = _Tally()
        if not runs:
            return tally.result()
        if self._closed.is_set():
            tally.fail(len(runs), "the LangSmith sink is closed")
            return tally.result()
        deadline = time.monotonic() + self._deadline
        payloads: dict[str, IngestRun] = {}
        feedback: dict[str, list[dict[str, Any]]] = {}
        attachments: dict[str, list[tuple[str, str, bytes]]] = {}
        for run in runs:
            with internal_errors("encoding run %s for LangSmith", run.id) as failed:
                if isinstance(run, RunData):
                    payload = run.ingest(self._project)
                    attached, found = run.attachment_items(), run.feedback()
                else:
                    payload = encode_ingest_run(run, project=self._project)
                    attached, found = run_attachments(run), run_feedback(run)
                run_id = payload["id"]
                if run_id in payloads:
                    tally.duplicates += 1
                    del payloads[run_id]  # the last copy is sent, in its position
                payloads[run_id] = payload
                attachments.pop(run_id, None)
                if attached:
                    attachments[run_id] = decoded(attached)
                feedback.pop(run_id, None)
                if found:
                    feedback[run_id] = [_feedback_payload(item, payload) for item in found]
            if failed:
                tally.fail(1, f"run {run.id} could not be encoded: {failed.error!r}")
        with _instrumentation_suppressed():
            self._send_all(list(payloads.values()), attachments, deadline, tally)
            for run_id in tally.accepted:
                for item in feedback.get(run_id, ()):
                    self._send_feedback(item, deadline)
        result = tally.result()
        if result.failed:
            self._warn("failed", "LangSmith did not take %d of %d runs: %s",
                       result.failed, len(runs), result.error)  # fmt: skip
        return result

    def close(self) -> None:
        """Interrupt retry waits, fail later writes, close connections. Idempotent."""
        self._closed.set()
        self._client.close()

    # --- batching --------------------------------------------------------------------------

    def _send_all(
        self,
        payloads: list[IngestRun],
        attachments: dict[str, list[tuple[str, str, bytes]]],
        deadline: float,
        tally: _Tally,
    ) -> None:
        by_id = {payload["id"]: payload for payload in payloads}
        pending = list(by_id)
        while pending:
            batch_mode = self._batch_only
            framing = self._framing(batch_mode)
            fitting: list[_Encoded] = []
            for run_id in pending:
                data = self._encode(by_id[run_id], batch_mode, attachments.get(run_id, ()))
                if framing + len(data) > self._max_batch_bytes:
                    tally.fail(
                        1,
                        f"run {run_id} is {len(data)} bytes serialized, over the"
                        f" {self._max_batch_bytes}-byte request limit (max_batch_bytes)",
                    )
                else:
                    fitting.append(_Encoded(run_id, data))
            chunks = _pack(fitting, self._max_batch_bytes - framing, batch_mode)
            pending = []
            for index, chunk in enumerate(chunks):
                resend = self._deliver(chunk, batch_mode, deadline, tally)
                if resend:  # /runs/multipart is gone: the rest goes to /runs/batch
                    pending = [item.run_id for item in resend]
                    pending += [item.run_id for later in chunks[index + 1 :] for item in later]
                    break

    def _framing(self, batch_mode: bool) -> int:
        return len(_BATCH_HEAD) + len(_BATCH_TAIL) if batch_mode else len(self._closing)

    def _encode(
        self,
        payload: IngestRun,
        batch_mode: bool,
        attachments: Sequence[tuple[str, str, bytes]] = (),
    ) -> bytes:
        if batch_mode:
            if attachments:  # /runs/batch has no place for them (nor has the SDK's batch path)
                self._warn(
                    "batch-attachments",
                    "run %s: %d attachments not sent (LangSmith has no /runs/multipart)",
                    payload["id"],
                    len(attachments),
                )
            return dumps(payload)
        main, fields = split_out_of_band(payload)
        run_id = payload["id"]
        parts = [self._part(f"post.{run_id}", dumps(main))]
        parts += [
            self._part(f"post.{run_id}.{name}", dumps(value)) for name, value in fields.items()
        ]
        for name, media_type, data in attachments:
            # As the SDK sends them: `attachment.<run id>.<name>`, the attachment's own type.
            parts.append(self._part(f"attachment.{run_id}.{name}", data, media_type))
        return b"".join(parts)

    def _part(self, name: str, data: bytes, media_type: str = "application/json") -> bytes:
        head = (
            f"--{self._boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"\r\n'
            f"Content-Type: {media_type}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data + b"\r\n"

    def _body(self, chunk: list[_Encoded], batch_mode: bool) -> tuple[bytes, dict[str, str]]:
        if batch_mode:
            body = _BATCH_HEAD + b",".join(item.data for item in chunk) + _BATCH_TAIL
            return body, {"Content-Type": "application/json"}
        body = b"".join(item.data for item in chunk) + self._closing
        headers = {"Content-Type": f"multipart/form-data; boundary={self._boundary}"}
        if self._compression == "zstd" and self._zstd is not None:
            body = self._zstd.ZstdCompressor(level=3).compress(body)
            headers["Content-Encoding"] = "zstd"
        elif self._compression == "gzip":
            body = gzip.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        return body, headers

    # --- delivery --------------------------------------------------------------------------

    def _deliver(
        self, chunk: list[_Encoded], batch_mode: bool, deadline: float, tally: _Tally
    ) -> list[_Encoded]:
        """Send one batch; returns the runs to resend to /runs/batch (after a multipart 404)."""
        answer = self._post(chunk, batch_mode, deadline)
        status = answer.status
        if status is not None and 200 <= status < 300:
            tally.stored += len(chunk)
            tally.accepted.extend(item.run_id for item in chunk)
            if batch_mode:
                self._batch_confirmed = True
            return []
        if status == 404 and not batch_mode:
            _logger.info(
                "LangSmith at %s has no /runs/multipart; using /runs/batch", self._endpoint
            )
            self._batch_only = True
            return chunk
        if status == 404 and not self._batch_confirmed:
            # /runs/batch 404s too: the 404 was about the runs (LangSmith answers 404 for an
            # unknown session_id), not the path; later writes try /runs/multipart again.
            self._batch_only = False
        if status == 409 and len(chunk) > 1 and any(i.run_id in self._unanswered for i in chunk):
            return self._isolate_unanswered(chunk, batch_mode, deadline, tally)
        if status is not None:
            for item in chunk:
                self._unanswered.pop(item.run_id, None)  # answered: stored, or told why not
        splits = _SPLIT_STATUSES | {404} if batch_mode else _SPLIT_STATUSES
        if status in splits and len(chunk) > 1:
            half = len(chunk) // 2
            resend = self._deliver(chunk[:half], batch_mode, deadline, tally)
            if resend:
                return resend + chunk[half:]
            return self._deliver(chunk[half:], batch_mode, deadline, tally)
        if status == 409:
            tally.duplicates += len(chunk)
            tally.accepted.extend(item.run_id for item in chunk)
            return []
        if status is None:
            self._remember_unanswered(chunk)
        if len(chunk) == 1:
            tally.fail(1, f"run {chunk[0].run_id}: {answer.message}")
        else:
            tally.fail(len(chunk), answer.message)
        if status is None or status == 429 or status >= 500:  # LangSmith was unavailable
            tally.retry.extend(item.run_id for item in chunk)
            if answer.retry_after is not None:
                tally.retry_after = max(tally.retry_after or 0.0, answer.retry_after)
        return []

    def _isolate_unanswered(
        self, chunk: list[_Encoded], batch_mode: bool, deadline: float, tally: _Tally
    ) -> list[_Encoded]:
        """A 409 on a batch holding runs of an unanswered request. LangSmith's 409 names no run
        (`payload already received`), and those runs were most likely stored: each goes alone
        (n requests where halving takes 2n - 1), the rest together."""
        suspects = [item for item in chunk if item.run_id in self._unanswered]
        others = [item for item in chunk if item.run_id not in self._unanswered]
        for item in suspects:
            self._unanswered.pop(item.run_id, None)
        groups = [[item] for item in suspects] + ([others] if others else [])
        for index, group in enumerate(groups):
            resend = self._deliver(group, batch_mode, deadline, tally)
            if resend:
                return resend + [item for later in groups[index + 1 :] for item in later]
        return []

    def _remember_unanswered(self, chunk: list[_Encoded]) -> None:
        for item in chunk:
            self._unanswered[item.run_id] = None
            self._unanswered.move_to_end(item.run_id)
        while len(self._unanswered) > _MAX_UNANSWERED:
            self._unanswered.popitem(last=False)

    def _post(self, chunk: list[_Encoded], batch_mode: bool, deadline: float) -> _Answer:
        """One request of runs, retried on 429/5xx/transport errors until a final answer."""
        path = "/runs/batch" if batch_mode else "/runs/multipart"
        body, headers = self._body(chunk, batch_mode)
        return self._request(path, body, headers, deadline, chunk)

    def _send_feedback(self, feedback: dict[str, Any], deadline: float) -> None:
        """`POST /feedback` for one feedback of a run LangSmith has, retried as runs are. Its
        id is fixed (`convert/feedback.py`), so sending it again cannot make a second copy."""
        if self._closed.is_set():
            self.feedback_counts["failed"] += 1
            return
        answer = self._request(
            "/feedback", dumps(feedback), {"Content-Type": "application/json"}, deadline, None
        )
        status = answer.status
        if status is not None and 200 <= status < 300:
            self.feedback_counts["sent"] += 1
        elif status == 409:
            self.feedback_counts["duplicates"] += 1
        else:
            self.feedback_counts["failed"] += 1
            self._warn("feedback", "LangSmith did not take feedback %s of run %s: %s",
                       feedback.get("id"), feedback.get("run_id"), answer.message)  # fmt: skip

    def _request(
        self,
        path: str,
        body: bytes,
        headers: dict[str, str],
        deadline: float,
        chunk: list[_Encoded] | None,
    ) -> _Answer:
        """One request, retried on 429/5xx/transport errors until it has a final answer; the
        runs of `chunk` are remembered when the request may have arrived unanswered."""
        url = self._endpoint + path
        attempt = 0
        while True:
            if self._closed.is_set():
                return _Answer(None, "the LangSmith sink was closed")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _Answer(None, f"the write deadline ({self._deadline:g} s) passed")
            retry_after: float | None = None
            try:
                response = self._client.post(
                    url, content=body, headers=headers, timeout=min(self._timeout, remaining)
                )
            except httpx.TransportError as exc:
                status: int | None = None
                message = f"{type(exc).__name__} posting to {path}: {exc}"
                if chunk and not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
                    self._remember_unanswered(chunk)  # it may have arrived and been stored
            except RuntimeError as exc:  # httpx: the client was closed under us
                if self._closed.is_set():
                    return _Answer(None, "the LangSmith sink was closed")
                return _Answer(None, f"{type(exc).__name__} posting to {path}: {exc}")
            else:
                status = response.status_code
                if status < 300:
                    return _Answer(status, "")
                message = f"LangSmith answered {status} on {path}: {self._detail(response)}"
                if status not in _RETRY_STATUSES:
                    return _Answer(status, message)
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            message = self._redact(message)
            if attempt >= self._max_retries:
                return _Answer(
                    status, f"{message} (gave up after {attempt + 1} attempts)", retry_after
                )
            if retry_after is not None and retry_after > _MAX_WAIT:
                # A longer wait than this write should block: give the runs back with the
                # server's delay, and let the exporter or the receiver wait it out.
                return _Answer(
                    status, f"{message} (Retry-After {retry_after:g} s: handed back)", retry_after
                )
            wait = self._wait(attempt, retry_after)
            if time.monotonic() + wait >= deadline:
                return _Answer(
                    status,
                    f"{message} (no retry: waiting {wait:.1f} s would pass the"
                    f" {self._deadline:g} s write deadline)",
                    retry_after,
                )
            _logger.debug("retrying %s in %.2f s: %s", path, wait, message)
            if self._closed.wait(wait):
                return _Answer(None, f"the LangSmith sink was closed while retrying: {message}")
            attempt += 1

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before the next attempt: Retry-After (never less), else jittered backoff."""
        if retry_after is not None:
            return min(retry_after * (1 + self._random.uniform(0, _JITTER)), _MAX_WAIT)
        base = min(self._backoff * 2.0**attempt, _MAX_WAIT)
        return base * self._random.uniform(1 - _JITTER, 1 + _JITTER)

    def _detail(self, response: httpx.Response) -> str:
        """The server's error message (its JSON `detail`/`message`/`error`, else the text)."""
        text = ""
        try:
            body: Any = response.json()
        except ValueError:
            text = response.text
        else:
            if isinstance(body, dict):
                for key in ("detail", "message", "error"):
                    if body.get(key):
                        text = str(body[key])
                        break
            text = text or response.text
        text = " ".join(text.split()) or response.reason_phrase
        if len(text) > _MAX_MESSAGE_CHARS:
            text = text[:_MAX_MESSAGE_CHARS] + "..."
        return self._redact(text)

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key in text else text

    def _warn(self, key: str, message: str, *args: object) -> None:
        level = logging.WARNING if self._warnings.allow(key) else logging.DEBUG
        _logger.log(level, message, *args)


_FEEDBACK_FIELDS: Final = (
    "id", "run_id", "trace_id", "key", "score", "value", "correction", "comment", "feedback_source",
    "created_at", "modified_at", "session_id", "start_time", "comparative_experiment_id",
    "feedback_group_id", "feedback_config", "extra", "error",
)  # fmt: skip
"""Fields of LangSmith's FeedbackCreate (the SDK's `create_feedback` body)."""


def _feedback_payload(feedback: dict[str, Any], run: IngestRun) -> dict[str, Any]:
    """The `/feedback` body of one feedback of `run`: LangSmith's fields, the run's ids (and
    start time, which LangSmith uses to find the run faster), nulls left out."""
    body = {name: feedback[name] for name in _FEEDBACK_FIELDS if feedback.get(name) is not None}
    body["run_id"] = run["id"]
    body["trace_id"] = run["trace_id"]
    body.setdefault("start_time", run["start_time"])
    session_id = run.get("session_id")
    if session_id and "session_id" not in body:
        body["session_id"] = session_id
    return body


_BATCH_HEAD: Final = b'{"post":['
_BATCH_TAIL: Final = b'],"patch":[]}'


def _pack(items: list[_Encoded], budget: int, batch_mode: bool) -> list[list[_Encoded]]:
    """Greedy, in order: consecutive runs while their bytes (and commas) fit the budget."""
    chunks: list[list[_Encoded]] = []
    current: list[_Encoded] = []
    used = 0
    separator = 1 if batch_mode else 0
    for item in items:
        size = len(item.data) + (separator if current else 0)
        if current and used + size > budget:
            chunks.append(current)
            current, used = [], 0
            size = len(item.data)
        current.append(item)
        used += size
    if current:
        chunks.append(current)
    return chunks
