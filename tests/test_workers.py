"""`ReceiverService(workers=N)` (`otel-runs serve --workers N`, N >= 2): worker processes, each
converting and storing its partition of the trace ids, on real SQLite files.

- N workers make exactly the runs one process makes: traces split across requests, children
  before parents, log events before their spans, whichever worker a trace falls to.
- A worker killed with `kill -9` while it holds runs is started again, and every accepted span
  still becomes its run; the counters keep what the dead process counted.
- A spool left by N workers (spans waiting for parents, lineages of delivered runs) is taken up
  by a receiver with another number of workers (or by one process): every span under its
  parent.
- A worker that cannot start stops the start with its reason; what cannot be sent to a worker
  process (a lambda as sink factory) is refused at construction.
"""

from __future__ import annotations

import functools
import os
import signal
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from otel_runs import spans_to_runs
from otel_runs.conventions import genai as g
from otel_runs.convert.from_sdk import record_from_span
from otel_runs.errors import ConfigError
from otel_runs.model.span_record import EventRecord, SpanRecord
from otel_runs.receiver.intake import LogEvent
from otel_runs.receiver.partitions import partition_of
from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks.sqlite import SqliteSink, read_runs
from tests.support.agent_spans import agent_spans
from tests.support.slow_sink import SlowSqliteSink, broken_sink
from tests.test_receiver_service import wait_until


def receiver(tmp_path: Path, workers: int, **options: object) -> ReceiverService:
    options.setdefault("sink_factory", functools.partial(SqliteSink, tmp_path / "runs.sqlite"))
    options.setdefault("log_settle_s", 0.0)
    options.setdefault("retry_backoff_s", 0.05)
    return ReceiverService(
        workers=workers,
        spool_path=tmp_path / "spool.sqlite",
        **options,  # type: ignore[arg-type]
    )


def stored(tmp_path: Path) -> list[dict[str, object]]:
    return [run.to_dict() for run in read_runs(tmp_path / "runs.sqlite")]


def expected(spans: Sequence[ReadableSpan]) -> list[dict[str, object]]:
    return [run.to_dict() for run in spans_to_runs(spans)]


def question(record: SpanRecord) -> LogEvent:
    """A GenAI user message sent as a log record, for one chat span."""
    text = f"question of span {record.span_id}"
    event = EventRecord(g.EVENT_USER_MESSAGE, record.start_ns, {"content": text})
    return LogEvent(record.trace_id, record.span_id, event)


def test_worker_processes_make_the_runs_one_process_makes(tmp_path: Path) -> None:
    spans = agent_spans(12)
    records = [record_from_span(span) for span in spans]
    assert {partition_of(r.trace_id, 2) for r in records} == {0, 1}  # both workers get traces
    chats = [r for r in records if r.name.startswith("chat")]
    service = receiver(tmp_path, 2)
    service.start()
    assert len([pid for pid in service.worker_pids() if pid]) == 2
    service.accept_log_events([question(r) for r in chats])  # before their spans
    # Every trace is split over both requests, some children first: each request is split
    # again by worker, and each worker joins its traces across requests.
    early = [r for i, r in enumerate(records) if r.parent_span_id is not None and i % 2]
    service.accept(early)
    service.accept([r for r in records if r not in early])
    wait_until(lambda: service.stats()["delivered"] == len(records), timeout=60)
    wait_until(lambda: service.stats()["pending_log_events"] == 0, timeout=60)
    stats = service.stats()
    assert service.stop(10.0)
    runs = {run["id"]: run for run in stored(tmp_path)}
    want = expected(spans)
    for run in want:  # the messages came as log events only
        if str(run["name"]).startswith("chat"):
            assert "question of span" in str(runs[run["id"]]["inputs"])
    strip = ("inputs", "events")  # the log events' messages, checked above
    assert [{k: v for k, v in runs[r["id"]].items() if k not in strip} for r in want] == [
        {k: v for k, v in run.items() if k not in strip} for run in want
    ]
    assert (stats["accepted"], stats["converted"], stats["delivered"]) == (60, 60, 60)
    assert (stats["log_events_joined"], stats["pending"], stats["spooled_bytes"]) == (24, 0, 0)
    assert stats["waited"] > 0 and stats["worker_restarts"] == 0
    # Each worker's own figures: its partition's spans, accepted, converted and delivered.
    mine = Counter(partition_of(r.trace_id, 2) for r in records)
    for part in (0, 1):
        own = [stats[f"worker{part}_{name}"] for name in ("accepted", "converted", "delivered")]
        assert own == [mine[part]] * 3
        assert (stats[f"worker{part}_waiting"], stats[f"worker{part}_restarts"]) == (0, 0)


def test_a_killed_worker_is_started_again_and_every_accepted_span_becomes_its_run(
    tmp_path: Path,
) -> None:
    spans = agent_spans(40)
    records = [record_from_span(span) for span in spans]
    slow = functools.partial(SlowSqliteSink, tmp_path / "runs.sqlite", 0.2)
    service = receiver(tmp_path, 2, sink_factory=slow, sink_batch_size=10)
    service.start()
    victim = service.worker_pids()[0]
    assert victim is not None
    for start in range(0, len(records), 20):
        service.accept(records[start : start + 20])
    wait_until(lambda: service.stats()["delivered"] >= 20, timeout=60)
    os.kill(victim, signal.SIGKILL)  # mid-stream: it holds runs read, converted, not marked
    wait_until(lambda: service.worker_pids()[0] not in (None, victim), timeout=60)
    wait_until(lambda: service.stats()["pending"] == 0, timeout=120)
    stats = service.stats()
    assert service.stop(10.0)
    assert stored(tmp_path) == expected(spans)  # none lost, none changed, none doubled
    assert stats["worker_restarts"] == 1
    assert (stats["worker0_restarts"], stats["worker1_restarts"]) == (1, 0)  # the victim's
    # What the killed process counted before its last answer is kept: the sum covers every run.
    assert stats["delivered"] + stats["duplicates"] >= len(records)


def test_a_spool_left_by_workers_is_taken_up_by_another_number_of_workers(
    tmp_path: Path,
) -> None:
    spans = agent_spans(16)
    records = [record_from_span(span) for span in spans]
    roots = [r for r in records if r.parent_span_id is None]
    children = [r for r in records if r.parent_span_id is not None]
    first_half = {r.trace_id for r in roots[:8]}
    # Two workers: half of the traces complete, the other half only their children (which
    # wait for their parents, spooled).
    first = receiver(tmp_path, 2, assembly_ttl_s=3600)
    first.start()
    first.accept([r for r in records if r.trace_id in first_half])
    first.accept([r for r in children if r.trace_id not in first_half])
    wait_until(lambda: first.stats()["delivered"] == 40, timeout=60)
    wait_until(lambda: first.stats()["waiting"] == 32, timeout=60)
    first.stop(10.0)
    assert first.stats()["pending"] == 32  # the children waiting for their parents stay
    # Three workers now: the waiting children are split again by the new count and meet their
    # parents; a late child of a delivered parent finds it through the spool's lineages.
    late = [c for c in children if c.trace_id in first_half][:3]
    second = receiver(tmp_path, 3, assembly_ttl_s=3600)
    second.start()
    second.accept([r for r in roots if r.trace_id not in first_half])
    second.accept(late)  # sent again: the same runs, again under their parents
    wait_until(lambda: second.stats()["pending"] == 0, timeout=60)
    stats = second.stats()
    assert second.stop(10.0)
    assert stored(tmp_path) == expected(spans)
    assert (stats["orphaned"], stats["evicted"], stats["duplicates"]) == (0, 0, 3)
    # And back to one process (one worker: the receiving one): the spool's rows of three
    # partitions are read by one reader.
    third = receiver(tmp_path, 1, assembly_ttl_s=3600)
    third.start()
    third.accept(late)
    wait_until(lambda: third.stats()["duplicates"] == 3, timeout=60)
    assert third.stop(10.0)
    assert stored(tmp_path) == expected(spans)


def test_a_worker_that_cannot_start_stops_the_start_with_its_reason(tmp_path: Path) -> None:
    service = receiver(tmp_path, 2, sink_factory=broken_sink)
    with pytest.raises(ConfigError, match="the store's disk is gone"):
        service.start()
    assert service.worker_pids() == [None, None]
    service.stop(0)


def test_what_cannot_reach_a_worker_process_is_refused_at_construction(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    with pytest.raises(ConfigError, match="pickled"):
        receiver(tmp_path, 2, sink_factory=lambda: SqliteSink(store))
    with pytest.raises(ConfigError, match="sink_factory"):
        ReceiverService(SqliteSink(store), workers=2, spool_path=tmp_path / "spool.sqlite")
    # Nothing kept the spool: a receiver can take it at once.
    receiver(tmp_path, 1).stop(0)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_store_locked_past_its_busy_timeout_loses_no_run(tmp_path: Path, workers: int) -> None:
    # Seen in a CI run: a worker restarted after kill -9 held the store while the other waited
    # past its busy timeout, and the sink's "locked" failure dropped 10 runs for good.
    import sqlite3

    spans = agent_spans(6)
    path = tmp_path / "runs.sqlite"
    SqliteSink(path).write([])  # (the store exists; a write of nothing opens nothing)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    service = receiver(
        tmp_path, workers, sink_factory=functools.partial(SqliteSink, path, timeout=0.05)
    )
    service.start()
    try:
        service.accept([record_from_span(span) for span in spans])
        wait_until(lambda: service.stats()["retried"] >= 1, timeout=60)  # it met the lock
        locker.execute("ROLLBACK")
        locker.close()
        wait_until(lambda: service.stats()["pending"] == 0, timeout=60)
        stats = service.stats()
    finally:
        assert service.stop(10.0)
    assert stats["failed"] == 0
    assert stored(tmp_path) == expected(spans)  # every run, once
