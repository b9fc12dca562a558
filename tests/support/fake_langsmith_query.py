"""A fake of LangSmith's project lookup and runs query on loopback, validating every request
as the documented API does, and failing on command.

The rules come from the `langsmith` SDK 0.15.1's generated client (the OpenAPI spec's words):
`resources/runs/runs.py` (`query_v2`, aliased `query`), `types/run_query_v2_params.py`,
`types/run_select_field.py`, `types/run_type.py`, `types/run.py`, `pagination.py`
(`SyncItemsCursorPostPagination`), and `client.py` (`read_project`). They are written again
here on purpose: nothing is imported from otel_runs, so a bug in our client cannot hide behind
the same bug in the fake. The API key check is the ingest fake's (`fake_langsmith.py`).

- `GET /sessions?name=NAME` (also under `/api/v1`): a list holding the project of that name,
  empty if none; `GET /sessions/{id}`: the project, 404 if none.
- `POST /api/v2/runs/query`, a JSON object body:
  - keys among the documented parameters (an unknown key is refused with 422: the real
    server's answer to one is not documented; strict here, to catch a misspelt parameter);
  - exactly one of `project_ids` / `reference_dataset_id` (400); `project_ids` a non-empty
    list of UUIDs of projects that exist (404 for one that does not);
  - `min_start_time` / `max_start_time` RFC 3339 times with an offset (400); when absent,
    1 day ago and now, as documented; min after max is 400;
  - `page_size` an integer in 1..1000 (400), 100 when absent;
  - `selects` RunSelectField names (400); without `selects` a run is only its `id`;
  - `run_type` a RunType, `is_root` a boolean, `trace_id` a UUID, `ids` a list of UUIDs;
  - filter expressions, AI and semantic search: 422 (the fake does not evaluate them);
  - `cursor`: only a cursor this fake issued for the same query (400 otherwise: the
    documentation says to pass it back unmodified).
  The answer is `{"items": [...], "next_cursor": text or null}`, the runs by start time,
  newest first (then by id), each with exactly the selected fields.
- `x-api-key` must be present (401) and right (403); `X-Tenant-Id` too when a tenant is set.

Runs are added in the run data format and kept as the v2 API shows them: `run_type` and
`status` in capitals, `project_id`, `parent_run_ids` (root first, from the dotted order), token
and cost details wrapped as `{"raw": ...}`, costs as numbers, `is_in_dataset`.

Faults, for the next requests of one page (page n = the n-th `page_size` runs of a query):
`inject(page, Fault(...), times)`: an HTTP status (429 with `Retry-After` or the
`retry-after-ms` the SDK's generated client reads, 5xx), or `drop`
(the connection is closed without an answer); `hold(page)` keeps that page's answer until
`release()`. Every request is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.fake_langsmith import Rejected, authenticate
from tests.support.loopback import send_json, serve, shut

QUERY_PARAMS = frozenset(
    {
        "ai_search", "cursor", "filter", "has_error", "ids", "include_subtree_usage", "is_root",
        "max_feedback_modified_at", "max_start_time", "min_feedback_modified_at",
        "min_start_time", "page_size", "project_ids", "reference_dataset_id",
        "reference_examples", "run_type", "selects", "sem_filter", "trace_filter", "trace_id",
        "tree_filter",
    }
)  # fmt: skip
UNEVALUATED = frozenset(
    {"ai_search", "filter", "trace_filter", "tree_filter", "sem_filter",
     "max_feedback_modified_at", "min_feedback_modified_at", "reference_examples",
     "has_error", "include_subtree_usage"}
)  # fmt: skip
SELECT_FIELDS = frozenset(
    {
        "ID", "NAME", "RUN_TYPE", "STATUS", "START_TIME", "END_TIME", "LATENCY_SECONDS",
        "FIRST_TOKEN_TIME", "ERROR", "ERROR_PREVIEW", "EXTRA", "METADATA", "EVENTS", "INPUTS",
        "INPUTS_PREVIEW", "OUTPUTS", "OUTPUTS_PREVIEW", "MANIFEST", "PARENT_RUN_IDS",
        "PROJECT_ID", "TRACE_ID", "THREAD_ID", "DOTTED_ORDER", "IS_ROOT", "REFERENCE_EXAMPLE_ID",
        "REFERENCE_DATASET_ID", "TOTAL_TOKENS", "PROMPT_TOKENS", "COMPLETION_TOKENS",
        "TOTAL_COST", "PROMPT_COST", "COMPLETION_COST", "PROMPT_TOKEN_DETAILS",
        "COMPLETION_TOKEN_DETAILS", "PROMPT_COST_DETAILS", "COMPLETION_COST_DETAILS",
        "PRICE_MODEL_ID", "TAGS", "APP_PATH", "ATTACHMENTS", "THREAD_EVALUATION_TIME",
        "IS_IN_DATASET", "LAST_QUEUED_AT", "SHARE_URL", "FEEDBACK_STATS", "LS_USER_ID",
    }
)  # fmt: skip
RUN_TYPES = frozenset({"TOOL", "CHAIN", "LLM", "RETRIEVER", "EMBEDDING", "PROMPT", "PARSER"})
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
QUERY_PATH = "/api/v2/runs/query"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True, slots=True)
class Fault:
    """What the fake does to a request instead of answering it: an HTTP status (with a
    `Retry-After` header when given), or, with `drop`, closing the connection unanswered."""

    status: int = 503
    retry_after: str | None = None
    retry_after_ms: str | None = None
    drop: bool = False


@dataclass(slots=True)
class Request:
    """One request as received, and the fake's answer."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-case names."""
    body: Any = None
    status: int = 0
    message: str = ""
    page: int | None = None
    received_at: float = 0.0
    answered_at: float = 0.0
    cursor_out: str | None = None
    ids: list[str] = field(default_factory=list)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def _rfc3339(value: Any) -> str | None:
    """A run-format time as the v2 API writes it (UTC, `Z`)."""
    if value is None:
        return None
    when = _time(str(value))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _number(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def v2_run(run: dict[str, Any], project_id: str) -> dict[str, Any]:
    """A run-format dict as the v2 runs query shows it (every field it has)."""
    segments = str(run["dotted_order"]).split(".")
    status = run.get("status") or ("error" if run.get("error") else "success")
    events = [
        {"name": event.get("name"), "time": _rfc3339(event.get("time")), "kwargs": event.get("kwargs")}
        for event in run.get("events") or []
    ]
    shown: dict[str, Any] = {
        "id": str(run["id"]),
        "name": run["name"],
        "run_type": str(run["run_type"]).upper(),
        "status": str(status).upper(),
        "start_time": _rfc3339(run["start_time"]),
        "end_time": _rfc3339(run.get("end_time")),
        "inputs": run.get("inputs") or {},
        "outputs": run.get("outputs"),
        "error": run.get("error"),
        "extra": run.get("extra") or {},
        "events": events,
        "tags": run.get("tags") or [],
        "parent_run_ids": [segment[-36:] for segment in segments[:-1]],
        "project_id": project_id,
        "trace_id": str(run.get("trace_id") or segments[0][-36:]),
        "dotted_order": run["dotted_order"],
        "is_root": len(segments) == 1,
        "reference_example_id": run.get("reference_example_id"),
        "feedback_stats": run.get("feedback_stats"),
        "first_token_time": _rfc3339(run.get("first_token_time")),
        "app_path": run.get("app_path"),
        "manifest": run.get("manifest"),
        "price_model_id": run.get("price_model_id"),
        "is_in_dataset": run.get("in_dataset"),
        "last_queued_at": _rfc3339(run.get("last_queued_at")),
        "prompt_tokens": run.get("prompt_tokens"),
        "completion_tokens": run.get("completion_tokens"),
        "total_tokens": run.get("total_tokens"),
        "prompt_cost": _number(run.get("prompt_cost")),
        "completion_cost": _number(run.get("completion_cost")),
        "total_cost": _number(run.get("total_cost")),
        "latency_seconds": None if run.get("end_time") is None else (
            _time(str(run["end_time"])) - _time(str(run["start_time"]))
        ).total_seconds(),
        "metadata": (run.get("extra") or {}).get("metadata"),
        "inputs_preview": json.dumps(run.get("inputs"))[:100],
        "share_url": None,
    }
    for name in ("prompt_token_details", "completion_token_details",
                 "prompt_cost_details", "completion_cost_details"):  # fmt: skip
        details = run.get(name)
        shown[name] = None if details is None else {"raw": details}
    return shown


class FakeLangSmithQuery:
    """The fake's state; `url` is the endpoint to give the client (as LANGSMITH_ENDPOINT)."""

    def __init__(self, api_key: str = "lsv2_fake_query_key_42", tenant: str | None = None):
        self.api_key = api_key
        self.tenant = tenant
        self.projects: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, list[dict[str, Any]]] = {}
        """Runs by project id, in the v2 shape."""
        self.requests: list[Request] = []
        self._faults: dict[int, list[Fault]] = {}
        self._holds: dict[int, threading.Event] = {}
        self._secret = uuid.uuid4().bytes
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- set-up ----------------------------------------------------------------------------

    def add_project(self, name: str, runs: Iterable[dict[str, Any]] = ()) -> str:
        """A project holding `runs` (run-format dicts); returns its id."""
        project_id = str(uuid.uuid4())
        self.projects[project_id] = {
            "id": project_id,
            "name": name,
            "start_time": datetime.now(timezone.utc).isoformat(),
            "end_time": None,
            "tenant_id": self.tenant or str(uuid.UUID(int=1)),
            "reference_dataset_id": None,
            "extra": None,
            "description": None,
        }
        self.runs[project_id] = [v2_run(run, project_id) for run in runs]
        return project_id

    def inject(self, page: int, fault: Fault, times: int = 1) -> None:
        """The next `times` requests for page `page` (1 = the first) get `fault`."""
        with self._lock:
            self._faults.setdefault(page, []).extend([fault] * times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def hold(self, page: int) -> threading.Event:
        """Requests for page `page` wait (unanswered) until `release()`; set() on the event
        answered releases only that page."""
        event = threading.Event()
        with self._lock:
            self._holds[page] = event
        return event

    def release(self) -> None:
        with self._lock:
            for event in self._holds.values():
                event.set()
            self._holds.clear()

    def query_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == QUERY_PATH]

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            state = fake

        self._server, self._thread = serve(Handler)

    def stop(self) -> None:
        self._stopping.set()
        self.release()
        shut(self._server, self._thread)

    # --- handling (handler threads) --------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, Any, dict[str, str]] | None:
        """Status, JSON body and headers; None to drop the connection unanswered."""
        try:
            authenticate(request.headers, self.api_key, self.tenant)
            path = request.path
            if path.startswith("/api/v1/"):
                path = path[len("/api/v1") :]
            if path == "/sessions" and request.method == "GET":
                return 200, self._find_projects(request.query), {}
            if path.startswith("/sessions/") and request.method == "GET":
                project = self.projects.get(path[len("/sessions/") :])
                if project is None:
                    raise Rejected(404, "Project not found")
                return 200, project, {}
            if request.path == QUERY_PATH:
                if request.method != "POST":
                    raise Rejected(405, "Method Not Allowed")
                return self._query(request)
            raise Rejected(404, "Not Found")
        except Rejected as exc:
            return exc.status, {"detail": exc.message}, {}

    def _find_projects(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        names = query.get("name", [])
        limit = int(query.get("limit", ["100"])[0])
        found = [p for p in self.projects.values() if not names or p["name"] in names]
        return found[:limit]

    def _query(self, request: Request) -> tuple[int, Any, dict[str, str]] | None:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise Rejected(415, "the runs query takes application/json")
        body = request.body
        if not isinstance(body, dict):
            raise Rejected(400, "the request body must be a JSON object")
        unknown = sorted(set(body) - QUERY_PARAMS)
        if unknown:
            raise Rejected(422, f"unknown parameters: {unknown}")
        unevaluated = sorted(key for key in UNEVALUATED if body.get(key) is not None)
        if unevaluated:
            raise Rejected(422, f"the fake does not evaluate {unevaluated}")
        runs, page_size, selects = self._matching(body)
        offset = self._offset(body)
        page = offset // page_size + 1
        request.page = page
        fault = self._next_fault(page)
        if fault is not None:
            if fault.drop:
                return None
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.retry_after_ms:
                headers["retry-after-ms"] = fault.retry_after_ms
            return fault.status, {"detail": "injected fault"}, headers
        with self._lock:
            held = self._holds.get(page)
        if held is not None:
            while not held.wait(0.05):
                if self._stopping.is_set():
                    return None
        chunk = runs[offset : offset + page_size]
        following = offset + page_size
        cursor = self._cursor(body, following) if following < len(runs) else None
        request.cursor_out = cursor
        request.ids = [run["id"] for run in chunk]
        items = [
            {name.lower(): run.get(name.lower()) for name in selects} for run in chunk
        ]
        return 200, {"items": items, "next_cursor": cursor}, {}

    def _matching(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int, list[str]]:
        projects, dataset = body.get("project_ids"), body.get("reference_dataset_id")
        if (projects is None) == (dataset is None):
            raise Rejected(400, "set exactly one of project_ids and reference_dataset_id")
        if dataset is not None:
            raise Rejected(422, "the fake has no datasets")
        if not isinstance(projects, list) or not projects:
            raise Rejected(400, "project_ids must be a non-empty list of project UUIDs")
        for project in projects:
            if not isinstance(project, str) or not _is_uuid(project):
                raise Rejected(400, f"project_ids: {project!r} is not a UUID")
            if project not in self.projects:
                raise Rejected(404, f"project {project} not found")
        now = datetime.now(timezone.utc)
        low = self._bound(body, "min_start_time", now - timedelta(days=1))
        high = self._bound(body, "max_start_time", now)
        if low > high:
            raise Rejected(400, "min_start_time is after max_start_time")
        page_size = body.get("page_size", DEFAULT_PAGE_SIZE)
        if type(page_size) is not int or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise Rejected(400, f"page_size must be an integer in 1..{MAX_PAGE_SIZE}")
        selects = body.get("selects", ["ID"])
        if not isinstance(selects, list) or not all(s in SELECT_FIELDS for s in selects):
            raise Rejected(400, f"selects: unknown fields {selects!r}")
        run_type = body.get("run_type")
        if run_type is not None and run_type not in RUN_TYPES:
            raise Rejected(400, f"run_type must be one of {sorted(RUN_TYPES)}")
        is_root = body.get("is_root")
        if is_root is not None and not isinstance(is_root, bool):
            raise Rejected(400, "is_root must be a boolean")
        trace_id = body.get("trace_id")
        if trace_id is not None and (not isinstance(trace_id, str) or not _is_uuid(trace_id)):
            raise Rejected(400, "trace_id must be a UUID")
        ids = body.get("ids")
        if ids is not None and (
            not isinstance(ids, list) or not all(isinstance(i, str) and _is_uuid(i) for i in ids)
        ):
            raise Rejected(400, "ids must be a list of UUIDs")
        runs = [
            run
            for project in projects
            for run in self.runs[project]
            if low <= _time(run["start_time"]) <= high
            and (run_type is None or run["run_type"] == run_type)
            and (is_root is None or run["is_root"] == is_root)
            and (trace_id is None or run["trace_id"] == trace_id)
            and (ids is None or run["id"] in ids)
        ]
        runs.sort(key=lambda run: (_time(run["start_time"]), run["id"]), reverse=True)
        return runs, page_size, selects

    @staticmethod
    def _bound(body: dict[str, Any], name: str, default: datetime) -> datetime:
        value = body.get(name)
        if value is None:
            return default
        if not isinstance(value, str) or not _RFC3339.match(value):
            raise Rejected(400, f"{name} must be an RFC 3339 date-time, got {value!r}")
        return _time(value)

    def _fingerprint(self, body: dict[str, Any]) -> str:
        query = {key: value for key, value in body.items() if key != "cursor"}
        return hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]

    def _cursor(self, body: dict[str, Any], offset: int) -> str:
        payload = base64.urlsafe_b64encode(
            json.dumps({"q": self._fingerprint(body), "o": offset}).encode()
        ).decode()
        signature = hmac.new(self._secret, payload.encode(), "sha256").hexdigest()[:16]
        return f"{payload}.{signature}"

    def _offset(self, body: dict[str, Any]) -> int:
        cursor = body.get("cursor")
        if cursor is None:
            return 0
        if not isinstance(cursor, str) or cursor.count(".") != 1:
            raise Rejected(400, "invalid cursor")
        payload, signature = cursor.split(".")
        expected = hmac.new(self._secret, payload.encode(), "sha256").hexdigest()[:16]
        if not hmac.compare_digest(signature, expected):
            raise Rejected(400, "invalid cursor")
        decoded = json.loads(base64.urlsafe_b64decode(payload))
        if decoded["q"] != self._fingerprint(body):
            raise Rejected(400, "invalid cursor: it belongs to another query")
        offset: int = decoded["o"]
        return offset

    def _next_fault(self, page: int) -> Fault | None:
        with self._lock:
            waiting = self._faults.get(page)
            return waiting.pop(0) if waiting else None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class _Handler(BaseHTTPRequestHandler):
    state: FakeLangSmithQuery
    protocol_version = "HTTP/1.1"
    server_version = "fake-langsmith-query/1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            received_at=time.monotonic(),
        )
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        with self.state._lock:
            self.state.requests.append(request)
        if raw:
            try:
                request.body = json.loads(raw)
            except ValueError:
                self._answer(request, 400, {"detail": "the body is not JSON"}, {})
                return
        answer = self.state.handle(request)
        if answer is None:
            request.status = -1  # dropped
            request.answered_at = time.monotonic()
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(request, *answer)

    def _answer(
        self, request: Request, status: int, body: Any, headers: dict[str, str]
    ) -> None:
        request.status = status
        request.message = str(body.get("detail", "")) if isinstance(body, dict) else ""
        request.answered_at = time.monotonic()
        send_json(self, status, body, headers)

    do_GET = _serve
    do_POST = _serve


@contextmanager
def running_fake_query(**kwargs: Any) -> Iterator[FakeLangSmithQuery]:
    """A started fake; stopped on exit."""
    fake = FakeLangSmithQuery(**kwargs)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
