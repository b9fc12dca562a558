"""The `otel-runs` command line over a real SQLite store of runs converted from real SDK spans."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from otel_runs import Run, render_tree
from otel_runs.cli import main
from otel_runs.sinks.sqlite import SqliteSink, read_runs
from tests.support.agent_spans import agent_runs

SCRIPT = Path(sys.executable).with_name("otel-runs")


@pytest.fixture
def runs() -> list[Run]:
    return agent_runs(3)


@pytest.fixture
def store(tmp_path: Path, runs: list[Run]) -> Path:
    path = tmp_path / "runs.sqlite"
    sink = SqliteSink(path)
    assert sink.write(runs).ok
    sink.close()
    return path


def trace_runs(runs: list[Run], name: str) -> list[Run]:
    root = next(run for run in runs if run.name == name)
    return [run for run in runs if run.trace_id == root.trace_id]


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("otel-runs: error: ")
    return lines[0]


def test_tree_draws_the_most_recent_trace(
    store: Path, runs: list[Run], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tree", "--store", str(store)]) == 0
    out, err = capsys.readouterr()
    latest = trace_runs(runs, "weather agent 2")
    assert out == render_tree(latest) + "\n"
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"trace {latest[0].trace_id}"
    assert lines[1].startswith("  weather agent 2 [chain]  120 ms  395 tok (320 in / 75 out)  $")
    assert lines[2].startswith("  ├─ chat gpt-4o-mini [llm]  40 ms  150 tok (120 in / 30 out)  $")
    assert lines[4] == "  ├─ get_forecast [tool]  5.0 ms  ERROR get_forecast is down"
    assert len(lines) == 6


def test_tree_of_a_given_trace_and_of_all(
    store: Path, runs: list[Run], capsys: pytest.CaptureFixture[str]
) -> None:
    first = trace_runs(runs, "weather agent 0")
    assert main(["tree", str(first[0].trace_id), "--store", str(store)]) == 0
    assert capsys.readouterr().out == render_tree(first) + "\n"

    assert main(["tree", "--all", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out == render_tree(runs) + "\n"
    assert [line for line in out.splitlines() if line.startswith("trace ")] == [
        f"trace {run.trace_id}" for run in runs if run.parent_run_id is None
    ]


def test_tree_reads_the_default_store(
    store: Path,
    runs: list[Run],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OTEL_RUNS_STORE", str(store))
    assert main(["tree"]) == 0
    assert "weather agent 2 [chain]" in capsys.readouterr().out

    monkeypatch.delenv("OTEL_RUNS_STORE")
    monkeypatch.chdir(store.parent)
    store.rename(store.parent / "otel-runs.sqlite")
    assert main(["tree", "--all"]) == 0
    assert capsys.readouterr().out == render_tree(runs) + "\n"


def test_tree_failures_are_one_line_and_exit_1(
    tmp_path: Path,
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "nope.sqlite"
    assert main(["tree", "--store", str(missing)]) == 1
    assert one_error_line(capsys.readouterr().err) == f"otel-runs: error: no run store at {missing}"

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OTEL_RUNS_STORE", raising=False)
    assert main(["tree"]) == 1
    assert one_error_line(capsys.readouterr().err) == (
        f"otel-runs: error: no run store at {tmp_path / 'otel-runs.sqlite'}"
        " (give --store PATH or set OTEL_RUNS_STORE)"
    )

    unknown = "00000000-0000-0000-0000-0000000000ff"
    assert main(["tree", unknown, "--store", str(store)]) == 1
    assert one_error_line(capsys.readouterr().err) == (
        f"otel-runs: error: no trace {unknown} in {store}"
    )

    empty = tmp_path / "empty.sqlite"
    SqliteSink(empty).write(agent_runs(1)[:1])
    with closing(sqlite3.connect(empty, isolation_level=None)) as conn:
        conn.execute("DELETE FROM runs")
    for argv in (["tree"], ["tree", "--all"]):
        assert main([*argv, "--store", str(empty)]) == 1
        assert one_error_line(capsys.readouterr().err) == f"otel-runs: error: no traces in {empty}"

    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database, just text " * 200)
    assert main(["tree", "--store", str(garbage)]) == 1
    assert "is not a usable SQLite database" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["tree", "not-a-uuid"], id="bad-trace-id"),
        pytest.param(["tree", "--all", "00000000-0000-0000-0000-000000000001"], id="all-and-id"),
        pytest.param(["runs", "--limit", "-3"], id="negative-limit"),
        pytest.param([], id="no-command"),
        pytest.param(["frobnicate"], id="unknown-command"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: otel-runs")
    assert "Traceback" not in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("tree", "runs", "traces"))


def test_runs_json_lines_in_dotted_order(
    store: Path, runs: list[Run], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "--store", str(store), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines == [run.to_dict() for run in runs]
    assert [line["dotted_order"] for line in lines] == sorted(
        line["dotted_order"] for line in lines
    )

    first = trace_runs(runs, "weather agent 1")
    argv = ["runs", "--store", str(store), "--trace", str(first[0].trace_id), "--limit", "3"]
    assert main([*argv, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [run.to_dict() for run in first[:3]]

    assert main(argv) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 3
    assert text[0].endswith(f"{first[0].id}  chain      success  weather agent 1")
    assert text[1].endswith("  llm        success    chat gpt-4o-mini")


def test_traces_lists_newest_first(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "--store", str(store), "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("   5 runs  weather agent 2")
    assert lines[1].endswith("   5 runs  weather agent 1")
    assert lines[1].startswith("2025-11-22 08:26:41  ")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([str(SCRIPT)], id="console-script"),
        pytest.param([sys.executable, "-m", "otel_runs.cli"], id="python-m"),
    ],
)  # fmt: skip
def test_installed_command(
    command: list[str], store: Path, tmp_path: Path, runs: list[Run]
) -> None:
    if not Path(command[0]).exists():
        pytest.fail(f"{command[0]} is not installed: pip install -e . in the venv")
    env = {**os.environ, "OTEL_RUNS_STORE": str(store), "PYTHONIOENCODING": "utf-8"}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *argv], capture_output=True, text=True, env=env, cwd=tmp_path,
            encoding="utf-8", timeout=60, check=False,
        )  # fmt: skip

    tree = run("tree")
    assert (tree.returncode, tree.stderr) == (0, "")
    assert tree.stdout == render_tree(trace_runs(runs, "weather agent 2")) + "\n"

    lines = run("runs", "--json")
    assert (lines.returncode, lines.stderr) == (0, "")
    assert [json.loads(line) for line in lines.stdout.splitlines()] == [
        run.to_dict() for run in read_runs(store)
    ]

    missing = run("tree", "--store", str(tmp_path / "absent.sqlite"))
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert one_error_line(missing.stderr) == (
        f"otel-runs: error: no run store at {tmp_path / 'absent.sqlite'}"
    )
