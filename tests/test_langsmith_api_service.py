"""`RunIntake` on real SQLite files: LangSmith API items accepted durably, merged into runs
across requests and restarts, sent on with retries, and nothing lost or sent twice."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_runs.privacy import Privacy
from otel_runs.receiver.intake import SpoolFullError
from otel_runs.receiver.langsmith_api.items import FEEDBACK, PATCH, POST, Item
from otel_runs.receiver.langsmith_api.service import RunIntake
from otel_runs.receiver.spool import Spool
from otel_runs.sinks import SinkResult
from tests.support.langsmith_requests import accepted
from tests.support.memory_sink import MemorySink
from tests.test_receiver_service import CountingSink, wait_until

MIB = 1024 * 1024
ROOT = "0192f0a0-0000-7000-8000-000000000001"
CHILD = "0192f0a0-0000-7000-8000-000000000002"
START = "2025-03-01T00:00:00+00:00"
END = "2025-03-01T00:00:02+00:00"


def post(run_id: str, parent: str | None = None, **fields: Any) -> Item:
    dotted = "20250301T000000000000Z" + ROOT
    if parent is not None:
        dotted += ".20250301T000000000000Z" + run_id
    run = {"id": run_id, "name": f"run-{run_id[-1]}", "run_type": "chain", "start_time": START,
           "trace_id": ROOT, "dotted_order": dotted, "parent_run_id": parent,
           "inputs": {"q": run_id}, "session_name": "proj"}  # fmt: skip
    run.update(fields)
    return (POST, run_id, run)


def patch(run_id: str, **fields: Any) -> Item:
    dotted = "20250301T000000000000Z" + ROOT
    if run_id != ROOT:
        dotted += ".20250301T000000000000Z" + run_id
    return (PATCH, run_id, {"id": run_id, "trace_id": ROOT, "dotted_order": dotted,
                            "end_time": END, "outputs": {"a": run_id}, **fields})  # fmt: skip


_STARTED: list[RunIntake] = []


def _stop_started() -> None:
    """A test that fails half way leaves no forwarding thread reading a closed spool."""
    while _STARTED:
        _STARTED.pop().stop(0.0, drain=False)


@pytest.fixture(autouse=True)
def _stop_intakes() -> Iterator[None]:
    yield
    _stop_started()


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    opened = Spool(tmp_path / "spool.sqlite", max_bytes=8 * MIB)
    yield opened
    _stop_started()
    opened.close()


def intake(spool: Spool, sink: Any, **options: Any) -> RunIntake:
    options.setdefault("settle_s", 0.0)
    options.setdefault("retry_backoff_s", 0.05)
    options.setdefault("privacy", Privacy())
    made = RunIntake(spool, sink, **options)
    _STARTED.append(made)
    return made


def test_a_post_and_a_patch_in_two_requests_reach_the_sink_as_one_run(spool: Spool) -> None:
    sink = MemorySink()
    runs = intake(spool, sink)
    runs.start()
    runs.accept(*accepted([post(ROOT), post(CHILD, ROOT)]))
    runs.accept(*accepted([patch(CHILD)]))
    wait_until(lambda: len(sink.runs) == 1)
    runs.accept(*accepted([patch(ROOT, error="ValueError('late')")]))
    wait_until(lambda: spool.pending_run_items == 0)
    assert runs.stop(5.0)
    root, child = sink.runs[ROOT], sink.runs[CHILD]
    assert (root.inputs, root.outputs, root.error) == ({"q": ROOT}, {"a": ROOT}, "ValueError('late')")
    assert child.parent_run_id == root.id and child.end_time is not None
    assert root.unmapped["session_name"] == "proj"
    stats = runs.stats()
    assert (stats["accepted"], stats["completed"], stats["delivered"]) == (4, 2, 2)


def test_an_accept_is_spooled_before_it_returns(tmp_path: Path) -> None:
    """A child process acknowledges each accept and is killed with SIGKILL right after an
    acknowledgement: every item acknowledged is in the spool the next process opens."""
    code = f"""
import sys, uuid
from otel_runs.receiver.spool import Spool
from otel_runs.receiver.langsmith_api.service import RunIntake
from tests.support.langsmith_requests import accepted
from tests.support.memory_sink import MemorySink
spool = Spool(sys.argv[1], max_bytes=64 * 1024 * 1024)
intake = RunIntake(spool, MemorySink())
run = {post(ROOT)[2]!r}
for n in range(1000):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    intake.accept(*accepted([(0, i, {{**run, "id": i, "name": f"n{{n}}"}}) for i in ids]))
    print(n, flush=True)
"""
    path = tmp_path / "spool.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert child.stdout is not None
    acked = -1
    for line in child.stdout:
        acked = int(line)
        if acked >= 40:
            child.kill()  # SIGKILL, right after an acknowledgement
            break
    child.wait()
    child.stdout.close()
    reopened = Spool(path, max_bytes=64 * MIB)
    try:
        assert reopened.pending_run_items >= 3 * (acked + 1)
        rows = reopened.read("run_batches", 0, max_items=10_000)
        assert len(rows) >= acked + 1
    finally:
        reopened.close()


def test_run_items_are_committed_with_the_spools_fsync_policy(spool: Spool) -> None:
    """The append goes through the spool's own writer (synchronous=FULL: the WAL is fsync'd at
    each commit) and is committed, not left in an open transaction, when accept returns."""
    statements: list[str] = []
    writer = spool._writer
    assert writer is not None
    writer.set_trace_callback(statements.append)
    intake(spool, MemorySink()).accept(*accepted([post(ROOT)]))
    writer.set_trace_callback(None)
    inserts = [s for s in statements if "run_batches" in s]
    assert inserts and inserts[0].startswith("INSERT INTO run_batches")
    assert not writer.in_transaction
    assert writer.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_a_run_merges_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    first_spool = Spool(path, max_bytes=8 * MIB)
    first_sink = MemorySink()
    first = intake(first_spool, first_sink)
    first.start()
    first.accept(*accepted([post(ROOT), post(CHILD, ROOT, end_time=END)]))
    wait_until(lambda: CHILD in first_sink.runs)
    assert first.stop(5.0) is True  # the open root stays spooled
    first_spool.close()

    second_spool = Spool(path, max_bytes=8 * MIB)
    assert second_spool.pending_run_items == 1
    second_sink = MemorySink()
    second = intake(second_spool, second_sink)
    second.start()
    second.accept(*accepted([patch(ROOT)]))
    wait_until(lambda: second_spool.pending_run_items == 0)
    second.stop(5.0)
    second_spool.close()
    [root] = second_sink.runs.values()
    assert (root.inputs, root.outputs) == ({"q": ROOT}, {"a": ROOT})  # post from the first life


def test_a_run_never_patched_is_sent_unfinished_at_the_ttl(spool: Spool) -> None:
    sink = MemorySink()
    runs = intake(spool, sink, ttl_s=0.3)
    runs.start()
    runs.accept(*accepted([post(ROOT)]))
    wait_until(lambda: ROOT in sink.runs)
    runs.stop(5.0)
    run = sink.runs[ROOT]
    assert run.end_time is None
    assert runs.stats()["unfinished"] == 1 and spool.pending_run_items == 0


def test_an_outage_of_the_destination_loses_nothing_and_sends_each_run_once(spool: Spool) -> None:
    deliveries: Counter[str] = Counter()
    sink = CountingSink(deliveries)
    sink.down = True
    runs = intake(spool, sink)
    runs.start()
    runs.accept(*accepted([post(ROOT, end_time=END), post(CHILD, ROOT, end_time=END)]))
    wait_until(lambda: runs.stats()["retried"] >= 2)
    assert deliveries == Counter() and spool.pending_run_items == 2
    sink.down = False
    wait_until(lambda: spool.pending_run_items == 0)
    assert runs.stop(5.0)
    assert deliveries == Counter({ROOT: 1, CHILD: 1})


class Refusing(MemorySink):
    def write(self, runs: Any) -> SinkResult:
        return SinkResult(failed=len(runs), error="400 bad span")


def test_runs_refused_for_good_are_counted_and_leave_the_spool(spool: Spool) -> None:
    runs = intake(spool, Refusing())
    runs.start()
    runs.accept(*accepted([post(ROOT, end_time=END)]))
    wait_until(lambda: spool.pending_run_items == 0)
    runs.stop(5.0)
    assert (runs.stats()["failed"], runs.stats()["delivered"]) == (1, 0)


def test_a_merged_run_that_is_no_run_is_dropped_and_counted(spool: Spool) -> None:
    runs = intake(spool, MemorySink(), ttl_s=0.2)
    runs.start()
    runs.accept(*accepted([post(ROOT, end_time=END, total_tokens="many")]))  # no check at the door
    runs.accept(*accepted([(FEEDBACK, CHILD, {"run_id": CHILD, "key": "k"})]))
    wait_until(lambda: spool.pending_run_items == 0)
    runs.stop(5.0)
    stats = runs.stats()
    assert (stats["invalid"], stats["feedback_unjoined"]) == (1, 1)


def test_a_full_spool_refuses_and_stores_nothing(tmp_path: Path) -> None:
    small = Spool(tmp_path / "spool.sqlite", max_bytes=MIB)
    runs = intake(small, MemorySink())
    big = post(ROOT, inputs={"blob": "x" * (MIB // 2)})
    runs.accept(*accepted([big]))
    with pytest.raises(SpoolFullError):
        runs.accept(*accepted([big]))
    assert small.pending_run_items == 1
    assert runs.stats()["refused_full"] == 1
    small.close()


def test_hidden_inputs_never_reach_the_destination(spool: Spool) -> None:
    sink = MemorySink()
    runs = intake(spool, sink, privacy=Privacy(hide_inputs=True))
    runs.start()
    runs.accept(*accepted([post(ROOT, end_time=END, inputs={"secret": "do not send"})]))
    wait_until(lambda: ROOT in sink.runs)
    runs.stop(5.0)
    assert sink.runs[ROOT].inputs == {}
