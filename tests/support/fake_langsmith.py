"""A fake of LangSmith's run ingest API on loopback, validating what it receives.

LangSmith is the one remote service the tests cannot reach, so this fake checks every request
the way the real server does (docs/reference: run data format, multipart rules, the 400 texts
quoted from issues), re-implemented here on purpose: nothing is imported from otel_runs, so a
bug in our dotted_order or payload code cannot hide behind the same bug in the fake.

- `x-api-key` must be present (401) and right (403); `X-Tenant-Id` too when a tenant is set.
- `Content-Encoding: gzip | zstd` bodies are decoded; anything else is refused.
- `/runs/multipart`: a boundary, parts named `post.<uuid>` / `post.<uuid>.<field>`, each with
  `Content-Type: application/json` and a `Content-Length` (or `length=` parameter) that matches,
  and no per-part `Content-Encoding`.
- `/runs/batch`: `{"post": [...], "patch": []}`.
- Every run: id, name, run_type (one of seven), start_time, trace_id, dotted_order, a project
  (session_name or session_id), and the dotted_order invariants with the server's error texts.
- One bad run rejects the whole request (as LangSmith does); a run id already stored answers
  409 and rejects the request too (`conflict_on_duplicate=False` accepts and overwrites).

Faults for the next requests: `inject(Fault(...))`; `multipart_enabled = False` makes
`/runs/multipart` answer 404 (an older or self-hosted server). Every request is recorded.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RUN_TYPES = frozenset({"llm", "chain", "tool", "retriever", "embedding", "prompt", "parser"})
FIELDS = frozenset({"inputs", "outputs", "events", "extra", "error", "serialized"})
REQUIRED = ("id", "name", "run_type", "start_time", "trace_id", "dotted_order")
GO_LAYOUT = "20060102T150405.000000Z"
"""The fixed-width layout the server parses segment times with (6 fractional digits)."""

_PART_NAME = re.compile(r"^(?P<event>[a-z]+)\.(?P<id>[0-9a-fA-F-]{36})(?:\.(?P<field>[a-z_]+))?$")
_SEGMENT_TIME = re.compile(r"^(\d{8})T(\d{6})(\d*)Z$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$")


class Rejected(Exception):
    """A request the fake refuses: HTTP status and the server's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Fault:
    """What the fake does to one request instead of answering it normally.

    `status=None` processes the request normally and answers after `delay` (the runs are
    stored even if the client gave up waiting); any status answers with it after `delay`,
    storing nothing."""

    status: int | None = 503
    retry_after: str | None = None
    delay: float = 0.0
    message: str = "injected fault"


@dataclass(frozen=True, slots=True)
class Part:
    """One multipart part as received."""

    name: str
    headers: dict[str, str]
    data: bytes


@dataclass(slots=True)
class RecordedRequest:
    """One request as received, and the fake's answer."""

    method: str
    path: str
    headers: dict[str, str]
    """Lower-case names."""
    raw_body: bytes
    body: bytes = b""
    """After Content-Encoding was decoded."""
    parts: list[Part] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    status: int = 0
    message: str = ""
    received_at: float = 0.0
    """time.monotonic() when the request line arrived."""


class FakeLangSmith:
    """The fake server's state; `url` is the endpoint to give the sink."""

    def __init__(self, api_key: str = "lsv2_fake_key_0123456789", tenant: str | None = None):
        self.api_key = api_key
        self.tenant = tenant
        self.multipart_enabled = True
        self.conflict_on_duplicate = True
        self.projects: dict[str, str] = {}
        """Existing projects, id -> name (a session_id must name one; session_name creates)."""
        self.runs: dict[str, dict[str, Any]] = {}
        """Accepted runs by id, parts merged back into one dict."""
        self.accepted: Counter[str] = Counter()
        """How many times each run id was accepted (1 everywhere means exactly once)."""
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def inject(self, fault: Fault, times: int = 1) -> None:
        """The next `times` ingest requests get `fault`."""
        with self._lock:
            self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        """Drop the faults not yet served: the service is healthy again."""
        with self._lock:
            self._faults.clear()

    def ingest_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith("/runs")]

    def deliveries(self) -> dict[str, list[dict[str, Any]]]:
        """Every copy of every run the fake accepted, by run id, in arrival order."""
        seen: dict[str, list[dict[str, Any]]] = {}
        for request in self.ingest_requests():
            if 200 <= request.status < 300:
                for run in runs_from_parts(request.parts):
                    seen.setdefault(str(run["id"]), []).append(run)
        return seen

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            state = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    # --- request handling (called from handler threads) ------------------------------------

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def handle(self, record: RecordedRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, JSON body and extra headers for one request."""
        try:
            self._authenticate(record.headers)
            if record.path not in ("/runs/multipart", "/runs/batch"):
                raise Rejected(404, "Not Found")
            if record.method != "POST":
                raise Rejected(405, "Method Not Allowed")
            fault = self._next_fault()
            if fault is not None and fault.status is not None:
                self._stopping.wait(fault.delay)
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return fault.status, {"detail": fault.message}, headers
            answer = self._ingest(record)
            if fault is not None:  # processed, but the answer comes late (or never arrives)
                self._stopping.wait(fault.delay)
            return answer
        except Rejected as exc:
            return exc.status, {"detail": exc.message}, {}

    def _ingest(self, record: RecordedRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            if record.path == "/runs/multipart" and not self.multipart_enabled:
                raise Rejected(404, "Not Found")
            record.body = _decode_body(record.headers, record.raw_body)
            if record.path == "/runs/multipart":
                record.parts = parse_multipart(record.headers, record.body)
                runs = runs_from_parts(record.parts)
            else:
                runs = runs_from_batch(record.headers, record.body)
            record.run_ids = [str(run.get("id")) for run in runs]
            for run in runs:
                validate_run(run, self.projects)
            self._store(runs)
        except Rejected as exc:
            return exc.status, {"detail": exc.message}, {}
        return 202, {}, {}

    def _authenticate(self, headers: dict[str, str]) -> None:
        key = headers.get("x-api-key")
        if not key:
            raise Rejected(401, "Unauthorized: missing x-api-key header")
        if key != self.api_key:
            raise Rejected(403, "Forbidden: invalid API key")
        if self.tenant is not None and headers.get("x-tenant-id") != self.tenant:
            raise Rejected(403, "Forbidden: this API key needs an X-Tenant-Id header")

    def _store(self, runs: list[dict[str, Any]]) -> None:
        with self._lock:
            ids = [str(run["id"]) for run in runs]
            if len(set(ids)) != len(ids):
                repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
                raise Rejected(400, f"duplicate run ids in one request: {repeated}")
            existing = [i for i in ids if i in self.runs]
            if existing and self.conflict_on_duplicate:
                # The real server's text names no run (langsmith-sdk issues #1529, #2111).
                raise Rejected(409, "Conflict: payload already received: payloads already received")
            for run_id, run in zip(ids, runs, strict=True):
                self.runs[run_id] = run
                self.accepted[run_id] += 1
                name = run.get("session_name")
                if isinstance(name, str) and name not in self.projects.values():
                    self.projects[str(uuid.uuid4())] = name


class _Handler(BaseHTTPRequestHandler):
    state: FakeLangSmith
    protocol_version = "HTTP/1.1"
    server_version = "fake-langsmith/1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _serve(self) -> None:
        record = RecordedRequest(
            method=self.command,
            path=self.path.split("?")[0],
            headers={k.lower(): v for k, v in self.headers.items()},
            raw_body=b"",
            received_at=time.monotonic(),
        )
        length = self.headers.get("content-length")
        if length is None and self.command == "POST":
            self._answer(record, 411, {"detail": "Length Required"}, {})
            return
        record.raw_body = self.rfile.read(int(length or 0))
        with self.state._lock:
            self.state.requests.append(record)
        status, body, headers = self.state.handle(record)
        self._answer(record, status, body, headers)

    def _answer(
        self, record: RecordedRequest, status: int, body: dict[str, Any], headers: dict[str, str]
    ) -> None:
        record.status = status
        record.message = str(body.get("detail", ""))
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault)

    do_POST = _serve
    do_GET = _serve
    do_PATCH = _serve


# --- body decoding --------------------------------------------------------------------------


def _decode_body(headers: dict[str, str], raw: bytes) -> bytes:
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding == "identity":
        return raw
    try:
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    except Exception as exc:
        raise Rejected(400, f"cannot decode {encoding} body: {exc}") from exc
    raise Rejected(415, f"unsupported Content-Encoding {encoding!r}")


def _content_type(value: str) -> tuple[str, dict[str, str]]:
    kind, *params = [piece.strip() for piece in value.split(";")]
    parsed = {}
    for param in params:
        name, _, raw = param.partition("=")
        parsed[name.strip().lower()] = raw.strip().strip('"')
    return kind.lower(), parsed


def parse_multipart(headers: dict[str, str], body: bytes) -> list[Part]:
    """Parts of a multipart/form-data body, each delimited by its declared length."""
    kind, params = _content_type(headers.get("content-type", ""))
    if kind != "multipart/form-data":
        raise Rejected(400, f"expected multipart/form-data, got {kind!r}")
    boundary = params.get("boundary")
    if not boundary:
        raise Rejected(400, "multipart/form-data without a boundary")
    delimiter = b"--" + boundary.encode()
    if not body.startswith(delimiter):
        raise Rejected(400, "multipart body does not start with its boundary")
    parts: list[Part] = []
    pos = 0
    while True:
        pos += len(delimiter)
        if body.startswith(b"--", pos):
            if body[pos + 2 :] not in (b"", b"\r\n"):
                raise Rejected(400, "data after the closing multipart boundary")
            break
        if not body.startswith(b"\r\n", pos):
            raise Rejected(400, "malformed multipart boundary line")
        head_end = body.find(b"\r\n\r\n", pos + 2)
        if head_end < 0:
            raise Rejected(400, "multipart part without a header block")
        part_headers: dict[str, str] = {}
        for line in body[pos + 2 : head_end].decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon:
                raise Rejected(400, f"malformed part header line {line!r}")
            part_headers[name.strip().lower()] = value.strip()
        disposition = part_headers.get("content-disposition", "")
        found = re.search(r'name="([^"]*)"', disposition)
        if not disposition.startswith("form-data") or found is None:
            raise Rejected(400, f"part without a form-data name: {disposition!r}")
        name = found.group(1)
        if "content-encoding" in part_headers:
            raise Rejected(400, f"part {name}: per-part Content-Encoding is not supported")
        ctype, cparams = _content_type(part_headers.get("content-type", ""))
        if not ctype:
            raise Rejected(400, f"part {name} has no Content-Type")
        declared = part_headers.get("content-length", cparams.get("length"))
        if declared is None or not declared.isdigit():
            raise Rejected(400, f"part {name} has no Content-Length or length parameter")
        start = head_end + 4
        end = start + int(declared)
        if not body.startswith(b"\r\n" + delimiter, end):
            raise Rejected(400, f"part {name}: Content-Length {declared} does not match its body")
        parts.append(Part(name, part_headers, body[start:end]))
        pos = end + 2
    return parts


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Rejected(400, f"{where} is not valid JSON: {exc}") from exc


def runs_from_parts(parts: list[Part]) -> list[dict[str, Any]]:
    """Runs rebuilt from `post.<id>` parts and their `post.<id>.<field>` parts."""
    mains: dict[str, dict[str, Any]] = {}
    fields: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for part in parts:
        if part.name in seen:
            raise Rejected(400, f"duplicate part {part.name}")
        seen.add(part.name)
        found = _PART_NAME.match(part.name)
        if found is None:
            raise Rejected(400, f"invalid part name {part.name!r}")
        event, run_id, field_name = found.group("event", "id", "field")
        if event != "post":
            raise Rejected(422, f"the fake only supports post parts, got {part.name!r}")
        try:
            uuid.UUID(run_id)
        except ValueError as exc:
            raise Rejected(400, f"invalid run id in part name {part.name!r}") from exc
        if _content_type(part.headers["content-type"])[0] != "application/json":
            raise Rejected(400, f"part {part.name} must be application/json")
        value = _json(part.data, f"part {part.name}")
        if field_name is None:
            if not isinstance(value, dict):
                raise Rejected(400, f"part {part.name} must be a JSON object")
            mains[run_id] = value
        elif field_name in FIELDS:
            fields.setdefault(run_id, {})[field_name] = value
        else:
            raise Rejected(400, f"invalid field {field_name!r} in part {part.name!r}")
    runs = []
    for run_id, main in mains.items():
        run = dict(main)
        for name, value in fields.pop(run_id, {}).items():
            if name in run:
                raise Rejected(400, f"run {run_id}: {name} sent both inline and as a part")
            run[name] = value
        if str(run.get("id")) != run_id:
            raise Rejected(400, f"part post.{run_id} holds run id {run.get('id')!r}")
        runs.append(run)
    if fields:
        raise Rejected(400, f"parts without their post.<id> part: {sorted(fields)}")
    if not runs:
        raise Rejected(400, "no runs in the request")
    return runs


def runs_from_batch(headers: dict[str, str], body: bytes) -> list[dict[str, Any]]:
    if _content_type(headers.get("content-type", ""))[0] != "application/json":
        raise Rejected(400, "/runs/batch takes application/json")
    value = _json(body, "the request body")
    if not isinstance(value, dict) or not isinstance(value.get("post", []), list):
        raise Rejected(400, 'expected {"post": [...], "patch": [...]}')
    if value.get("patch"):
        raise Rejected(422, "the fake does not support patch")
    runs = value.get("post", [])
    if not runs or not all(isinstance(run, dict) for run in runs):
        raise Rejected(400, "post must be a non-empty list of run objects")
    return list(runs)


# --- run validation -------------------------------------------------------------------------


def _segment(part: str, dotted_order: str) -> tuple[datetime, str]:
    stamp, run_id = part[:-36], part[-36:]
    found = _SEGMENT_TIME.match(stamp)
    if found is None:
        raise Rejected(
            400,
            f"invalid 'dotted_order': parsing time {stamp!r} as {GO_LAYOUT!r}: cannot parse"
            f" segment of dotted_order {dotted_order}",
        )
    if len(found.group(3)) != 6:
        raise Rejected(
            400,
            f"invalid 'dotted_order': parsing time {stamp!r}: cannot parse"
            f' ".{found.group(3)}" as ".000000"',
        )
    try:
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ")
        uuid.UUID(run_id)
    except ValueError as exc:
        raise Rejected(400, f"invalid 'dotted_order': bad segment {part!r}: {exc}") from exc
    return when, run_id.lower()


def validate_run(run: dict[str, Any], projects: dict[str, str]) -> None:
    """Raise Rejected (400, the server's text) for the first problem of one posted run."""
    for name in REQUIRED:
        if run.get(name) in (None, ""):
            raise Rejected(400, f"invalid run: missing required field {name!r}")
    run_id, trace_id = str(run["id"]).lower(), str(run["trace_id"]).lower()
    dotted_order = str(run["dotted_order"])
    parent = run.get("parent_run_id")
    parent_id = str(parent).lower() if parent else None
    if run["run_type"] not in RUN_TYPES:
        raise Rejected(400, f"invalid run_type {run['run_type']!r}")
    for name in ("start_time", "end_time"):
        value = run.get(name)
        if value is not None and (not isinstance(value, str) or not _ISO_TIME.match(value)):
            raise Rejected(400, f"invalid {name} {value!r}")
    if not run.get("session_name") and not run.get("session_id"):
        raise Rejected(400, "invalid run: session_name or session_id is required")
    if run.get("session_id") and str(run["session_id"]) not in projects:
        raise Rejected(404, "tracer session not found")
    for name in ("inputs", "outputs", "extra", "serialized"):
        if run.get(name) is not None and not isinstance(run[name], dict):
            raise Rejected(400, f"invalid run: {name} must be an object")
    if run.get("events") is not None and not isinstance(run["events"], list):
        raise Rejected(400, "invalid run: events must be a list")

    segments = [_segment(part, dotted_order) for part in dotted_order.split(".")]
    context = (
        f"for run_id:{run_id} trace_id:{trace_id} dotted_order:{dotted_order}"
        f" parent_run_id:{parent_id}"
    )
    if segments[-1][1] != run_id:
        raise Rejected(
            400, f"invalid 'dotted_order': run_id {run_id} does not match last part {context}"
        )
    if segments[0][1] != trace_id:
        raise Rejected(
            400,
            f"invalid 'dotted_order': trace_id {trace_id} does not match first part of"
            f" dotted_order {dotted_order}",
        )
    if parent_id is None and len(segments) != 1:
        raise Rejected(
            400,
            "invalid 'dotted_order': dotted_order must contain a single part for root runs"
            f" {context}",
        )
    if parent_id is not None:
        if len(segments) < 2:
            raise Rejected(
                400,
                "invalid 'dotted_order': dotted_order must contain at least two parts for"
                f" child runs {context}",
            )
        if segments[-2][1] != parent_id:
            raise Rejected(
                400,
                f"invalid 'dotted_order': parent_run_id {parent_id} does not match the"
                f" penultimate part {context}",
            )
    for (before, _), (after, _) in itertools.pairwise(segments):
        if after < before:
            raise Rejected(
                400,
                f"dotted_order has timestamp {after:%Y-%m-%d %H:%M:%S.%f} earlier than parent"
                f" timestamp {before:%Y-%m-%d %H:%M:%S.%f}",
            )


@contextmanager
def running_fake_langsmith(**kwargs: Any) -> Iterator[FakeLangSmith]:
    """A started fake (for a fixture); stopped on exit."""
    fake = FakeLangSmith(**kwargs)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
