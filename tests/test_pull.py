"""`otel-runs pull` against a fake of LangSmith's runs query that pages, rate-limits, fails
mid-way and validates every request as the documented API does; interrupted pulls (a failing
API, a refusing endpoint, kill -9 at any moment) resume with every run exactly once."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_runs import Run
from otel_runs.cli import main
from otel_runs.otlp.decode import decode_json_request, decode_request
from tests.fixtures.runs.roundtrip import back_to_runs
from tests.support.fake_langsmith_query import (
    QUERY_PATH,
    FakeLangSmithQuery,
    Fault,
    running_fake_query,
)
from tests.support.langsmith_runs import agent_traces
from tests.support.otlp_collector import otlp_collector

PROJECT = "support-bot"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLangSmithQuery]:
    with running_fake_query() as server:
        monkeypatch.setenv("LANGSMITH_API_KEY", server.api_key)
        monkeypatch.delenv("LANGSMITH_WORKSPACE_ID", raising=False)
        monkeypatch.delenv("LANGSMITH_PROJECT", raising=False)
        yield server


def pull(fake: FakeLangSmithQuery, *args: str | Path) -> int:
    return main(["pull", "--endpoint", fake.url, "--backoff", "0.01", *map(str, args)])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _events(run: Run) -> list[tuple[Any, ...]]:
    return [
        (e.get("name"), datetime.fromisoformat(str(e["time"]).replace("Z", "+00:00")),
         e.get("kwargs") or None)
        for e in run.events
    ]  # fmt: skip


def assert_same_runs(
    got: list[Run], source: list[dict[str, Any]], *, project_id: str | None = None
) -> None:
    """Every source run came through once, each field as LangSmith had it."""
    assert sorted(str(r.id) for r in got) == sorted(r["id"] for r in source)
    by_id = {str(run.id): run for run in got}
    for raw in source:
        want, run = Run.from_dict(raw), by_id[raw["id"]]
        for name in ("name", "run_type", "start_time", "end_time", "inputs", "outputs", "error",
                     "extra", "tags", "trace_id", "parent_run_id", "dotted_order", "status",
                     "prompt_tokens", "completion_tokens", "total_tokens", "first_token_time",
                     "feedback_stats"):  # fmt: skip
            assert getattr(run, name) == getattr(want, name), (raw["name"], name)
        for name in ("prompt_cost", "completion_cost", "total_cost"):
            expected = getattr(want, name)
            assert getattr(run, name) == (None if expected is None else Decimal(expected))
        assert _events(run) == _events(want)
        if project_id is not None:  # from the API (a bulk export has no details columns)
            assert run.unmapped.get("prompt_token_details") == raw.get("prompt_token_details")
            assert run.session_id == project_id
            parent = raw.get("parent_run_id")
            assert [str(p) for p in run.parent_run_ids] == ([parent] if parent else [])


# --- the query, page by page ------------------------------------------------------------------


def test_a_project_is_pulled_whole_through_the_documented_query(
    fake: FakeLangSmithQuery, tmp_path: Path
) -> None:
    source = agent_traces(400)
    project_id = fake.add_project(PROJECT, source)
    fake.add_project("another-project", agent_traces(5, seed=99))
    out = tmp_path / "runs.jsonl"

    assert pull(fake, "--project", PROJECT, "-o", out, "--page-size", "500") == 0

    got = [Run.from_dict(line) for line in lines(out)]
    assert_same_runs(got, source, project_id=project_id)
    assert {run.unmapped.get("session_name") for run in got} == {PROJECT}
    lookups = [r for r in fake.requests if r.path == "/sessions"]
    assert [r.query["name"] for r in lookups] == [[PROJECT]]
    queries = fake.query_requests()
    assert [(r.status, r.page) for r in queries] == [(200, 1), (200, 2), (200, 3)]
    first = queries[0].body
    assert first["project_ids"] == [project_id]
    assert first["page_size"] == 500
    assert first["min_start_time"].startswith("2000-01-01T00:00:00")  # never the 1-day default
    assert datetime.fromisoformat(first["max_start_time"]) > datetime.now(timezone.utc) - timedelta(minutes=5)
    assert {"ID", "NAME", "RUN_TYPE", "INPUTS", "OUTPUTS", "DOTTED_ORDER", "PARENT_RUN_IDS"} <= set(first["selects"])
    for before, after in itertools.pairwise(queries):
        assert after.body["cursor"] == before.cursor_out
        assert {k: v for k, v in after.body.items() if k != "cursor"} == first
    assert queries[-1].cursor_out is None
    assert fake.api_key not in (tmp_path / "runs.jsonl.checkpoint").read_text()


def test_the_window_and_a_workspace_are_sent_and_a_self_hosted_url_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = agent_traces(20)
    with running_fake_query(tenant="ws-7") as fake:
        monkeypatch.setenv("LANGSMITH_API_KEY", fake.api_key)
        project_id = fake.add_project(PROJECT, source)
        out = tmp_path / "runs.jsonl"
        code = main(["pull", "--project-id", project_id, "-o", str(out), "--endpoint", f"{fake.url}/api/v1",
                     "--workspace-id", "ws-7", "--since", "2026-03-02T09:30:05Z",
                     "--until", "2026-03-02T09:30:10Z"])  # fmt: skip
        assert code == 0
        assert [r.path for r in fake.requests] == [f"/api/v1/sessions/{project_id}", QUERY_PATH]
        assert all(r.headers["x-tenant-id"] == "ws-7" for r in fake.requests)
        body = fake.query_requests()[0].body
    assert body["min_start_time"] == "2026-03-02T09:30:05.000000+00:00"
    assert body["max_start_time"] == "2026-03-02T09:30:10.000000+00:00"
    low, high = datetime(2026, 3, 2, 9, 30, 5, tzinfo=timezone.utc), datetime(2026, 3, 2, 9, 30, 10, tzinfo=timezone.utc)
    inside = [r for r in source if low <= datetime.fromisoformat(r["start_time"]) <= high]
    assert 0 < len(inside) < len(source)
    assert_same_runs([Run.from_dict(line) for line in lines(out)], inside)


def test_rate_limits_server_errors_and_dropped_connections_are_retried(
    fake: FakeLangSmithQuery, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = agent_traces(100)
    fake.add_project(PROJECT, source)
    fake.inject(2, Fault(429, retry_after="1"))
    fake.inject(2, Fault(503))
    fake.inject(3, Fault(drop=True))
    fake.inject(3, Fault(429, retry_after="30", retry_after_ms="600"))
    out = tmp_path / "runs.jsonl"

    assert pull(fake, "--project", PROJECT, "-o", out, "--page-size", "100", "--progress") == 0

    assert_same_runs([Run.from_dict(line) for line in lines(out)], source)
    err = capsys.readouterr().err
    assert "429 injected fault; retrying in 1.0 s" in err
    assert "\r" in err and "300 runs" in err  # the progress bar's last state
    queries = fake.query_requests()
    assert [(r.page, r.status) for r in queries] == [
        (1, 200), (2, 429), (2, 503), (2, 200), (3, -1), (3, 429), (3, 200)
    ]
    assert queries[2].received_at - queries[1].answered_at >= 0.95  # Retry-After: 1
    assert 0.55 <= queries[6].received_at - queries[5].answered_at < 5  # retry-after-ms: 600


def test_a_pull_that_keeps_failing_stops_and_the_same_command_resumes_it(
    fake: FakeLangSmithQuery, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = agent_traces(100)
    fake.add_project(PROJECT, source)
    fake.inject(3, Fault(503), times=50)
    out = tmp_path / "runs.jsonl"
    command = ("--project", PROJECT, "-o", out, "--page-size", "120", "--retries", "2")

    assert pull(fake, *command) == 1
    err = capsys.readouterr().err
    assert "503" in err and "stopped after 2 pages" in err and "resumes" in err
    queries = fake.query_requests()
    assert len(lines(out)) == 240
    assert {line["id"] for line in lines(out)} == {i for r in queries if r.status == 200 for i in r.ids}

    fake.clear_faults()
    assert pull(fake, *command) == 0
    resumed = fake.query_requests()[len(queries):]
    assert [r.page for r in resumed] == [3]  # from the checkpoint's cursor, not page 1
    assert resumed[0].body["cursor"] == queries[1].cursor_out
    assert_same_runs([Run.from_dict(line) for line in lines(out)], source)

    # Done is done: nothing is asked again; --restart pulls again from the start.
    assert pull(fake, *command) == 0
    assert "already complete" in capsys.readouterr().err
    assert len(fake.query_requests()) == len(queries) + 1
    assert pull(fake, *command, "--restart") == 0
    assert [r.page for r in fake.query_requests()[len(queries) + 1:]] == [1, 2, 3]
    assert_same_runs([Run.from_dict(line) for line in lines(out)], source)


def test_a_checkpoint_is_only_used_for_the_same_pull(
    fake: FakeLangSmithQuery, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_project(PROJECT, agent_traces(30))
    fake.add_project("other", agent_traces(3, seed=3))
    fake.inject(2, Fault(503), times=50)
    out = tmp_path / "runs.jsonl"
    assert pull(fake, "--project", PROJECT, "-o", out, "--page-size", "40", "--retries", "0") == 1
    capsys.readouterr()

    assert pull(fake, "--project", "other", "-o", out) == 1
    assert "checkpoint of another pull" in capsys.readouterr().err
    assert pull(fake, "--project", PROJECT, "-o", out, "--page-size", "50") == 1
    assert "page_size: 40 there, 50 now" in capsys.readouterr().err

    out.write_bytes(out.read_bytes()[:10])  # the output was changed since
    assert pull(fake, "--project", PROJECT, "-o", out) == 1
    assert "fewer than" in capsys.readouterr().err


def test_runs_that_cannot_be_read_are_reported_and_the_others_pulled(
    fake: FakeLangSmithQuery, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = agent_traces(10)
    project_id = fake.add_project(PROJECT, source)
    fake.runs[project_id][4]["name"] = None  # as a broken server answer would have it
    fake.runs[project_id][7]["inputs"] = "not an object"
    out = tmp_path / "runs.jsonl"

    assert pull(fake, "--project", PROJECT, "-o", out) == 1
    err = capsys.readouterr().err
    assert "otel-runs pull: page 1, run " in err
    assert "field 'name' is required" in err and "field 'inputs': expected an object" in err
    assert "28 runs" in err and "2 could not be read" in err
    assert len(lines(out)) == 28


def test_an_unknown_project_or_key_is_one_clear_error(
    fake: FakeLangSmithQuery, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "runs.jsonl"
    assert pull(fake, "--project", "nope", "-o", out) == 1
    assert "no project named 'nope'" in capsys.readouterr().err
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2_wrong")
    assert pull(fake, "--project", "nope", "-o", out) == 1
    err = capsys.readouterr().err
    assert "403" in err and "lsv2_wrong" not in err
    monkeypatch.delenv("LANGSMITH_API_KEY")
    assert pull(fake, "--project", "nope", "-o", out) == 1
    assert "LANGSMITH_API_KEY" in capsys.readouterr().err


# --- the fake itself answers as the documented API does ----------------------------------------


def test_the_fake_refuses_what_the_documented_api_refuses(fake: FakeLangSmithQuery) -> None:
    old = agent_traces(1, seed=5, start=datetime.now(timezone.utc) - timedelta(days=3))
    project_id = fake.add_project(PROJECT, [*agent_traces(1), *old])
    url = fake.url + QUERY_PATH
    key = {"x-api-key": fake.api_key}
    good = {"project_ids": [project_id], "min_start_time": "2000-01-01T00:00:00Z",
            "max_start_time": "2100-01-01T00:00:00Z", "selects": ["ID"], "page_size": 2}  # fmt: skip

    def status(body: dict[str, Any], headers: dict[str, str] = key) -> int:
        return httpx.post(url, json=body, headers=headers).status_code

    assert status(good) == 200
    assert status(good, {}) == 401
    assert status(good, {"x-api-key": "lsv2_other"}) == 403
    for page_size in (0, 1001, "10", True):
        assert status({**good, "page_size": page_size}) == 400
    assert status({**good, "page_size": 1000}) == 200
    assert status({**good, "selects": ["ID", "COLOUR"]}) == 400
    assert status({**good, "project_ids": []}) == 400
    assert status({**good, "project_ids": ["not-a-uuid"]}) == 400
    assert status({**good, "project_ids": [str(uuid.uuid4())]}) == 404
    assert status({k: v for k, v in good.items() if k != "project_ids"}) == 400
    assert status({**good, "min_start_time": "2026-01-01"}) == 400  # RFC 3339 needs the time
    assert status({**good, "min_start_time": "2100-01-02T00:00:00Z"}) == 400  # after max
    assert status({**good, "page": 2}) == 422
    assert status({**good, "filter": 'eq(run_type, "llm")'}) == 422
    first = httpx.post(url, json=good, headers=key).json()
    assert set(first) == {"items", "next_cursor"} and [set(i) for i in first["items"]] == [{"id"}] * 2
    cursor = first["next_cursor"]
    assert status({**good, "cursor": cursor}) == 200
    assert status({**good, "cursor": cursor[:-1] + ("0" if cursor[-1] != "0" else "1")}) == 400
    assert status({**good, "page_size": 3, "cursor": cursor}) == 400  # another query's cursor
    # Without a window the query covers the last day only (as documented): older runs vanish.
    window = {"project_ids": [project_id], "selects": ["ID"]}
    everything = httpx.post(url, json={**good, "page_size": 10}, headers=key).json()["items"]
    last_day = httpx.post(url, json=window, headers=key).json()["items"]
    assert len(everything) == 6 and len(last_day) == 0
    # Without selects a run is only its id.
    assert httpx.post(url, json={**window, "min_start_time": "2000-01-01T00:00:00Z"}, headers=key).json()["items"][0].keys() == {"id"}


# --- interrupted for real: kill -9 --------------------------------------------------------------


def _progress(checkpoint: Path) -> tuple[int, int]:
    """(pages, offset) of a checkpoint; (0, 0) before there is one."""
    try:
        saved = json.loads(checkpoint.read_bytes())
    except (FileNotFoundError, ValueError):
        return 0, 0
    return int(saved["pages"]), int(saved["offset"])


def _kill_when_a_page_is_half_written(
    command: list[str], out: Path, checkpoint: Path, env: dict[str, str], after_pages: int
) -> str:
    """Run the pull; once its checkpoint is past `after_pages` pages, kill -9 it as soon as
    the output holds more than the checkpoint says (a page written in part, the checkpoint
    not yet moved). Returns "torn" if the output still held more than the checkpoint after
    the kill, "clean" if the checkpoint had just moved, "finished" if the pull ended first."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None:
            pages, offset = _progress(checkpoint)
            if pages >= after_pages and out.exists() and out.stat().st_size > offset:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return "torn" if out.stat().st_size > _progress(checkpoint)[1] else "clean"
            time.sleep(0.0005)
        assert process.returncode == 0
        return "finished"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _pull_until_done_killing_mid_page(
    command: list[str], out: Path, checkpoint: Path, env: dict[str, str]
) -> list[str]:
    """Kill -9 the pull in the middle of a page, resume it, again, each resume let through
    one more page, until it finishes; at least one kill must have found a half-written page
    (in practice most do: the window is a batch's conversion, tens of milliseconds)."""
    outcomes: list[str] = []
    while "finished" not in outcomes:
        after = _progress(checkpoint)[0] + 1
        outcomes.append(_kill_when_a_page_is_half_written(command, out, checkpoint, env, after))
    assert "torn" in outcomes, outcomes
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    assert "already complete" in finished.stderr
    return outcomes


def _spans_in(path: Path) -> list[Any]:
    return [r for line in path.read_text().splitlines() for r in decode_json_request(line).records]


def test_kill_9_at_any_moment_and_the_resumed_pull_has_every_run_once(
    fake: FakeLangSmithQuery, tmp_path: Path
) -> None:
    source = agent_traces(2000)
    fake.add_project(PROJECT, source)
    out, checkpoint = tmp_path / "spans.otlp.jsonl", tmp_path / "spans.otlp.jsonl.checkpoint"
    command = [sys.executable, "-m", "otel_runs.cli", "pull", "--endpoint", fake.url,
               "--project", PROJECT, "--to", "otlp-json", "-o", str(out), "--page-size", "1000"]  # fmt: skip
    env = {**os.environ, "LANGSMITH_API_KEY": fake.api_key}

    # Killed while waiting for page 3: the checkpoint is at page 2, the output holds 2 pages.
    held = fake.hold(3)
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(r.page == 3 for r in fake.query_requests()):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    held.set()
    fake.release()
    assert len(_spans_in(out)) == 2000 and _progress(checkpoint) == (2, out.stat().st_size)

    outcomes = _pull_until_done_killing_mid_page(command, out, checkpoint, env)

    spans = _spans_in(out)
    assert len(spans) == len(source), outcomes  # no run twice
    assert len({(s.trace_id, s.span_id) for s in spans}) == len(source)
    assert_same_runs(back_to_runs(spans), source)  # no run missing, each as LangSmith had it
    resumed_at = [r.page for r in fake.query_requests() if r.body.get("cursor") is None]
    assert len(resumed_at) == 1  # every resume went on from a cursor: page 1 was read once


# --- to an OTLP endpoint -----------------------------------------------------------------------


def test_a_project_goes_straight_to_an_otlp_endpoint_and_a_refusal_stops_the_pull(
    fake: FakeLangSmithQuery, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = agent_traces(300)
    fake.add_project(PROJECT, source)
    checkpoint = tmp_path / "to-collector.checkpoint"
    with otlp_collector() as collector:
        command = ("--project", PROJECT, "--to", "otlp-http", collector.url, "--header",
                   "x-backend-key=k1", "--checkpoint", checkpoint, "--page-size", "400")  # fmt: skip
        collector.status = 400  # refuses (not retried by the OTel exporter)
        assert pull(fake, *command) == 1
        assert "did not accept" in capsys.readouterr().err
        assert json.loads(checkpoint.read_text())["pages"] == 0
        collector.status = 200
        assert pull(fake, *command) == 0
        bodies = collector.bodies
        assert all(headers["x-backend-key"] == "k1" for headers, _ in collector.requests)
    refused = 1  # the first request of page 1, sent again on resume
    spans = [r for body in bodies[refused:] for r in decode_request(body).records]
    assert len(spans) == len(source)
    assert_same_runs(back_to_runs(spans), source)


# --- bulk-export Parquet files -----------------------------------------------------------------


def _export(tmp_path: Path, runs: list[dict[str, Any]], *, format_version: str) -> Path:
    """`runs` as a LangSmith bulk export: Hive-partitioned zstd Parquet files with the
    documented columns, JSON columns as text; times naive nanoseconds (the first format) or
    UTC microseconds (`v2_beta`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "bucket" / "prefix"
    tenant, session = "00000000-0000-4000-8000-0000000000aa", "00000000-0000-4000-8000-0000000000bb"
    aware = format_version == "v2_beta"
    time_type = pa.timestamp("us", tz="UTC") if aware else pa.timestamp("ns")

    def when(text: str | None) -> datetime | None:
        if text is None:
            return None
        value = datetime.fromisoformat(text)
        return value if aware else value.astimezone(timezone.utc).replace(tzinfo=None)

    def text(value: Any) -> str | None:
        return None if value is None else json.dumps(value)

    columns: dict[str, tuple[Any, Any]] = {
        "id": (pa.string(), lambda r: r["id"]),
        "tenant_id": (pa.string(), lambda r: tenant),
        "session_id": (pa.string(), lambda r: session),
        "trace_id": (pa.string(), lambda r: r["trace_id"]),
        "parent_run_id": (pa.string(), lambda r: r.get("parent_run_id")),
        "parent_run_ids": (pa.list_(pa.string()), lambda r: [r["parent_run_id"]] if r.get("parent_run_id") else []),
        "reference_example_id": (pa.string(), lambda r: None),
        "name": (pa.string(), lambda r: r["name"]),
        "run_type": (pa.string(), lambda r: r["run_type"]),
        "start_time": (time_type, lambda r: when(r["start_time"])),
        "end_time": (time_type, lambda r: when(r.get("end_time"))),
        "status": (pa.string(), lambda r: r["status"]),
        "is_root": (pa.bool_(), lambda r: not r.get("parent_run_id")),
        "dotted_order": (pa.string(), lambda r: r["dotted_order"]),
        "trace_tier": (pa.string(), lambda r: "longlived"),
        "inputs": (pa.string(), lambda r: text(r.get("inputs"))),
        "outputs": (pa.string(), lambda r: text(r.get("outputs"))),
        "error": (pa.string(), lambda r: r.get("error")),
        "extra": (pa.string(), lambda r: text(r.get("extra"))),
        "events": (pa.string(), lambda r: text(r.get("events") or [])),
        "tags": (pa.list_(pa.string()), lambda r: r.get("tags") or []),
        "feedback_stats": (pa.string(), lambda r: text(r.get("feedback_stats"))),
        "total_tokens": (pa.int64(), lambda r: r.get("total_tokens")),
        "prompt_tokens": (pa.int64(), lambda r: r.get("prompt_tokens")),
        "completion_tokens": (pa.int64(), lambda r: r.get("completion_tokens")),
        "total_cost": (pa.float64(), lambda r: None if r.get("total_cost") is None else float(r["total_cost"])),
        "prompt_cost": (pa.float64(), lambda r: None if r.get("prompt_cost") is None else float(r["prompt_cost"])),
        "completion_cost": (pa.float64(), lambda r: None if r.get("completion_cost") is None else float(r["completion_cost"])),
        "first_token_time": (time_type, lambda r: when(r.get("first_token_time"))),
    }
    runs_dir = "resource=runs" if aware else "runs"
    by_day: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        began = datetime.fromisoformat(run["start_time"])
        by_day.setdefault(f"year={began.year}/month={began.month}/day={began.day}", []).append(run)
    for day, day_runs in by_day.items():
        folder = root / "export_id=e1" / f"tenant_id={tenant}" / f"session_id={session}" / runs_dir / day
        folder.mkdir(parents=True)
        for part in range(2):  # two files a day, several row groups each
            chunk = day_runs[part::2]
            table = pa.table({name: pa.array([get(r) for r in chunk], type=kind)
                              for name, (kind, get) in columns.items()})  # fmt: skip
            pq.write_table(table, folder / f"part-{part:04d}.parquet", compression="zstd",
                           row_group_size=70)  # fmt: skip
    (root / "tmp").mkdir()
    (root / "tmp" / "check.parquet").write_bytes(b"written by the destination check")
    (root / "export_id=e1" / "_SUCCESS").write_bytes(b"")
    return root


@pytest.mark.parametrize("format_version", ["v1", "v2_beta"])
def test_bulk_export_parquet_files_become_the_runs_langsmith_exported(
    tmp_path: Path, format_version: str
) -> None:
    source = agent_traces(150, start=datetime(2026, 3, 2, 23, 59, tzinfo=timezone.utc))  # two days
    root = _export(tmp_path, source, format_version=format_version)
    out = tmp_path / "runs.jsonl"

    assert main(["pull", "--parquet", str(root), "-o", str(out), "--page-size", "100"]) == 0

    got = [Run.from_dict(line) for line in lines(out)]
    assert_same_runs(got, source)
    assert {run.session_id for run in got} == {"00000000-0000-4000-8000-0000000000bb"}
    assert {run.unmapped["tenant_id"] for run in got} == {"00000000-0000-4000-8000-0000000000aa"}
    assert {run.unmapped["trace_tier"] for run in got} == {"longlived"}


def test_a_parquet_file_with_a_bad_row_reports_it_and_pulls_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "one.parquet"
    good = agent_traces(1)[0]
    table = pa.table({
        "id": [good["id"], good["id"][:-1] + "0"],
        "name": ["agent", "agent"],
        "run_type": ["chain", "chain"],
        "start_time": [good["start_time"]] * 2,
        "dotted_order": [good["dotted_order"], None],
        "inputs": [json.dumps(good["inputs"]), "{not json"],
    })  # fmt: skip
    pq.write_table(table, path)
    out = tmp_path / "runs.jsonl"
    assert main(["pull", "--parquet", str(path), "-o", str(out)]) == 1
    assert "otel-runs pull: one.parquet: row 1: field 'inputs'" in capsys.readouterr().err
    assert [line["id"] for line in lines(out)] == [good["id"]]


def test_kill_9_during_a_parquet_pull_and_the_resumed_pull_has_every_run_once(
    tmp_path: Path
) -> None:
    source = agent_traces(2000)
    root = _export(tmp_path, source, format_version="v1")
    out = tmp_path / "runs.jsonl"
    command = [sys.executable, "-m", "otel_runs.cli", "pull", "--parquet", str(root),
               "-o", str(out), "--to", "runs", "--page-size", "1000"]  # fmt: skip

    _pull_until_done_killing_mid_page(command, out, tmp_path / "runs.jsonl.checkpoint", dict(os.environ))

    got = [Run.from_dict(line) for line in lines(out)]
    assert len(got) == len(source)
    assert_same_runs(got, source)
