"""Every limit of `otel-runs serve`, probed over the wire with hostile requests.

One receiver with small limits (1 MiB requests, 2 in flight, 100 spans held for their parent,
a bearer token) gets one probe per limit; each row says what was sent, what came back and
whether that is the documented answer. Rows marked `gap` are limits otel-runs does not have
(yet): the row shows what happens instead. In long mode a second receiver with the default
20 MiB limit gets the largest request of minimal spans it accepts, to show what a "spans per
request" limit is worth in memory and time.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from uuid import UUID

import httpx
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]  # no stubs
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from tests.support.receiver_proc import ServeProcess, start_serve

from otel_runs.conventions import genai as g
from reliability.common import MIB, Figures, rss_bytes, stored_run_ids, wait_for
from reliability.payload import encode, span
from reliability.sender import PROTOBUF

TOKEN: Final = "rel-token-7d1f0c9e5b"
LIMIT_MIB: Final = 1
MAX_WAITING: Final = 100
TTL_S: Final = 120.0
ORPHANS: Final = 300
VALUE_LIMIT: Final = 256 * 1024
"""OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT for the probe (the default, 4 Mi, is over the 1 MiB request
limit used here)."""
_WAIT_S: Final = 30.0


def limits(*, long: bool = False) -> list[Figures]:
    """One row per probe (and, in long mode, the largest default-limit request)."""
    with tempfile.TemporaryDirectory(prefix="otel-runs-limits-") as scratch:
        store = Path(scratch) / "runs.sqlite"
        env = {
            "OTEL_RUNS_TOKEN": TOKEN,
            "OTEL_RUNS_MAX_WAITING_SPANS": str(MAX_WAITING),
            "OTEL_RUNS_ASSEMBLY_TTL_SECONDS": str(TTL_S),
            "OTEL_RUNS_LOG_SETTLE_SECONDS": "0.2",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": str(VALUE_LIMIT),
        }
        served = start_serve(
            store, "--spool", str(Path(scratch) / "spool.sqlite"), "--max-request-mib",
            str(LIMIT_MIB), "--max-inflight", "2", grpc=False, env=env,
        )  # fmt: skip
        try:
            with httpx.Client(base_url=served.http_url, timeout=60) as client:
                probe = _Probe(client, store)
                rows = [make(probe) for make in PROBES]
            exit_code = served.stop()
        finally:
            if served.process.poll() is None:
                served.kill()
        rows.append({"limit": "receiver still serving and stops cleanly", "ok": exit_code == 0,
                     "answer": f"exit code {exit_code}"})  # fmt: skip
        if long:
            rows.append(largest_request(Path(scratch)))
        for row in rows:
            row["scenario"] = "limits"
        return rows


class _Probe:
    """Posts to the receiver with the token; reads answers."""

    def __init__(self, client: httpx.Client, store: Path) -> None:
        self.client = client
        self.store = store
        self._next_id = 0x5EC0_0000_0000_0000

    def span_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def post(
        self, content: bytes, *, headers: dict[str, str] | None = None, token: str | None = TOKEN
    ) -> httpx.Response:
        sent = {"content-type": PROTOBUF, **(headers or {})}
        if token is not None:
            sent["authorization"] = f"Bearer {token}"
        return self.client.post("/v1/traces", content=content, headers=sent)

    def stored(self, span_ids: list[int], timeout: float = _WAIT_S) -> bool:
        wanted = {str(UUID(int=i)) for i in span_ids}
        return wait_for(lambda: wanted <= stored_run_ids(self.store), timeout, 0.2)


def stored_sizes(store: Path, span_ids: list[int]) -> dict[int, int]:
    """KiB of each stored run's JSON, by span id."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return {
            span_id: int(conn.execute("SELECT length(data) FROM runs WHERE id = ?",
                                      (str(UUID(int=span_id)),)).fetchone()[0]) // 1024
            for span_id in span_ids
        }  # fmt: skip
    finally:
        conn.close()


def answer(response: httpx.Response) -> str:
    """`413: <message>` for a refusal, `200` or `200: N rejected: <message>` for an answer."""
    as_json = response.headers.get("content-type", "").startswith("application/json")
    if response.status_code == 200:
        if as_json:
            partial = response.json().get("partialSuccess", {})
            rejected = int(partial.get("rejectedSpans", 0))
            message = str(partial.get("errorMessage", ""))
        else:
            found = ExportTraceServiceResponse.FromString(response.content).partial_success
            rejected, message = found.rejected_spans, found.error_message
        return f"200, {rejected} rejected: {message}" if rejected else "200"
    if as_json:
        message = str(response.json().get("message", response.text))
    else:
        message = Status.FromString(response.content).message
    return f"{response.status_code}: {message}"


def _row(limit: str, setting: str, probe: str, response: httpx.Response, ok: bool,
         **more: Any) -> Figures:  # fmt: skip
    return {"limit": limit, "setting": setting, "probe": probe, "answer": answer(response),
            "ok": ok, **more}  # fmt: skip


# --- the probes ---------------------------------------------------------------------------------


def auth_missing(p: _Probe) -> Figures:
    response = p.post(encode([span(p.span_id())]).data, token=None)
    return _row("bearer token", "OTEL_RUNS_TOKEN set", "no Authorization header", response,
                response.status_code == 401 and TOKEN not in response.text)  # fmt: skip


def auth_wrong(p: _Probe) -> Figures:
    near_miss = TOKEN[:-1] + ("x" if TOKEN[-1] != "x" else "y")
    response = p.post(encode([span(p.span_id())]).data, token=near_miss)
    return _row("bearer token", "OTEL_RUNS_TOKEN set", "token wrong in its last character",
                response, response.status_code == 401 and TOKEN not in response.text)  # fmt: skip


def size_declared(p: _Probe) -> Figures:
    response = p.post(b"\0" * (LIMIT_MIB * MIB + 1))
    return _row("request size", f"--max-request-mib {LIMIT_MIB}", "1 MiB + 1 byte body",
                response, response.status_code == 413)  # fmt: skip


def size_inflated(p: _Probe) -> Figures:
    bomb = gzip.compress(b"\0" * (256 * MIB), compresslevel=9)
    started = time.monotonic()
    response = p.post(bomb, headers={"content-encoding": "gzip"})
    took = time.monotonic() - started
    return _row("request size after decompression", f"--max-request-mib {LIMIT_MIB}",
                f"gzip bomb: {len(bomb) // 1024} KiB inflating to 256 MiB", response,
                response.status_code == 413, seconds=round(took, 3))  # fmt: skip


def json_body_depth(p: _Probe) -> Figures:
    response = p.post(b"[" * 200_000, headers={"content-type": "application/json"})
    ok = response.status_code == 400 and "not OTLP/JSON" in answer(response)
    return _row("JSON nesting depth (body)", "Python's recursion limit",
                "OTLP/JSON body nested 200,000 deep", response, ok)  # fmt: skip


def _nested(depth: int) -> dict[str, Any]:
    """An OTLP/JSON AnyValue: arrays nested `depth` deep around a string."""
    value: dict[str, Any] = {"stringValue": "bottom"}
    for _ in range(depth):
        value = {"arrayValue": {"values": [value]}}
    return value


def _json_span(span_id: int, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    now = time.time_ns()
    return {"traceId": f"{span_id:032x}", "spanId": f"{span_id:016x}", "name": "probe",
            "kind": 1, "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1_000_000),
            "attributes": attributes}  # fmt: skip


def any_value_depth_json(p: _Probe) -> Figures:
    deep, kept = p.span_id(), p.span_id()
    spans = [_json_span(deep, [{"key": "deep", "value": _nested(150)}]), _json_span(kept, [])]
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()
    response = p.post(body, headers={"content-type": "application/json"})
    said = answer(response)
    ok = "1 rejected" in said and "nested deeper than 100 levels" in said and p.stored([kept])
    return _row("attribute nesting depth (OTLP/JSON)", "100 levels",
                "one span with an array nested 150 deep, one plain span", response, ok)  # fmt: skip


def any_value_depth_protobuf(p: _Probe) -> Figures:
    deep_id, kept = p.span_id(), p.span_id()
    made = span(deep_id)
    item = made.attributes.add()
    item.key = "deep"
    inner: AnyValue = item.value
    for _ in range(60):
        inner = inner.array_value.values.add()
    inner.string_value = "bottom"
    response = p.post(encode([made, span(kept)]).data)
    said = answer(response)
    ok = response.status_code == 200 and "1 rejected" in said and p.stored([kept])
    return _row("attribute nesting depth (protobuf)", "upb: 100 message levels = 47 arrays",
                "one span with an array nested 60 deep, one plain span", response, ok,
                note="upb refuses the whole message; the body is then parsed span by span, "
                "so only the deep span is rejected")  # fmt: skip


def json_string_depth(p: _Probe) -> Figures:
    deep_id, plain_id = p.span_id(), p.span_id()
    deep = "[" * 5_000 + "]" * 5_000
    made = span(deep_id, attributes={g.OPERATION_NAME: "chat", g.INPUT_MESSAGES: deep})
    response = p.post(encode([made, span(plain_id)]).data)
    # Both spans travel in one spool row: once the plain one is a run, so is the deep one.
    stored = p.stored([plain_id]) and p.stored([deep_id], timeout=0.0)
    dropped = {} if stored else {"gap": True, "note": "acknowledged, then dropped by the converter"}
    return _row("JSON nesting depth (JSON text in an attribute)", "100 levels, deeper stays text",
                "gen_ai.input.messages holding JSON nested 5,000 deep", response,
                response.status_code == 200 and stored, **dropped)  # fmt: skip


def attribute_size(p: _Probe) -> Figures:
    mapped, unmapped = p.span_id(), p.span_id()
    text = "x" * (900 * 1024 // 2)
    message = json.dumps([{"role": "user", "parts": [{"type": "text", "content": text}]}])
    spans = [
        span(mapped, attributes={g.OPERATION_NAME: "chat", g.INPUT_MESSAGES: message}),
        span(unmapped, attributes={"app.blob": text}),
    ]
    response = p.post(encode(spans).data)
    stored = p.stored([mapped, unmapped])
    sizes = stored_sizes(p.store, [mapped, unmapped]) if stored else {}
    limit_kib = VALUE_LIMIT / 1024
    cut = all(size is not None and size < limit_kib + 8 for size in sizes.values())
    return _row("attribute value size", f"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT={VALUE_LIMIT}",
                "two spans, each with one 450 KiB string attribute (mapped to inputs / not "
                "mapped)", response, response.status_code == 200 and stored and cut,
                stored_kib={"mapped": sizes.get(mapped), "unmapped": sizes.get(unmapped)},
                note="values over the limit are cut with a marker before the spool; cut JSON "
                "text no longer parses and lands among the leftovers, cut to 16 KiB")  # fmt: skip


def spans_per_request(p: _Probe) -> Figures:
    spans = []
    size = 0
    while size < LIMIT_MIB * MIB * 0.95:
        spans.append(span(p.span_id()))
        size += spans[-1].ByteSize() + 4
    response = p.post(encode(spans).data)
    return _row("spans per request", "none of its own (the request limit bounds it)",
                f"{len(spans)} minimal spans in {LIMIT_MIB} MiB", response,
                response.status_code == 200, gap=True, spans=len(spans))  # fmt: skip


def traces_held(p: _Probe) -> Figures:
    """Children whose parent never comes: MAX_WAITING are held, the rest go as roots at once.

    The TTL is long (TTL_S), so only the cap can have released the ones that arrive."""
    ids = [p.span_id() for _ in range(ORPHANS)]
    orphans = [span(i, parent=i + 0x1000_0000) for i in ids]
    response = p.post(encode(orphans).data)
    released = p.stored(ids[: ORPHANS - MAX_WAITING])
    held = not p.stored(ids[ORPHANS - MAX_WAITING :], timeout=0.0)
    return _row("spans held for their parent", f"OTEL_RUNS_MAX_WAITING_SPANS={MAX_WAITING}, "
                f"TTL {TTL_S:g} s", f"{ORPHANS} children whose parents never come", response,
                released and held, note=f"the oldest {ORPHANS - MAX_WAITING} went on as roots at "
                f"once; {MAX_WAITING} wait for their parent (until the TTL)")  # fmt: skip


def inflight(p: _Probe) -> Figures:
    body = encode([span(p.span_id()) for _ in range(4000)]).data
    answers: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        status = p.post(body).status_code
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    last = p.post(encode([span(p.span_id())]).data)
    busy = answers.count(429)
    return _row("requests in flight", "--max-inflight 2", "12 concurrent requests of 4000 spans",
                last, set(answers) <= {200, 429} and last.status_code == 200,
                answered_200=answers.count(200), answered_429=busy)  # fmt: skip


PROBES: Final[tuple[Callable[[_Probe], Figures], ...]] = (
    auth_missing, auth_wrong, size_declared, size_inflated, json_body_depth, any_value_depth_json,
    any_value_depth_protobuf, json_string_depth, attribute_size, spans_per_request, traces_held,
    inflight,
)  # fmt: skip


# --- long mode: the largest request the default limit lets in -----------------------------------


def _hwm_bytes(pid: int) -> int | None:
    """Peak resident set size (VmHWM) of a process."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def largest_request(scratch: Path) -> Figures:
    """A default receiver gets ~20 MiB of minimal spans in one request: time and peak memory."""
    template = span(1)
    per_span = template.ByteSize() + 3
    count = int(19.5 * MIB / per_span)
    spans: list[Span] = []
    for index in range(count):
        made = Span()
        made.CopyFrom(template)
        made.span_id = (0x7A00_0000_0000_0000 + index + 1).to_bytes(8, "big")
        made.trace_id = (0x7A00_0000_0000_0000 + index + 1).to_bytes(16, "big")
        spans.append(made)
    body = encode(spans).data
    del spans
    served: ServeProcess = start_serve(scratch / "big.sqlite", "--spool",
                                       str(scratch / "big-spool.sqlite"), grpc=False,
                                       env={"OTEL_RUNS_LOG_SETTLE_SECONDS": "600"})  # fmt: skip
    try:
        before = rss_bytes(served.process.pid) or 0
        started = time.monotonic()
        response = httpx.post(f"{served.http_url}/v1/traces", content=body,
                              headers={"content-type": PROTOBUF}, timeout=600)  # fmt: skip
        took = time.monotonic() - started
        peak = _hwm_bytes(served.process.pid) or 0
    finally:
        served.kill()  # its 500k runs are not the point; the spool is thrown away
    return {
        "limit": "spans per request (default 20 MiB limit)",
        "setting": "--max-request-mib 20 (default)",
        "probe": f"{count:,} minimal spans in {len(body) / MIB:.1f} MiB",
        "answer": answer(response),
        "ok": response.status_code == 200,
        "gap": True,
        "seconds": round(took, 1),
        "rss_before_mib": round(before / MIB, 1),
        "rss_peak_mib": round(peak / MIB, 1),
        "spans_per_second": round(count / took),
    }
