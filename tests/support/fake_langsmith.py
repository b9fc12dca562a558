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
- `/runs/batch`: `{"post": [...], "patch": [...]}`; `POST /runs` and `PATCH /runs/{id}` one run.
- Every posted run: id, name, run_type (one of seven), start_time, trace_id, dotted_order, a
  project (session_name or session_id), and the dotted_order invariants with the server's error
  texts. A patch needs id, trace_id and dotted_order on the batch paths; its non-null fields
  replace the run's, in whichever order the post and the patch arrive.
- `feedback.<id>` parts (they must carry a trace_id) and `POST /feedback` are checked as
  FeedbackCreate (key, UUID ids, a run or a project, a numeric or boolean score, ISO times, a
  known source, no unknown field; a feedback id already received answers 409, an assumption)
  and kept in `feedback`; `attachment.<run id>.<name>` parts (a `type/subtype` media type, no
  dot in the name, a Content-Length) in `attachments`. `GET /info` answers as LangSmith does (multipart, zstd and gzip bodies).
- One bad run rejects the whole request (as LangSmith does); a run id already stored answers
  409 and rejects the request too (`conflict_on_duplicate=False` accepts and overwrites).

Faults for the next requests: `inject(Fault(...))`; `multipart_enabled = False` makes
`/runs/multipart` answer 404 (an older or self-hosted server). Every request is recorded.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
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

from tests.support.loopback import send_json, serve, shut

RUN_TYPES = frozenset({"llm", "chain", "tool", "retriever", "embedding", "prompt", "parser"})
FIELDS = frozenset({"inputs", "outputs", "events", "extra", "error", "serialized"})
INFO = {
    "version": "0.12.0",
    "batch_ingest_config": {
        "use_multipart_endpoint": True, "size_limit_bytes": 20_971_520, "size_limit": 100,
        "scale_up_qsize_trigger": 1000, "scale_up_nthreads_limit": 16,
        "scale_down_nempty_trigger": 4,
    },
    "instance_flags": {"zstd_compression_enabled": True, "gzip_body_enabled": True},
}  # fmt: skip
"""What LangSmith's `GET /info` says about ingestion (the fields the SDKs read)."""
REQUIRED = ("id", "name", "run_type", "start_time", "trace_id", "dotted_order")
GO_LAYOUT = "20060102T150405.000000Z"
"""The fixed-width layout the server parses segment times with (6 fractional digits)."""

_PART_NAME = re.compile(r"^(?P<event>[a-z]+)\.(?P<id>[0-9a-fA-F-]{36})(?:\.(?P<field>[A-Za-z0-9_-]+))?$")
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")
_RUN_PATH = re.compile(r"^/runs/(?P<id>[0-9a-fA-F-]{36})$")
_SEGMENT_TIME = re.compile(r"^(\d{8})T(\d{6})(\d*)Z$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$")


class Rejected(Exception):
    """A request the fake refuses: HTTP status and the server's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def authenticate(headers: dict[str, str], api_key: str, tenant: str | None) -> None:
    """LangSmith's API key check (lower-case header names): 401 without `x-api-key`, 403 for
    a wrong one, 403 without the `X-Tenant-Id` a tenant's key needs."""
    key = headers.get("x-api-key")
    if not key:
        raise Rejected(401, "Unauthorized: missing x-api-key header")
    if key != api_key:
        raise Rejected(403, "Forbidden: invalid API key")
    if tenant is not None and headers.get("x-tenant-id") != tenant:
        raise Rejected(403, "Forbidden: this API key needs an X-Tenant-Id header")


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
    path: str | None = None
    """Only for requests to this path (None: the next request, whatever its path)."""


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
        self.patches: dict[str, list[dict[str, Any]]] = {}
        """Patches whose post has not come yet, by run id (applied when it comes)."""
        self.feedback: list[dict[str, Any]] = []
        """Every feedback received (multipart parts and POST /feedback), in arrival order."""
        self.feedback_ids: set[str] = set()
        self.attachments: dict[str, dict[str, tuple[str, bytes]]] = {}
        """Run id -> attachment name -> (media type, bytes)."""
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

        self._server, self._thread = serve(Handler)

    def stop(self) -> None:
        self._stopping.set()
        shut(self._server, self._thread)

    # --- request handling (called from handler threads) ------------------------------------

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.path is None or fault.path == path:
                    return self._faults.pop(index)
            return None

    def handle(self, record: RecordedRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, JSON body and extra headers for one request."""
        try:
            if record.path == "/info" and record.method == "GET":
                return 200, INFO, {}
            self._authenticate(record.headers)
            single = _RUN_PATH.match(record.path)
            if record.path not in ("/runs/multipart", "/runs/batch", "/runs", "/feedback") and (
                single is None
            ):
                raise Rejected(404, "Not Found")
            if record.method != ("PATCH" if single else "POST"):
                raise Rejected(405, "Method Not Allowed")
            fault = self._next_fault(record.path)
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
            single = _RUN_PATH.match(record.path)
            if record.path == "/runs/multipart":
                record.parts = parse_multipart(record.headers, record.body)
                ops = ops_from_parts(record.parts)
            elif record.path == "/runs/batch":
                ops = ops_from_batch(record.headers, record.body)
            elif record.path == "/feedback":
                ops = Ops(feedback=[_json(record.body, "the request body")])
            else:
                run = _json(record.body, "the request body")
                if not isinstance(run, dict):
                    raise Rejected(422, "a run must be an object")
                if single is not None:
                    run["id"] = single.group("id")
                    ops = Ops(patches=[run])
                else:
                    _fill_single_run(run, self.runs)
                    ops = Ops(posts=[run])
            record.run_ids = [str(run.get("id")) for run in ops.posts]
            for run in ops.posts:
                validate_run(run, self.projects)
            for patch in ops.patches:
                validate_patch(patch, batch=record.path != "/runs" and single is None)
            for feedback in ops.feedback:
                validate_feedback(feedback, multipart=record.path == "/runs/multipart")
                with self._lock:
                    if feedback.get("id") is not None and str(feedback["id"]) in self.feedback_ids:
                        # Assumed, not confirmed: a feedback id LangSmith has is a conflict.
                        raise Rejected(409, f"feedback {feedback['id']} already exists")
            self._store(ops.posts)
            self._store_rest(ops)
        except Rejected as exc:
            return exc.status, {"detail": exc.message}, {}
        return 202, {}, {}

    def _store_rest(self, ops: Ops) -> None:
        with self._lock:
            for patch in ops.patches:
                run_id = str(patch["id"])
                if run_id in self.runs:
                    self.runs[run_id] = _patched(self.runs[run_id], patch)
                else:
                    self.patches.setdefault(run_id, []).append(patch)
            self.feedback.extend(ops.feedback)
            self.feedback_ids.update(str(f.get("id")) for f in ops.feedback if f.get("id"))
            for run_id, name, media, data in ops.attachments:
                self.attachments.setdefault(run_id, {})[name] = (media, data)

    def _authenticate(self, headers: dict[str, str]) -> None:
        authenticate(headers, self.api_key, self.tenant)

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
            for run_id, posted in zip(ids, runs, strict=True):
                run = posted
                for patch in self.patches.pop(run_id, []):  # patches that came first
                    run = _patched(run, patch)
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
        send_json(self, status, body, headers)

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


@dataclass
class Ops:
    """What one request carries: posted runs, patches, feedback and attachments."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[Any] = field(default_factory=list)
    attachments: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    """(run id, name, media type, bytes)."""


def runs_from_parts(parts: list[Part]) -> list[dict[str, Any]]:
    """The posted runs of a multipart request."""
    return ops_from_parts(parts).posts


def ops_from_parts(parts: list[Part]) -> Ops:
    """Runs rebuilt from `post.<id>` / `patch.<id>` parts and their `.<field>` parts, plus the
    request's feedback and attachments."""
    mains: dict[tuple[str, str], dict[str, Any]] = {}
    fields: dict[tuple[str, str], dict[str, Any]] = {}
    ops = Ops()
    seen: set[str] = set()
    for part in parts:
        if part.name in seen:
            raise Rejected(400, f"duplicate part {part.name}")
        seen.add(part.name)
        found = _PART_NAME.match(part.name)
        if found is None:
            raise Rejected(400, f"invalid part name {part.name!r}")
        event, run_id, field_name = found.group("event", "id", "field")
        try:
            uuid.UUID(run_id)
        except ValueError as exc:
            raise Rejected(400, f"invalid id in part name {part.name!r}") from exc
        if event == "attachment":
            if not field_name:
                raise Rejected(400, f"attachment part {part.name!r} has no name")
            media = _content_type(part.headers["content-type"])[0]
            if not _MEDIA_TYPE.match(media):
                raise Rejected(400, f"attachment part {part.name!r}: invalid content type {media!r}")
            ops.attachments.append((run_id, field_name, media, part.data))
            continue
        if _content_type(part.headers["content-type"])[0] != "application/json":
            raise Rejected(400, f"part {part.name} must be application/json")
        value = _json(part.data, f"part {part.name}")
        if event == "feedback":
            if field_name is not None:
                raise Rejected(400, f"invalid part name {part.name!r}")
            ops.feedback.append(value)
            continue
        if event not in ("post", "patch"):
            raise Rejected(422, f"unknown part kind {event!r} in {part.name!r}")
        if field_name is None:
            if not isinstance(value, dict):
                raise Rejected(400, f"part {part.name} must be a JSON object")
            mains[(event, run_id)] = value
        elif field_name in FIELDS:
            fields.setdefault((event, run_id), {})[field_name] = value
        else:
            raise Rejected(400, f"invalid field {field_name!r} in part {part.name!r}")
    for (event, run_id), main in mains.items():
        run = dict(main)
        for name, value in fields.pop((event, run_id), {}).items():
            if name in run:
                raise Rejected(400, f"run {run_id}: {name} sent both inline and as a part")
            run[name] = value
        if str(run.get("id")) != run_id:
            raise Rejected(400, f"part {event}.{run_id} holds run id {run.get('id')!r}")
        (ops.posts if event == "post" else ops.patches).append(run)
    if fields:
        raise Rejected(400, f"parts without their main part: {sorted(fields)}")
    if not (ops.posts or ops.patches or ops.feedback or ops.attachments):
        raise Rejected(400, "no runs in the request")
    return ops


def runs_from_batch(headers: dict[str, str], body: bytes) -> list[dict[str, Any]]:
    """The posted runs of a batch request."""
    return ops_from_batch(headers, body).posts


def ops_from_batch(headers: dict[str, str], body: bytes) -> Ops:
    if _content_type(headers.get("content-type", ""))[0] != "application/json":
        raise Rejected(400, "/runs/batch takes application/json")
    value = _json(body, "the request body")
    if not isinstance(value, dict):
        raise Rejected(400, 'expected {"post": [...], "patch": [...]}')
    posts, patches = value.get("post") or [], value.get("patch") or []
    if not isinstance(posts, list) or not isinstance(patches, list):
        raise Rejected(400, "post and patch must be lists of runs")
    if not posts and not patches:
        raise Rejected(400, "no runs in the request")
    if not all(isinstance(run, dict) for run in [*posts, *patches]):
        raise Rejected(400, "every run must be an object")
    return Ops(posts=list(posts), patches=list(patches))


def _patched(run: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The run as the server keeps it after a patch: the patch's non-null fields replace."""
    return {**run, **{key: value for key, value in patch.items() if value is not None}}


def _fill_single_run(run: dict[str, Any], runs: dict[str, dict[str, Any]]) -> None:
    """`POST /runs` without trace_id / dotted_order: the server derives them (from the parent
    it already has, for a child)."""
    if run.get("dotted_order") and run.get("trace_id"):
        return
    start = datetime.fromisoformat(str(run.get("start_time")).replace("Z", "+00:00"))
    segment = start.strftime("%Y%m%dT%H%M%S%fZ") + str(run.get("id"))
    parent = runs.get(str(run.get("parent_run_id")))
    if parent is not None:
        run.setdefault("trace_id", parent["trace_id"])
        run.setdefault("dotted_order", f"{parent['dotted_order']}.{segment}")
    else:
        run.setdefault("trace_id", run.get("id"))
        run.setdefault("dotted_order", segment)


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
        if value is not None and not _valid_time(value):
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


def _valid_time(value: object) -> bool:
    """ISO 8601, or epoch milliseconds as the JS SDK sends them."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value > 0
    return isinstance(value, str) and bool(_ISO_TIME.match(value))


def validate_patch(patch: dict[str, Any], *, batch: bool) -> None:
    """A run update: the batch paths need the run's id, trace_id and dotted_order."""
    required = ("id", "trace_id", "dotted_order") if batch else ("id",)
    for name in required:
        if patch.get(name) in (None, ""):
            raise Rejected(400, f"invalid patch: missing required field {name!r}")
    if patch.get("run_type") is not None and patch["run_type"] not in RUN_TYPES:
        raise Rejected(400, f"invalid run_type {patch['run_type']!r}")
    value = patch.get("end_time")
    if value is not None and not _valid_time(value):
        raise Rejected(400, f"invalid end_time {value!r}")
    for name in ("inputs", "outputs", "extra"):
        if patch.get(name) is not None and not isinstance(patch[name], dict):
            raise Rejected(400, f"invalid patch: {name} must be an object")


FEEDBACK_FIELDS = frozenset(
    {
        "id", "created_at", "modified_at", "run_id", "trace_id", "key", "score", "value",
        "comment", "correction", "feedback_source", "session_id", "start_time",
        "comparative_experiment_id", "feedback_group_id", "extra", "feedback_config",
        "extend_trace_retention", "error", "address",
    }
)  # fmt: skip
"""FeedbackCreate's fields (the langsmith SDK's `schemas.FeedbackCreate`, what `create_feedback`
posts); LangSmith's API model refuses others."""
FEEDBACK_SOURCES = frozenset({"api", "model", "app"})


def validate_feedback(feedback: Any, *, multipart: bool) -> None:
    """Feedback as LangSmith's FeedbackCreate takes it: a key; ids that are UUIDs; a score that
    is a number or a boolean; ISO times; a known source type; no unknown field. Multipart
    feedback needs its trace_id (LangSmith's rule)."""
    if not isinstance(feedback, dict):
        raise Rejected(422, "feedback must be an object")
    if not isinstance(feedback.get("key"), str) or not feedback["key"]:
        raise Rejected(422, "feedback needs a key")
    unknown = sorted(set(feedback) - FEEDBACK_FIELDS)
    if unknown:
        raise Rejected(422, f"feedback: unknown fields {unknown}")
    for name in ("id", "run_id", "trace_id", "session_id", "feedback_group_id"):
        value = feedback.get(name)
        if value is not None:
            try:
                uuid.UUID(str(value))
            except ValueError as exc:
                raise Rejected(422, f"feedback: {name} is not a UUID: {value!r}") from exc
    if feedback.get("run_id") is None and feedback.get("session_id") is None:
        raise Rejected(422, "feedback needs a run_id, or a session_id for project feedback")
    score = feedback.get("score")
    if score is not None and (
        not isinstance(score, (int, float)) or not math.isfinite(score)
    ):
        raise Rejected(422, f"feedback: score must be a number or a boolean, got {score!r}")
    for name in ("created_at", "modified_at", "start_time"):
        value = feedback.get(name)
        if value is not None and not (isinstance(value, str) and _ISO_TIME.match(value)):
            raise Rejected(422, f"feedback: {name} is not an ISO time: {value!r}")
    comment = feedback.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Rejected(422, "feedback: comment must be text")
    source = feedback.get("feedback_source")
    if source is not None and (
        not isinstance(source, dict) or source.get("type") not in FEEDBACK_SOURCES
    ):
        raise Rejected(422, f"feedback: feedback_source must be one of {sorted(FEEDBACK_SOURCES)}")
    if multipart and not feedback.get("trace_id"):
        raise Rejected(400, "multipart feedback must include trace_id")


@contextmanager
def running_fake_langsmith(**kwargs: Any) -> Iterator[FakeLangSmith]:
    """A started fake (for a fixture); stopped on exit."""
    fake = FakeLangSmith(**kwargs)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
