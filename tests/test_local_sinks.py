"""The local stores: a real SQLite file and a JSONL file, fed runs converted from real SDK spans."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from otel_runs import Run
from otel_runs.errors import StoreError
from otel_runs.sinks import RunSink, SinkResult
from otel_runs.sinks._sqlite_schema import SCHEMA_VERSION, describe
from otel_runs.sinks.jsonl import BadLine, JsonlSink, read_jsonl
from otel_runs.sinks.sqlite import (
    SqliteSink,
    TraceSummary,
    default_store_path,
    list_traces,
    read_runs,
)
from tests.support.agent_spans import PROJECT, agent_runs


@contextmanager
def database(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        yield conn


def by_trace(runs: list[Run]) -> dict[str, list[Run]]:
    traces: dict[str, list[Run]] = {}
    for run in runs:
        traces.setdefault(str(run.trace_id), []).append(run)
    return traces


# --- SQLite ----------------------------------------------------------------------------------


def test_sqlite_round_trip_gives_the_runs_written(tmp_path: Path) -> None:
    runs = agent_runs(2)
    assert any(run.total_tokens for run in runs) and any(run.total_cost for run in runs)
    path = tmp_path / "runs.sqlite"
    sink = SqliteSink(path)
    assert isinstance(sink, RunSink)
    assert not path.exists(), "the file is created on first use, not by the constructor"

    assert sink.write(list(reversed(runs))) == SinkResult(stored=10)
    sink.close()

    back = read_runs(path)
    assert back == runs  # dotted_order order, every field and unmapped equal
    assert [run.to_dict() for run in back] == [run.to_dict() for run in runs]
    assert all(run.unmapped == {"session_name": PROJECT} for run in back)

    first = str(runs[0].trace_id)
    assert read_runs(path, trace_id=first) == by_trace(runs)[first]
    assert read_runs(path, trace_id=runs[0].trace_id, limit=2) == runs[:2]
    assert read_runs(path, limit=0) == []
    assert read_runs(path, trace_id="00000000-0000-0000-0000-0000000000ff") == []


def test_sqlite_columns_and_data_json(tmp_path: Path) -> None:
    runs = agent_runs(1)
    path = tmp_path / "runs.sqlite"
    SqliteSink(path).write(runs)
    with database(path) as conn:
        rows = conn.execute(
            "SELECT id, trace_id, dotted_order, parent_run_id, name, run_type, start_time,"
            " status, project, data FROM runs ORDER BY dotted_order"
        ).fetchall()
    assert len(rows) == len(runs)
    for row, run in zip(rows, runs, strict=True):
        expected = run.to_dict()
        assert row[:8] == tuple(
            expected[key]
            for key in ("id", "trace_id", "dotted_order", "parent_run_id", "name", "run_type",
                        "start_time", "status")
        )  # fmt: skip
        assert row[8] == PROJECT
        # The data column is run JSON that Run.from_dict reads back as the same run.
        again = Run.from_dict(json.loads(row[9]))
        assert again.to_dict() == expected
        assert again.unmapped == run.unmapped
    statuses = {row[4]: row[7] for row in rows}
    assert statuses["get_forecast"] == "error"


def test_sqlite_upsert_counts_resent_runs_as_duplicates(tmp_path: Path) -> None:
    runs = agent_runs(1)
    path = tmp_path / "runs.sqlite"
    sink = SqliteSink(path)
    assert sink.write(runs[:2]) == SinkResult(stored=2)

    resent = agent_runs(1)
    resent[1].name = "renamed on resend"
    resent[1].total_cost = Decimal("1.5")
    assert sink.write(resent) == SinkResult(stored=3, duplicates=2)
    assert sink.write([resent[0], resent[0]]) == SinkResult(duplicates=2)
    sink.close()

    back = read_runs(path)
    assert len(back) == len(runs)
    assert back[1].name == "renamed on resend"
    assert back[1].total_cost == Decimal("1.5")
    with database(path) as conn:
        assert conn.execute(
            "SELECT name FROM runs WHERE id = ?", (str(runs[1].id),)
        ).fetchall() == [("renamed on resend",)]


def test_sqlite_duplicates_inside_one_batch(tmp_path: Path) -> None:
    run = agent_runs(1)[0]
    sink = SqliteSink(tmp_path / "runs.sqlite")
    assert sink.write([run, run]) == SinkResult(stored=1, duplicates=1)
    assert sink.write([]) == SinkResult()
    sink.close()


def test_sqlite_write_in_two_halves_commits_on_another_thread_and_holds_other_writes(
    tmp_path: Path,
) -> None:
    runs = agent_runs(2)
    path = tmp_path / "runs.sqlite"
    sink = SqliteSink(path)
    commit = sink.start_write(runs[:5])  # inserted, not committed
    assert read_runs(path) == [], "readers see nothing before the commit"
    other: list[SinkResult] = []
    writer = threading.Thread(target=lambda: other.append(sink.write(runs[5:])))
    writer.start()
    writer.join(0.3)
    assert writer.is_alive() and other == [], "another write waits for the commit"
    answers: list[SinkResult] = []
    committer = threading.Thread(target=lambda: answers.append(commit()))
    committer.start()
    committer.join(10)
    writer.join(10)
    assert answers == [SinkResult(stored=5)] and other == [SinkResult(stored=5)]
    assert read_runs(path) == runs
    assert sink.start_write(runs[:1])() == SinkResult(duplicates=1)
    sink.close()
    assert sink.start_write(runs[:1])().error == f"{sink!r} is closed"


def test_sqlite_write_in_two_halves_answers_a_failed_first_half_from_the_second(
    tmp_path: Path,
) -> None:
    runs = agent_runs(1)
    path = tmp_path / "not-yet" / "runs.sqlite"
    sink = SqliteSink(path)
    commit = sink.start_write(runs)  # cannot open the store: nothing to commit
    result = commit()
    assert result.failed == 5 and result.retry == tuple(str(run.id) for run in runs)
    path.parent.mkdir()
    assert sink.write(runs) == SinkResult(stored=5), "the lock was given back"
    sink.close()


def test_sqlite_wal_mode_and_schema_created_once(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    runs = agent_runs(2)
    first = SqliteSink(path)
    first.write(runs[:5])
    with database(path) as conn:
        schema_before = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    second = SqliteSink(path)
    assert second.write(runs[5:]) == SinkResult(stored=5)
    first.close()
    second.close()

    with database(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall() == schema_before
        indexes = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    # (that the readers and the writer go through them: test_store_layouts.py)
    assert {"runs_by_id", "runs_by_trace", "runs_by_start"} <= indexes
    assert len(read_runs(path)) == 10


def test_sqlite_concurrent_writers_and_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    runs = agent_runs(8)
    traces = list(by_trace(runs).values())
    shared = SqliteSink(path)
    sinks = [shared, shared, SqliteSink(path), SqliteSink(path)]
    results: list[SinkResult] = []
    problems: list[BaseException] = []
    done = threading.Event()
    seen: list[int] = []

    def writer(index: int) -> None:
        try:
            for trace in traces[index::4]:
                for run in trace:  # one transaction per run: many interleavings
                    results.append(sinks[index].write([run]))
        except BaseException as exc:
            problems.append(exc)

    def reader() -> None:
        try:
            while not done.is_set():
                seen.append(len(read_runs(path)))
                list_traces(path, limit=3)
        except BaseException as exc:
            problems.append(exc)

    shared.write(traces[0][:1])  # the file exists before the reader starts
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    for sink in sinks:
        sink.close()

    assert problems == []
    assert all(result.ok for result in results), [r.error for r in results if not r.ok]
    assert sum(r.stored for r in results) == len(runs) - 1
    assert sum(r.duplicates for r in results) == 1
    assert seen and seen == sorted(seen), "a reader never sees runs disappear"
    assert sorted(read_runs(path), key=lambda r: r.dotted_order) == runs


def test_list_traces_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    runs = agent_runs(3)
    SqliteSink(path).write(runs)
    roots = [run for run in runs if run.parent_run_id is None]
    expected = [
        TraceSummary(root.trace_id, root.name, root.start_time, 5) for root in reversed(roots)
    ]
    assert list_traces(path, limit=10) == expected
    assert list_traces(path) == expected
    assert list_traces(path, limit=1) == expected[:1]
    assert expected[0].name == "weather agent 2"


def test_sqlite_missing_directory_is_a_sink_result_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "not-yet" / "runs.sqlite"
    runs = agent_runs(1)
    sink = SqliteSink(path)
    result = sink.write(runs)
    ids = tuple(str(run.id) for run in runs)  # handed back for a retry: the store may come
    assert result == SinkResult(failed=5, error=result.error, retry=ids)
    assert not result.ok
    assert result.error == f"cannot open run store {path}: directory {path.parent} does not exist"

    path.parent.mkdir()
    assert sink.write(runs) == SinkResult(stored=5), "a later write retries the open"
    sink.close()


def test_sqlite_locked_store_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    runs = agent_runs(1)
    SqliteSink(path).write(runs[:1])
    sink = SqliteSink(path, timeout=0.05)
    with database(path) as other:
        other.execute("BEGIN EXCLUSIVE")
        result = sink.write(runs[1:])
        other.execute("ROLLBACK")
    assert result.failed == 4 and result.stored == 0
    assert result.error == f"run store {path} is locked by another connection (waited 0.05 s)"
    # transient: every run is handed back for a retry (a receiver must not drop them)
    assert sorted(result.retry) == sorted(str(run.id) for run in runs[1:])
    assert sink.write(runs[1:]) == SinkResult(stored=4)
    sink.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_sqlite_readonly_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    runs = agent_runs(1)
    SqliteSink(path).write(runs[:1])
    path.chmod(0o444)
    result = SqliteSink(path).write(runs[1:])
    assert result.failed == 4
    assert result.error is not None and "read-only" in result.error


def test_readonly_error_wording(tmp_path: Path) -> None:
    # The real error SQLite raises for a write it may not do (works as root, unlike chmod).
    path = tmp_path / "runs.sqlite"
    with database(path) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("PRAGMA query_only = ON")
        with pytest.raises(sqlite3.OperationalError) as caught:
            conn.execute("INSERT INTO t VALUES (1)")
    assert describe(caught.value, path, 5) == (
        f"run store {path} is read-only (attempt to write a readonly database)"
    )


def test_sqlite_closed_sink_and_unencodable_run(tmp_path: Path) -> None:
    runs = agent_runs(1)
    runs[2].inputs = {"handle": object()}
    sink = SqliteSink(tmp_path / "runs.sqlite")
    result = sink.write(runs)
    assert (result.stored, result.duplicates, result.failed) == (4, 0, 1)
    assert result.error is not None and str(runs[2].id) in result.error
    sink.close()
    sink.close()
    assert sink.write(runs[:1]) == SinkResult(failed=1, error=f"{sink!r} is closed")


def test_sqlite_stores_what_the_fast_json_writer_refuses(tmp_path: Path) -> None:
    """Values orjson cannot write (a lone surrogate, an integer past 64 bits, a non-string key)
    still go in through the standard library and come back; NaN is stored as null. A lone
    surrogate in a name used to fail the whole write (SQLite takes only UTF-8)."""
    runs = agent_runs(1)
    odd: dict[Any, Any] = {"text": "half a pair: \ud800", "big": 2**70, 7: "int key"}
    runs[1].inputs = odd
    runs[2].outputs = {"score": float("nan")}
    runs[3].name = "a span name with \udc80 in it"  # an app can name a span anything
    path = tmp_path / "runs.sqlite"
    sink = SqliteSink(path)
    assert sink.write(runs) == SinkResult(stored=len(runs))
    sink.close()
    back = {run.id: run for run in read_runs(path)}
    assert back[runs[1].id].inputs == {"text": "half a pair: \ud800", "big": 2**70, "7": "int key"}
    assert back[runs[2].id].outputs == {"score": None}
    assert back[runs[3].id].name == "a span name with \udc80 in it"


def test_sqlite_writes_non_text_keys_with_orjson(tmp_path: Path) -> None:
    """A dict key that is not text (an integer an app put in metadata) is written by orjson
    with its non-text-keys option (asked for only when the plain call refuses), not by the
    standard library: NaN beside it is still stored as null."""
    runs = agent_runs(1)
    keyed: dict[Any, Any] = {7: "int key", "score": float("nan")}
    runs[1].inputs = keyed
    path = tmp_path / "runs.sqlite"
    sink = SqliteSink(path)
    assert sink.write(runs) == SinkResult(stored=len(runs))
    sink.close()
    back = {run.id: run for run in read_runs(path)}
    assert back[runs[1].id].inputs == {"7": "int key", "score": None}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "no run store at {path}", id="missing"),
        pytest.param(b"id,name\n1,x\n" * 100, "is not a usable SQLite database", id="not-sqlite"),
        pytest.param("CREATE TABLE other (x)", "is not an otel-runs store", id="foreign-sqlite"),
        pytest.param("UPDATE schema_version SET version = 99", "has store schema 99", id="newer"),
    ],
)  # fmt: skip
def test_reading_a_bad_store_raises_store_error(
    tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / "runs.sqlite"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        if "schema_version" in content:
            SqliteSink(path).write(agent_runs(1))
        with database(path) as conn:
            conn.execute(content)
    for read in (lambda: read_runs(path), lambda: list_traces(path)):
        with pytest.raises(StoreError, match=message.format(path=path).replace(".", r"\.")):
            read()


def test_default_store_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OTEL_RUNS_STORE", raising=False)
    assert default_store_path() == tmp_path / "otel-runs.sqlite"
    monkeypatch.setenv("OTEL_RUNS_STORE", "  ")
    assert default_store_path() == tmp_path / "otel-runs.sqlite"
    monkeypatch.setenv("OTEL_RUNS_STORE", str(tmp_path / "elsewhere.db"))
    assert default_store_path() == tmp_path / "elsewhere.db"
    assert SqliteSink().path == tmp_path / "elsewhere.db"
    monkeypatch.setenv("OTEL_RUNS_STORE", "~/runs.db")
    assert default_store_path() == Path.home() / "runs.db"


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_round_trip_writes_exactly_to_dict(tmp_path: Path) -> None:
    runs = agent_runs(2)
    path = tmp_path / "runs.jsonl"
    sink = JsonlSink(path)
    assert isinstance(sink, RunSink)
    assert sink.write(runs[:3]) == SinkResult(stored=3)
    assert path.read_bytes().count(b"\n") == 3, "flushed when write returns"
    assert sink.write(runs[3:]) == SinkResult(stored=7)
    sink.close()

    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [run.to_dict() for run in runs]
    found = read_jsonl(path)
    assert found.bad_lines == []
    assert [run.to_dict() for run in found.runs] == [run.to_dict() for run in runs]
    assert all(run.unmapped == {} for run in found.runs), "unmapped is not part of the export"


def test_jsonl_bad_lines_are_reported_with_numbers(tmp_path: Path) -> None:
    runs = agent_runs(1)
    path = tmp_path / "runs.jsonl"
    good = [json.dumps(run.to_dict()) for run in runs]
    path.write_bytes(
        "\n".join(
            [good[0], "not json", "", '{"id": "nope", "name": "x"}', "[1, 2]", good[1]]
        ).encode()
        + b"\n\xff\xfe\n"
        + good[2].encode()
        + b"\n"
    )
    found = read_jsonl(path)
    assert [run.to_dict() for run in found.runs] == [run.to_dict() for run in runs[:3]]
    assert [bad.line for bad in found.bad_lines] == [2, 4, 5, 7]
    assert str(found.bad_lines[1]).startswith("line 4: field 'id'")
    assert "must be a JSON object" in found.bad_lines[2].reason
    assert isinstance(found.bad_lines[0], BadLine)


def test_jsonl_appends_after_a_torn_line(tmp_path: Path) -> None:
    runs = agent_runs(1)
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(runs[0].to_dict()) + "\n" + '{"id": "00000000-', encoding="utf-8")
    sink = JsonlSink(path)
    assert sink.write(runs[1:]) == SinkResult(stored=4)
    sink.close()
    found = read_jsonl(path)
    assert [bad.line for bad in found.bad_lines] == [2]
    assert [run.id for run in found.runs] == [run.id for run in runs]


def test_jsonl_concurrent_writers(tmp_path: Path) -> None:
    runs = agent_runs(8)
    path = tmp_path / "runs.jsonl"
    sink = JsonlSink(path)
    traces = list(by_trace(runs).values())
    threads = [threading.Thread(target=sink.write, args=(trace,)) for trace in traces]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sink.close()
    found = read_jsonl(path)
    assert found.bad_lines == []
    assert sorted(run.dotted_order for run in found.runs) == [run.dotted_order for run in runs]
    for trace in by_trace(found.runs).values():
        assert [run.dotted_order for run in trace] == sorted(run.dotted_order for run in trace)


def test_jsonl_writes_what_the_fast_json_writer_refuses(tmp_path: Path) -> None:
    """A lone surrogate (once a failed run) is written as an escape and read back; NaN is
    written as null, which every JSON reader takes."""
    runs = agent_runs(1)
    runs[1].inputs = {"text": "half a pair: \ud800", "big": 2**70}
    runs[2].outputs = {"score": float("nan")}
    path = tmp_path / "runs.jsonl"
    sink = JsonlSink(path)
    assert sink.write(runs) == SinkResult(stored=len(runs))
    sink.close()
    back = {run.id: run for run in read_jsonl(path).runs}
    assert back[runs[1].id].inputs == {"text": "half a pair: \ud800", "big": 2**70}
    assert back[runs[2].id].outputs == {"score": None}


def test_jsonl_errors(tmp_path: Path) -> None:
    runs = agent_runs(1)
    path = tmp_path / "missing" / "runs.jsonl"
    result = JsonlSink(path).write(runs)
    assert result == SinkResult(
        failed=5, error=f"cannot open {path}: directory {path.parent} does not exist"
    )
    with pytest.raises(StoreError, match="does not exist"):
        read_jsonl(path)
    with pytest.raises(StoreError, match="no JSONL file at"):
        read_jsonl(tmp_path / "absent.jsonl")

    runs[0].outputs = {"value": {1, 2}}
    sink = JsonlSink(tmp_path / "ok.jsonl")
    result = sink.write(runs)
    assert (result.stored, result.failed) == (4, 1)
    assert result.error is not None and str(runs[0].id) in result.error
    sink.close()
    assert sink.write(runs).failed == 5


def test_sqlite_sink_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    runs = agent_runs(1)
    SqliteSink(path).write(runs[:1])
    with database(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    result = SqliteSink(path).write(runs)
    assert result == SinkResult(
        failed=5,
        error=f"{path} has store schema {SCHEMA_VERSION + 1};"
        f" this otel-runs reads up to {SCHEMA_VERSION}",
    )
