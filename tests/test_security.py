"""Secrets stay secret, the receiver listens on loopback by default, and JSON text nested too
deep inside an attribute still becomes a run.

Covered elsewhere, not repeated here: 401 for a missing or wrong token over HTTP and gRPC
(test_receiver_http.py, test_receiver_grpc.py), the LangSmith key kept out of the sink's own
logs, reprs and errors (test_langsmith_sink.py), hide inputs/outputs and redaction
(test_privacy.py), every wire limit answered as documented (test_reliability_smoke.py).

What is new here: the token and the key checked in every place they could end up in a real
`otel-runs serve` (its log at INFO, its replies, its ready line, the spool file and the run
store, what it sends to LangSmith), in the reprs of every receiver object, and in the logs of
an in-process receiver at DEBUG while LangSmith is down.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from reliability.payload import encode, span

from otel_runs.conventions import genai as g
from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.errors import ConfigError
from otel_runs.receiver.auth import BearerAuth
from otel_runs.receiver.http_app import OtlpHttpApp
from otel_runs.receiver.ingress import Ingress
from otel_runs.receiver.limits import Limits
from otel_runs.receiver.server import Bind, ReceiverServer
from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks.langsmith import LangSmithSink
from tests.support.fake_langsmith import Fault, running_fake_langsmith
from tests.support.receiver_proc import start_serve
from tests.support.records import record

ROOT = Path(__file__).resolve().parents[1]
KEY = "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"
TOKEN = "otel-runs-token-4c7d9a1e0b3f"
FOREIGN_KEY = "lsv2_pt_sent_by_the_app_as_a_header_99"
"""A LangSmith key an app sends to us as `x-api-key` (its config was meant for LangSmith)."""
MARKER = "secret-probe-span"
"""A span name, to prove the spool bytes searched really hold the spans."""
PROTOBUF = "application/x-protobuf"


def _files(path: Path) -> bytes:
    """A SQLite file's bytes with its WAL and shared-memory companions (as far as they exist:
    SQLite may remove the WAL while we look)."""
    found = []
    for part in sorted(path.parent.glob(path.name + "*")):
        with contextlib.suppress(FileNotFoundError):
            found.append(part.read_bytes())
    return b"".join(found)


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _body(span_id: int) -> bytes:
    made = span(span_id, attributes={g.OPERATION_NAME: "chat"})
    made.name = MARKER
    return encode([made]).data


def _headers(token: str | None) -> dict[str, str]:
    headers = {"content-type": PROTOBUF, "x-api-key": FOREIGN_KEY}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return headers


def _no_secret_in(blob: bytes | str, where: str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for secret in (KEY, TOKEN, FOREIGN_KEY):
        assert secret.encode() not in data, f"{secret[:12]}... found in {where}"


# --- a real `otel-runs serve` ---------------------------------------------------------------------


def test_serve_to_langsmith_keeps_key_and_token_out_of_log_replies_spool_and_uploads(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool.sqlite"
    with running_fake_langsmith(api_key=KEY) as fake:
        # LangSmith is down, then refuses the run; its error messages echo the key, as some
        # proxies do. The refusal is logged (WARNING), the key must be masked there.
        fake.inject(Fault(503, retry_after="1", message=f"key {KEY} is rate limited"), times=2)
        fake.inject(Fault(400, message=f"key {KEY} may not post here"))
        env = {"LANGSMITH_API_KEY": KEY, "LANGSMITH_ENDPOINT": fake.url, "OTEL_RUNS_TOKEN": TOKEN,
               "OTEL_RUNS_LOG_SETTLE_SECONDS": "0.1"}  # fmt: skip
        served = start_serve(tmp_path / "ls", "--spool", str(spool), "-v", grpc=False,
                             langsmith=True, env=env)  # fmt: skip
        try:
            url = f"{served.http_url}/v1/traces"
            near_miss = TOKEN[:-1] + "x"
            refused = [
                httpx.post(url, content=_body(1), headers=_headers(t)) for t in (None, near_miss)
            ]
            assert [r.status_code for r in refused] == [401, 401]
            accepted = httpx.post(url, content=_body(2), headers=_headers(TOKEN))
            assert accepted.status_code == 200
            _wait(lambda: len(fake.ingest_requests()) >= 2, "two refused uploads")
            held = _files(spool)  # the next attempt is a second away
            assert MARKER.encode() in held  # the span is in there, undelivered
            _wait(lambda: "may not post here" in served.log(), "the refusal in the log")
            delivered = httpx.post(url, content=_body(4), headers=_headers(TOKEN))
            assert delivered.status_code == 200
            _wait(lambda: len(fake.runs) == 1, "the run in LangSmith")
        finally:
            assert served.stop() == 0
    log = served.log()
    assert "key *** may not post here" in log
    places: list[tuple[str, bytes | str]] = [("the serve log", log), ("the ready line and stdout", "\n".join(served.lines)),
                        ("the 401 replies", b"".join(r.content for r in refused)),
                        ("the 200 reply", accepted.content), ("the spool", held),
                        ("the spool after delivery", _files(spool))]  # fmt: skip
    for where, blob in places:
        _no_secret_in(blob, where)
    for request in fake.ingest_requests():
        assert request.headers["x-api-key"] == KEY  # the key goes in its header, nowhere else
        assert "authorization" not in request.headers
        assert TOKEN.encode() not in request.body and FOREIGN_KEY.encode() not in request.body


def test_serve_to_a_store_keeps_the_token_out_of_store_and_spool(tmp_path: Path) -> None:
    store, spool = tmp_path / "runs.sqlite", tmp_path / "spool.sqlite"
    env = {"OTEL_RUNS_TOKEN": TOKEN, "OTEL_RUNS_LOG_SETTLE_SECONDS": "0.1"}
    served = start_serve(store, "--spool", str(spool), "-v", grpc=False, env=env)
    try:
        response = httpx.post(
            f"{served.http_url}/v1/traces", content=_body(3), headers=_headers(TOKEN)
        )
        assert response.status_code == 200
        _wait(lambda: store.exists() and MARKER.encode() in _files(store), "the run in the store")
    finally:
        assert served.stop() == 0
    places: list[tuple[str, bytes | str]] = [("the store", _files(store)),
        ("the spool", _files(spool)), ("the serve log", served.log())]  # fmt: skip
    for where, blob in places:
        _no_secret_in(blob, where)


# --- the objects in-process -------------------------------------------------------------------


def test_no_receiver_object_shows_the_key_or_the_token(tmp_path: Path) -> None:
    sink = LangSmithSink(api_key=KEY, endpoint="http://127.0.0.1:9")
    service = ReceiverService(sink, spool_path=tmp_path / "spool.sqlite")
    ingress = Ingress(service, Limits(), BearerAuth(TOKEN))
    try:
        objects = [sink, service, ingress, ingress.auth, ReceiverServer(ingress, Bind("127.0.0.1", 0, 0)),
                   OtlpHttpApp(ingress)]  # fmt: skip
        for item in objects:
            _no_secret_in(repr(item) + str(item), f"repr of {type(item).__name__}")
    finally:
        ingress.close()
        service.stop(0)
    with pytest.raises(ConfigError) as bad:
        LangSmithSink(api_key=KEY, endpoint="ftp://example.invalid")
    _no_secret_in(str(bad.value), "a ConfigError")


def test_an_in_process_receiver_logs_no_secret_while_langsmith_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    spool = tmp_path / "spool.sqlite"
    with running_fake_langsmith(api_key=KEY) as fake:
        fake.inject(Fault(503, message=f"upstream said {KEY}"), times=1000)
        sink = LangSmithSink(api_key=KEY, endpoint=fake.url, backoff=0.01, deadline=0.3)
        service = ReceiverService(sink, spool_path=spool, log_settle_s=0, retry_backoff_s=0.05)
        service.start()
        service.accept([record(span_id=7, name=MARKER)], project="proj")
        _wait(lambda: service.stats()["retried"] >= 2, "two failed sends")
        held = _files(spool)
        fake.clear_faults()
        _wait(lambda: service.stats()["pending"] == 0, "the delivery")
        assert service.stop(5)
    assert MARKER.encode() in held and "upstream said ***" in caplog.text
    _no_secret_in(caplog.text, "the log")
    _no_secret_in(held, "the spool")


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    auth = BearerAuth(TOKEN)
    assert not auth.allows(f"Bearer {TOKEN[:-1]}x") and auth.allows(f"Bearer {TOKEN}")
    assert compared == [
        (f"{TOKEN[:-1]}x".encode(), TOKEN.encode()),
        (TOKEN.encode(), TOKEN.encode()),
    ]


# --- default bind -------------------------------------------------------------------------------


LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}
"""127.0.0.1, ::ffff:127.0.0.1 and ::1 as /proc/net/tcp and tcp6 write them."""


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net shows them) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net (Linux)")
def test_serve_listens_on_loopback_only_by_default(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_runs.cli", "serve", "--http-port", "auto", "--grpc-port", "auto",
         "--store", str(tmp_path / "runs.sqlite"), "--spool", str(tmp_path / "spool.sqlite")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "OTEL_RUNS_"))},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        found = re.search(r"ready http=(\S+):(\d+) grpc=(\S+):(\d+)", ready)
        assert found is not None, ready
        assert found[1] == found[3] == "127.0.0.1"
        for port in (int(found[2]), int(found[4])):
            addresses = _listening(port)
            assert addresses and addresses <= LOOPBACK, (port, addresses)
    finally:
        process.terminate()
        assert process.wait(60) == 0
        assert process.stdout is not None
        process.stdout.close()


# --- JSON text in attributes: deeper than any limit, still a run (found by reliability/limits.py) --


def test_json_text_nested_too_deep_in_an_attribute_still_makes_a_run() -> None:
    """Deeper than Python's recursion limit: the text stays text (it used to be an internal
    error that dropped the span after the receiver had acknowledged it; conftest fails the
    test if one is reported)."""
    deep = "[" * 5_000 + "]" * 5_000
    made = record(span_id=9, attributes={g.OPERATION_NAME: "chat", g.INPUT_MESSAGES: deep})
    conversion = convert_records([made])
    assert len(conversion.runs) == 1 and conversion.rejected == []
