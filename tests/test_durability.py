"""The durability promises, checked where they are kept: the sync calls SQLite makes.

- The receiver answers 200 only once a request is fsync'd (docs/spool.md): the spool's WAL is
  fdatasync'd inside `ReceiverService.accept`, which the front ends wait for.
- A mark (items resolved: a LangSmith API mark, the OTLP forwarding's mark with its lineages)
  commits without a sync: lost, it only makes its items read and sent again. The append after
  it is synced again.
- The local run store is WAL with `synchronous=NORMAL` (docs/spool.md, sinks/sqlite.py): no
  sync per batch, but a checkpoint syncs the WAL before it writes the database file, so a power
  loss can roll back the last batches and never corrupts the file.
- `otel-runs serve`'s store (`SqliteSink(synced=True)`, written from the spool, which forgets
  what the store answered for) syncs the WAL inside every write.

A `kill -9` keeps the OS page cache, so crash tests cannot tell a synced write from an
unsynced one. These tests look at the calls: under `strace` when the machine has it (a real
intercept), and always by reading the settings back from the connections that write.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from otel_runs.receiver.settings import ENV_SPOOL_SYNC
from otel_runs.receiver.spool import Mark, Spool
from otel_runs.sinks.sqlite import SqliteSink
from tests.support.agent_spans import agent_runs
from tests.support.receiver_stores import receiver_store_writers

ROOT = Path(__file__).resolve().parents[1]
SYNC = re.compile(r"\b(fsync|fdatasync)\(\d+<(?P<path>[^>]*)>\)")
FULL, NORMAL = 2, 1
"""`PRAGMA synchronous` values."""


def traced(tmp_path: Path, *args: str) -> list[str]:
    """Run tests/support/durability_app.py under strace; its stderr markers and sync calls, in
    order. Skips when strace is missing or may not trace here."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (the read-back tests still run)")
    log = tmp_path / "strace.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_RUNS_", "LANGSMITH_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [strace, "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(log),
         sys.executable, "-m", "tests.support.durability_app", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0 and "ptrace" in done.stderr.lower():
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    events = []
    for line in log.read_text().splitlines():
        marker = re.search(
            r'"(WRITE-START|WRITE-END|SPAN-MARK-START|SPAN-MARK-END|MARK-START|MARK-END|CLOSED)\\n"',
            line,
        )
        if marker:
            events.append(marker[1])
        elif found := SYNC.search(line):
            events.append(f"sync {found['path']}")
    return events


def between(events: list[str], start: str, end: str) -> list[str]:
    return events[events.index(start) + 1 : events.index(end)]


def test_an_accepted_request_is_fsynced_before_accept_returns(tmp_path: Path) -> None:
    """The default spool (no setting anywhere): the WAL is synced inside `accept`."""
    inside = between(traced(tmp_path, "spool", str(tmp_path)), "WRITE-START", "WRITE-END")
    assert f"sync {tmp_path / 'spool.sqlite-wal'}" in inside, inside


def test_with_synchronous_normal_accept_does_not_sync(tmp_path: Path) -> None:
    """The documented weaker setting, and proof that the check above can fail."""
    inside = between(traced(tmp_path, "spool", str(tmp_path), "normal"), "WRITE-START", "WRITE-END")
    assert not any(event.startswith("sync ") for event in inside), inside


def test_marks_do_not_sync_and_the_next_append_does(tmp_path: Path) -> None:
    events = traced(tmp_path, "marks", str(tmp_path))
    wal = f"sync {tmp_path / 'spool.sqlite-wal'}"
    assert wal not in between(events, "MARK-START", "MARK-END"), events
    assert wal not in between(events, "SPAN-MARK-START", "SPAN-MARK-END"), events
    assert wal in between(events, "WRITE-START", "WRITE-END"), events


def test_the_store_syncs_the_wal_before_the_database_at_a_checkpoint(tmp_path: Path) -> None:
    events = traced(tmp_path, "store", str(tmp_path))
    at_close = between(events, "WRITE-END", "CLOSED")  # closing the last connection checkpoints
    wal, database = f"sync {tmp_path / 'runs.sqlite-wal'}", f"sync {tmp_path / 'runs.sqlite'}"
    assert wal in at_close and database in at_close, at_close
    assert at_close.index(wal) < at_close.index(database)
    # A write too small for a checkpoint syncs nothing: what the next test's check can catch.
    assert wal not in between(events, "WRITE-START", "WRITE-END"), events


def test_a_store_written_from_a_spool_syncs_inside_every_write(tmp_path: Path) -> None:
    """The receiver marks spooled spans delivered once the store answers: by then the runs
    must be on disk, or a power loss would take them from both files."""
    events = traced(tmp_path, "store", str(tmp_path), "synced")
    inside = between(events, "WRITE-START", "WRITE-END")
    assert f"sync {tmp_path / 'runs.sqlite-wal'}" in inside, events


# --- the settings read back from the connections that write ------------------------------------


def test_the_spool_writes_with_full_sync_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otel_runs.receiver.service import ReceiverService
    from tests.support.memory_sink import MemorySink

    monkeypatch.delenv(ENV_SPOOL_SYNC, raising=False)
    service = ReceiverService(MemorySink(), spool_path=tmp_path / "spool.sqlite")
    try:
        assert service._spool.durability() == ("wal", FULL)
    finally:
        service.stop(5)


@pytest.mark.parametrize(("setting", "expected"), [("full", FULL), ("normal", NORMAL)])
def test_the_spool_writes_with_the_sync_it_was_given(
    tmp_path: Path, setting: str, expected: int
) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20, synchronous=setting)  # type: ignore[arg-type]
    try:
        assert spool.durability() == ("wal", expected)
    finally:
        spool.close()


def test_the_spool_writes_with_full_sync_again_after_a_langsmith_api_mark(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20)
    try:
        seq = spool.append_run_items(b"request", 1)
        spool.mark({}, {}, runs={seq: Mark(None, 1)})
        assert spool.durability() == ("wal", FULL)
    finally:
        spool.close()


@pytest.mark.parametrize(("synced", "expected"), [(False, NORMAL), (True, FULL)])
def test_the_store_writes_in_wal_mode_with_the_sync_asked(
    tmp_path: Path, synced: bool, expected: int
) -> None:
    sink = SqliteSink(tmp_path / "runs.sqlite", synced=synced)
    try:
        assert _written(sink) == ("wal", expected)
    finally:
        sink.close()


def test_every_store_writer_of_the_receiver_syncs_every_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`otel-runs serve`'s two store writers (the OTLP forwarding's, in each worker, and the
    LangSmith API's `--to store`, the default destination) and `ReceiverService`'s default."""
    with receiver_store_writers(tmp_path, monkeypatch) as sinks:
        for sink in sinks:
            assert _written(sink) == ("wal", FULL), sink


def _written(sink: SqliteSink) -> tuple[str, int]:
    """The journal mode and `synchronous` of a store's writing connection, after a write."""
    sink.write(agent_runs())
    conn = sink._connection()
    return conn.execute("PRAGMA journal_mode").fetchone()[0], conn.execute(
        "PRAGMA synchronous"
    ).fetchone()[0]
