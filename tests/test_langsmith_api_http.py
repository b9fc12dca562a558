"""The LangSmith API of a real `otel-runs serve` process, over HTTP: /info, auth by
`x-api-key`, every refusal with its status, partial acceptance with reasons, OTLP still served on
the same port, counters, and no acknowledged run lost to `kill -9`."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import zstandard
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_runs.cli import main
from otel_runs.errors import StoreError
from otel_runs.otlp.decode import decode_request
from otel_runs.sinks.sqlite import read_runs
from tests.fixtures.runs.roundtrip import back_to_runs
from tests.support.otlp_collector import Collector, otlp_collector
from tests.support.receiver_proc import ServeProcess, serving, start_serve
from tests.test_receiver_service import wait_until

TOKEN = "s3cret-token"
BOUNDARY = "xYzZy"
START = "2025-03-01T00:00:00.000000+00:00"
END = "2025-03-01T00:00:01.000000+00:00"
FAST = {"OTEL_RUNS_RUN_SETTLE_SECONDS": "0"}


def run(run_id: str | None = None, **fields: Any) -> dict[str, Any]:
    run_id = run_id or str(uuid.uuid4())
    value = {"id": run_id, "name": "agent", "run_type": "chain", "start_time": START,
             "end_time": END, "trace_id": run_id,
             "dotted_order": "20250301T000000000000Z" + run_id, "session_name": "http-test"}  # fmt: skip
    value.update(fields)
    return value


def multipart(*runs: dict[str, Any], extra: bytes = b"") -> bytes:
    out = b""
    for value in runs:
        inputs = value.pop("inputs", {"q": "hi"})
        for name, data in ((f"post.{value['id']}", value), (f"post.{value['id']}.inputs", inputs)):
            payload = orjson.dumps(data)
            out += (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            ).encode() + payload + b"\r\n"
    return out + extra + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "x-api-key": TOKEN}


def stored(store: Path) -> dict[str, Any]:
    try:
        return {str(r.id): r for r in read_runs(store)}
    except StoreError:
        return {}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, Path]]:
    tmp = tmp_path_factory.mktemp("serve")
    store = tmp / "runs.sqlite"
    with serving(store, "--token", TOKEN, "--max-request-mib", "1", grpc=False, env=FAST) as s:
        yield s, store


def test_info_tells_the_sdks_to_send_multipart_zstd(served: tuple[ServeProcess, Path]) -> None:
    process, _ = served
    response = httpx.get(f"{process.http_url}/info")  # no key needed
    assert response.status_code == 200
    info = response.json()
    assert info["batch_ingest_config"]["use_multipart_endpoint"] is True
    assert info["batch_ingest_config"]["size_limit_bytes"] <= 1024 * 1024
    assert info["instance_flags"]["zstd_compression_enabled"] is True
    assert httpx.get(f"{process.http_url}/api/v1/info").json() == info
    assert httpx.post(f"{process.http_url}/info").status_code == 405


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"x-api-key": "wrong"}, 403), ({"authorization": "Bearer wrong"}, 403),
     ({"x-api-key": TOKEN}, 202), ({"authorization": f"Bearer {TOKEN}"}, 202)],
)  # fmt: skip
def test_the_api_key_is_checked_against_the_token(
    served: tuple[ServeProcess, Path], headers: dict[str, str], status: int
) -> None:
    process, _ = served
    response = httpx.post(f"{process.http_url}/runs", json=run(), headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "compress",
    [
        pytest.param(lambda b: (b, ""), id="identity"),
        pytest.param(lambda b: (gzip.compress(b), "gzip"), id="gzip"),
        pytest.param(lambda b: (zstandard.ZstdCompressor().compress(b), "zstd"), id="zstd"),
    ],
)
def test_multipart_bodies_in_every_encoding_are_stored(
    served: tuple[ServeProcess, Path], compress: Any
) -> None:
    process, store = served
    value = run()
    data, encoding = compress(multipart(dict(value)))
    headers = {**MULTIPART, **({"content-encoding": encoding} if encoding else {})}
    response = httpx.post(f"{process.http_url}/runs/multipart", content=data, headers=headers)
    assert (response.status_code, response.json()) == (202, {"accepted": 1, "rejected": []})
    wait_until(lambda: value["id"] in stored(store))
    assert stored(store)[value["id"]].inputs == {"q": "hi"}


def test_a_bad_run_is_refused_with_its_reason_and_its_neighbours_are_stored(
    served: tuple[ServeProcess, Path],
) -> None:
    process, store = served
    good, bad = run(), run(run_type="agent")
    response = httpx.post(
        f"{process.http_url}/runs/multipart", content=multipart(good, bad), headers=MULTIPART
    )
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 1,
        "rejected": [{"where": f"post.{bad['id']}", "reason": response.json()["rejected"][0]
                      ["reason"]}],
    }  # fmt: skip
    assert "invalid run_type 'agent'" in response.json()["rejected"][0]["reason"]
    wait_until(lambda: good["id"] in stored(store))
    assert bad["id"] not in stored(store)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(("/runs/multipart", "POST", b"junk", MULTIPART, 400, "boundary"), id="junk"),
        pytest.param(("/runs/batch", "POST", b"{", {"x-api-key": TOKEN}, 400, "JSON"), id="json"),
        pytest.param(("/runs", "POST", orjson.dumps({"id": "x"}), {"x-api-key": TOKEN}, 422,
                     "nothing stored"), id="all-bad"),
        pytest.param(("/runs/multipart", "POST", b"x", {**MULTIPART, "content-encoding": "br"},
                     415, "not supported"), id="encoding"),
        pytest.param(("/runs/multipart", "POST", b"x" * (1024 * 1024 + 1), MULTIPART, 413,
                     "larger than the limit"), id="too-large"),
        pytest.param(("/runs/multipart", "POST",
                     zstandard.ZstdCompressor().compress(b"\0" * (8 << 20)),
                     {**MULTIPART, "content-encoding": "zstd"}, 413, "larger"), id="bomb"),
        pytest.param(("/runs/multipart", "GET", b"", MULTIPART, 405, "use POST"), id="method"),
        pytest.param(("/sessions", "GET", b"", MULTIPART, 404, "ingest API only"), id="query-api"),
    ],
)  # fmt: skip
def test_refusals_store_nothing_and_say_why(
    served: tuple[ServeProcess, Path], case: tuple[str, str, bytes, dict[str, str], int, str]
) -> None:
    path, method, body, headers, status, detail = case
    process, _ = served
    response = httpx.request(method, f"{process.http_url}{path}", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]


def test_patch_and_feedback_routes_join_their_run(served: tuple[ServeProcess, Path]) -> None:
    process, store = served
    url, key = process.http_url, {"x-api-key": TOKEN}
    value = run(end_time=None)
    assert httpx.post(f"{url}/runs", json=value, headers=key).status_code == 202
    feedback = {"run_id": value["id"], "key": "correct", "score": 0.5}
    assert httpx.post(f"{url}/feedback", json=feedback, headers=key).status_code == 202
    patch = {"end_time": END, "outputs": {"a": 1}}
    assert httpx.patch(f"{url}/runs/{value['id']}", json=patch, headers=key).status_code == 202
    wait_until(lambda: value["id"] in stored(store))
    got = stored(store)[value["id"]]
    assert got.outputs == {"a": 1} and got.end_time is not None
    [event] = got.events
    assert event["name"] == "gen_ai.evaluation.result"
    assert event["kwargs"]["gen_ai.evaluation.score.value"] == 0.5


def test_otlp_and_counters_share_the_port(served: tuple[ServeProcess, Path]) -> None:
    process, _ = served
    bearer = {"authorization": f"Bearer {TOKEN}", "content-type": "application/x-protobuf"}
    otlp = httpx.post(
        f"{process.http_url}/v1/traces",
        content=ExportTraceServiceRequest().SerializeToString(),
        headers=bearer,
    )
    assert otlp.status_code == 200
    stats = httpx.get(f"{process.http_url}/stats", headers={"x-api-key": TOKEN}).json()
    assert stats["langsmith_api.accepted"] >= 1 and stats["langsmith_api.rejected"] >= 1
    assert "accepted" in stats and "pending" in stats  # the OTLP receiver's own
    assert httpx.get(f"{process.http_url}/stats").status_code == 401


# --- durability end to end --------------------------------------------------------------------


@pytest.fixture
def collector() -> Iterator[Collector]:
    with otlp_collector() as running:
        yield running


def test_kill_9_after_the_answer_loses_no_run_and_the_collector_gets_each_once(
    tmp_path: Path, collector: Collector
) -> None:
    """Runs are held open (never patched, a long TTL) when the receiver is killed: every run
    answered 202 is in the spool, and after the restart the patches complete them."""
    args = ("--spool", str(tmp_path / "spool.sqlite"), "--to", "otlp-http", collector.url)
    process = start_serve(tmp_path / "runs.sqlite", *args, grpc=False, env=FAST)
    opened = [run(end_time=None) for _ in range(30)]
    for start in range(0, len(opened), 10):
        chunk = [dict(r) for r in opened[start : start + 10]]
        response = httpx.post(
            f"{process.http_url}/runs/multipart", content=multipart(*chunk), headers=MULTIPART
        )
        assert response.status_code == 202
    process.kill()
    assert collector.accepted == []
    with serving(tmp_path / "runs.sqlite", *args, grpc=False, env=FAST) as again:
        patches = {"patch": [{"id": r["id"], "trace_id": r["id"], "end_time": END,
                              "dotted_order": r["dotted_order"], "outputs": {"done": True}}
                             for r in opened]}  # fmt: skip
        response = httpx.post(f"{again.http_url}/runs/batch", json=patches)
        assert response.status_code == 202
        wait_until(lambda: _span_count(collector) >= len(opened))
        assert again.stop() == 0
    records = [r for body in collector.accepted for r in decode_request(body).records]
    runs = back_to_runs(records)
    assert sorted(str(r.id) for r in runs) == sorted(r["id"] for r in opened)  # each once
    assert all(r.inputs == {"q": "hi"} and r.outputs == {"done": True} for r in runs)


def _span_count(collector: Collector) -> int:
    return sum(len(decode_request(body).records) for body in collector.accepted)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--to", "jaeger"], "expected one of store, otlp-http, otlp-grpc", id="target"),
        pytest.param(["--to", "otlp-http"], "needs the endpoint URL", id="no-url"),
        pytest.param(["--to", "otlp-grpc", "collector:4317"], "must start with http", id="scheme"),
        pytest.param(["--to", "store", "x"], "takes no URL", id="store-url"),
        pytest.param(["--header", "k=v"], "--header is for", id="header-alone"),
        pytest.param(["--header", "novalue"], "expected KEY=VALUE", id="header-form"),
    ],
)
def test_bad_destinations_fail_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    spool = tmp_path / "spool.sqlite"
    code = main(["serve", "--store", str(tmp_path / "runs.sqlite"), "--spool", str(spool), *args])
    assert code == 1 and message in capsys.readouterr().err
    assert not spool.exists()  # nothing was opened


def test_a_negative_ttl_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--run-ttl", "-1"]) == 2
    assert "not a number of seconds" in capsys.readouterr().err
