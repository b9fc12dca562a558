"""The SQLite store's two layouts: schema 3 (new stores) finds runs and traces by the last 8
characters of their ids; schema 2 (stores made before) by whole ids. Both are written and read
by the same code, through their own indexes, with the same answers; `otel-runs upgrade-store`
takes a store from 2 to 3, under a writer already connected too."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from otel_runs import Run
from otel_runs.cli import main
from otel_runs.errors import StoreError
from otel_runs.sinks import SinkResult
from otel_runs.sinks import _sqlite_schema as schema
from otel_runs.sinks.sqlite import SqliteSink, list_traces, read_runs, upgrade_store
from tests.support.agent_spans import agent_runs

_SCHEMA_2_RUNS = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE runs (
        id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, dotted_order TEXT NOT NULL,
        parent_run_id TEXT, name TEXT NOT NULL, run_type TEXT NOT NULL,
        start_time TEXT NOT NULL, status TEXT, project TEXT, data TEXT NOT NULL
    )""",
    "CREATE INDEX runs_by_trace ON runs (trace_id)",
    "CREATE INDEX runs_by_start ON runs (start_time)",
)
"""The runs table of a store made before schema 3 (as otel-runs wrote it until 2026-12-04)."""


def _store(tmp_path: Path, layout: str) -> Path:
    path = tmp_path / "runs.sqlite"
    if layout == "schema 2":
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            for statement in (*_SCHEMA_2_RUNS, *schema._SCHEMA_2):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (2)")
    return path


def _version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])


def _twins(runs: list[Run]) -> list[Run]:
    """The runs again under other ids that end in the same 8 characters (so the same keys)."""
    text = json.dumps([run.to_dict() for run in runs])
    return [Run.from_dict(item) for item in json.loads(text.replace("00000000-", "0000abcd-"))]


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement the store's connections run, with their parameters in place."""
    seen: list[str] = []
    connect = schema.connect

    def recording(
        path: Path, *, timeout: float, readonly: bool, synced: bool = False
    ) -> sqlite3.Connection:
        conn = connect(path, timeout=timeout, readonly=readonly, synced=synced)
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(schema, "connect", recording)
    yield seen


@pytest.mark.parametrize("layout", ["schema 3", "schema 2"])
def test_both_layouts_store_and_read_the_same_runs(
    tmp_path: Path, layout: str, statements: list[str]
) -> None:
    path = _store(tmp_path, layout)
    runs = agent_runs(3)
    sink = SqliteSink(path)
    assert sink.write(runs[:7]) == SinkResult(stored=7)
    renamed = agent_runs(3)
    renamed[2].name = "renamed on resend"
    # 7 resent (one of them three times in this write), 3 new
    assert sink.write([renamed[2], *renamed[:10], renamed[2]]) == SinkResult(stored=3, duplicates=9)
    assert sink.write(runs[10:]) == SinkResult(stored=5)
    sink.close()

    assert _version(path) == (3 if layout == "schema 3" else 2)
    back = read_runs(path)
    assert [run.id for run in back] == sorted(
        (run.id for run in runs), key=lambda i: next(r.dotted_order for r in runs if r.id == i)
    )
    assert next(run for run in back if run.id == runs[2].id).name == "renamed on resend"
    for trace_id in {run.trace_id for run in runs}:
        wanted = sorted(
            (r for r in renamed if r.trace_id == trace_id), key=lambda r: r.dotted_order
        )
        assert [r.to_dict() for r in read_runs(path, trace_id=trace_id)] == [
            r.to_dict() for r in wanted
        ]
    assert [trace.run_count for trace in list_traces(path)] == [5, 5, 5]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM runs").fetchone() == (15, 15)
        _assert_indexed(conn, statements)


def _assert_indexed(conn: sqlite3.Connection, statements: list[str], *, least: int = 8) -> None:
    """Every statement that looks runs up went through an index, none read the whole table."""
    checked = 0
    for statement in statements:
        text = " ".join(statement.split())
        if " JOIN runs ON " in text:  # list_traces: every run grouped, then each root found
            plan = _plan(conn, text)
            assert "SEARCH runs USING INDEX runs_by_trace" in plan, (text, plan)
            checked += 1
        elif "FROM runs WHERE" in text or text.startswith("UPDATE runs"):
            plan = _plan(conn, text)
            assert "SEARCH runs USING" in plan and "SCAN runs" not in plan, (text, plan)
            checked += 1
    assert checked >= least  # (by default: three writes' lookups, an update, 3 traces, the list)


def _plan(conn: sqlite3.Connection, statement: str) -> str:
    rows: list[Any] = conn.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    return "; ".join(str(row[-1]) for row in rows)


def test_runs_whose_ids_share_their_keys_stay_apart(tmp_path: Path) -> None:
    runs = agent_runs(2)
    twins = _twins(runs)
    assert {str(r.id)[-8:] for r in runs} == {str(r.id)[-8:] for r in twins}
    path = tmp_path / "runs.sqlite"
    sink = SqliteSink(path)
    assert sink.write(runs) == SinkResult(stored=10)
    assert sink.write(twins) == SinkResult(stored=10)
    twins[0].name = "the twin, renamed"
    assert sink.write(twins[:1]) == SinkResult(duplicates=1)
    sink.close()

    assert len(read_runs(path)) == 20
    for original in {run.trace_id for run in runs}:
        assert {r.id for r in read_runs(path, trace_id=original)} == {
            r.id for r in runs if r.trace_id == original
        }
    [renamed] = [
        run
        for run in read_runs(path, trace_id=twins[0].trace_id)
        if run.name.startswith("the twin")
    ]
    assert renamed.id == twins[0].id
    assert runs[0].name != "the twin, renamed"
    assert sorted(str(t.trace_id) for t in list_traces(path)) == sorted(
        str(r.trace_id) for r in (*runs, *twins) if r.parent_run_id is None
    )
    assert {t.run_count for t in list_traces(path)} == {5}


def _everything(path: Path) -> tuple[object, ...]:
    """What the readers answer about a store: every run, each trace's runs, the trace list."""
    runs = read_runs(path)
    traces = {
        str(trace_id): [run.to_dict() for run in read_runs(path, trace_id=trace_id)]
        for trace_id in {run.trace_id for run in runs}
    }
    return [run.to_dict() for run in runs], traces, list_traces(path)


def test_upgrade_store_rewrites_a_schema_2_store_in_schema_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _store(tmp_path, "schema 2")
    sink = SqliteSink(path)
    assert sink.write(agent_runs(3)) == SinkResult(stored=15)
    sink.close()
    before = _everything(path)

    assert main(["upgrade-store", "--store", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: schema 2 -> 3 (15 runs)\n"
    assert _version(path) == 3
    with closing(sqlite3.connect(path)) as conn:
        made = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'runs'"))
    fresh = tmp_path / "fresh.sqlite"
    SqliteSink(fresh).write(agent_runs(1))
    with closing(sqlite3.connect(fresh)) as conn:
        new = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'runs'"))
    made["runs"] = made["runs"].replace('"runs"', "runs", 1)  # (how ALTER TABLE RENAME puts it)
    assert made == new  # the same table and indexes as a store made new (no whole-id index)
    assert _everything(path) == before

    assert upgrade_store(path) == (3, 0)
    assert main(["upgrade-store", "--store", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: already schema 3\n"


def test_a_writer_open_during_an_upgrade_follows_the_new_layout(
    tmp_path: Path, statements: list[str]
) -> None:
    path = _store(tmp_path, "schema 2")
    runs = agent_runs(2)
    sink = SqliteSink(path)
    assert sink.write(runs[:5]) == SinkResult(stored=5)  # connected to a schema 2 store
    assert upgrade_store(path) == (2, 5)
    statements.clear()
    assert sink.write(runs) == SinkResult(stored=5, duplicates=5)
    sink.close()
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM runs").fetchone() == (10, 10)
        _assert_indexed(conn, statements, least=2)  # its lookup and its update


def test_upgrade_store_refuses_what_is_not_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StoreError, match="no run store at"):
        upgrade_store(tmp_path / "missing.sqlite")
    other = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    assert main(["upgrade-store", "--store", str(other)]) == 1
    assert "is not an otel-runs store" in capsys.readouterr().err
    with closing(sqlite3.connect(other)) as conn:
        assert [name for (name,) in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_upgrade_store_takes_a_schema_1_store_through_2(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    runs = agent_runs(1)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for statement in _SCHEMA_2_RUNS:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.executemany(schema.INSERT, [schema.encode(run).row for run in runs])
    assert upgrade_store(path) == (1, 5)
    assert _version(path) == 3
    assert [run.to_dict() for run in read_runs(path)] == [run.to_dict() for run in runs]
    with closing(sqlite3.connect(path)) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert {"attachments", "feedback", "runs_by_id"} <= tables
