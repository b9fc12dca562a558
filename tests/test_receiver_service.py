"""`ReceiverService` end to end on real SQLite files: spans in, runs out, across restarts,
re-sends, projects, log events, a full spool and a LangSmith outage."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from otel_runs import Run, spans_to_runs
from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.convert.from_sdk import record_from_span
from otel_runs.errors import ConfigError
from otel_runs.model.span_record import EventRecord, SpanRecord
from otel_runs.privacy import Privacy
from otel_runs.receiver.intake import Intake, LogEvent, SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks import AnyRun, SinkResult
from otel_runs.sinks.langsmith import LangSmithSink
from otel_runs.sinks.sqlite import SqliteSink, read_runs
from tests.support.agent_spans import agent_spans
from tests.support.fake_langsmith import Fault, running_fake_langsmith
from tests.support.memory_sink import MemorySink
from tests.support.records import TRACE, record
from tests.test_spool import read_only

MIB = 1024 * 1024


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll until `condition` holds; fail with a clear message if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


class CountingSink(MemorySink):
    """Counts every delivery of every run id, across services sharing it."""

    def __init__(
        self, deliveries: Counter[str] | None = None, *, writes_before_outage: int = -1
    ) -> None:
        super().__init__()
        self.deliveries: Counter[str] = deliveries if deliveries is not None else Counter()
        self.writes_left = writes_before_outage
        """Successful writes before the destination goes down for good (-1: never)."""
        self.down = False

    def write(self, runs: Sequence[Run]) -> SinkResult:
        if self.down or self.writes_left == 0:
            ids = tuple(str(run.id) for run in runs)
            return SinkResult(failed=len(runs), error="503", retry=ids)
        self.writes_left -= 1
        self.deliveries.update(str(run.id) for run in runs)
        return super().write(runs)


def service(
    tmp_path: Path, sink: object, name: str = "spool.sqlite", **options: object
) -> ReceiverService:
    options.setdefault("log_settle_s", 0.0)
    options.setdefault("retry_backoff_s", 0.05)
    return ReceiverService(sink, spool_path=tmp_path / name, **options)  # type: ignore[arg-type]


@pytest.fixture
def memory() -> MemorySink:
    return MemorySink()


# --- the basic path -----------------------------------------------------------------------------


def test_spooled_spans_become_the_runs_spans_to_runs_makes(tmp_path: Path) -> None:
    spans = agent_spans(2)
    records = [record_from_span(span) for span in spans]
    store = tmp_path / "runs.sqlite"
    receiver = service(tmp_path, SqliteSink(store))
    intake: Intake = receiver  # what the front ends are given (checked by mypy)
    # Two requests, children first: the assembler joins them across requests.
    intake.accept(records[:5])
    intake.accept(records[5:])
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == len(records))
    assert receiver.stop(5.0)
    assert [run.to_dict() for run in read_runs(store)] == [
        run.to_dict() for run in spans_to_runs(spans)
    ]
    receiver.count_rejected(spans=2, log_records=1)  # what a front end reports
    stats = receiver.stats()
    assert (stats["accepted"], stats["pending"], stats["spooled_bytes"]) == (10, 0, 0)
    assert (stats["rejected"], stats["rejected_log_records"], stats["failed"]) == (2, 1, 0)


def test_an_empty_request_stores_nothing(tmp_path: Path, memory: MemorySink) -> None:
    receiver = service(tmp_path, memory)
    receiver.accept([])
    receiver.accept_log_events([])
    assert receiver.stats()["pending"] == 0
    receiver.stop()


def test_spans_that_never_become_runs_leave_the_spool(tmp_path: Path, memory: MemorySink) -> None:
    receiver = service(tmp_path, memory, keep="genai")
    receiver.accept(
        [record(1, name="plain"), record(2, 1, name="chat", attributes={g.OPERATION_NAME: "chat"})]
    )
    receiver.start()
    wait_until(lambda: receiver.stats()["pending"] == 0)
    receiver.stop()
    assert set(memory.by_name()) == {"chat"}
    assert receiver.stats()["not_runs"] == 1


def test_a_child_whose_parent_never_comes_is_delivered_as_a_root(
    tmp_path: Path, memory: MemorySink
) -> None:
    receiver = service(tmp_path, memory, assembly_ttl_s=0.2)
    receiver.accept([record(2, 1, name="orphan")])
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 1)
    receiver.stop()
    assert memory.by_name()["orphan"].parent_run_id is None
    assert receiver.stats()["orphaned"] == 1


def test_a_backlog_reaches_the_sink_in_whole_batches(tmp_path: Path) -> None:
    """A step reads at most 64 spooled requests; the runs of several steps make one write."""
    memory = MemorySink()
    receiver = service(tmp_path, memory, sink_batch_size=100)
    for number in range(1, 151):
        receiver.accept([record(number, name=f"run {number}")])  # 150 one-span requests
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 150)
    receiver.stop()
    assert memory.batches == 2  # 100, then the 50 left once nothing more was read


def test_a_backlog_larger_than_the_outbox_is_sent_when_the_outbox_is_full(tmp_path: Path) -> None:
    memory = MemorySink()
    receiver = service(tmp_path, memory, sink_batch_size=100, max_outbox_runs=50)
    for number in range(1, 101):
        receiver.accept([record(number, name=f"run {number}")])
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 100)
    receiver.stop()
    assert memory.batches == 2


# --- restart and idempotency --------------------------------------------------------------------


def test_a_restart_resumes_and_delivers_each_run_exactly_once(tmp_path: Path) -> None:
    deliveries: Counter[str] = Counter()
    first_sink = CountingSink(deliveries, writes_before_outage=1)  # then it goes away
    first = service(tmp_path, first_sink, sink_batch_size=2)
    first.accept([record(11, name="a"), record(12, name="b")])
    first.accept([record(13, name="c"), record(14, name="d")])
    first.accept([record(21, 20, name="child", trace_id=TRACE + 1)])  # its parent comes later
    first.start()
    wait_until(lambda: first.stats()["retried"] >= 1)
    assert first.stats()["delivered"] == 2
    assert not first.stop(5.0, drain=False)
    assert first.stats()["pending"] > 0

    second_sink = CountingSink(deliveries)
    second = service(tmp_path, second_sink)
    assert second.stats()["pending"] == first.stats()["pending"]
    second.accept([record(20, name="parent", trace_id=TRACE + 1)])
    second.start()
    wait_until(lambda: second.stats()["pending"] == 0)
    assert second.stop(5.0)

    names = {**first_sink.by_name(), **second_sink.by_name()}
    assert set(names) == {"a", "b", "c", "d", "parent", "child"}
    assert set(deliveries.values()) == {1}, deliveries  # none twice, none lost
    assert names["child"].parent_run_id == names["parent"].id  # assembled across the restart


def test_a_child_arriving_after_a_restart_hangs_under_its_delivered_parent(
    tmp_path: Path,
) -> None:
    first_sink = MemorySink()
    first = service(tmp_path, first_sink)
    first.accept([record(1, name="root")])
    first.start()
    wait_until(lambda: first.stats()["delivered"] == 1)
    first.stop()
    second_sink = MemorySink()
    second = service(tmp_path, second_sink, assembly_ttl_s=0.1)
    second.accept([record(2, 1, name="child", start=5)])
    second.start()
    wait_until(lambda: second.stats()["delivered"] == 1)
    second.stop()
    root, child = first_sink.by_name()["root"], second_sink.by_name()["child"]
    assert child.parent_run_id == root.id and child.trace_id == root.id
    assert child.dotted_order.startswith(root.dotted_order + ".")
    assert second.stats()["orphaned"] == 0


def test_a_span_resent_before_delivery_becomes_one_run_with_the_last_copy(
    tmp_path: Path,
) -> None:
    sink = CountingSink()
    receiver = service(tmp_path, sink)
    receiver.accept([record(5, name="first copy")])
    receiver.accept([record(5, name="second copy"), record(6, 5, name="child")])
    receiver.start()
    wait_until(lambda: receiver.stats()["pending"] == 0)
    receiver.stop()
    assert set(sink.by_name()) == {"second copy", "child"}
    assert set(sink.deliveries.values()) == {1}
    assert receiver.stats()["resent"] == 1


def test_a_span_resent_after_delivery_reaches_the_sink_as_the_same_run(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    receiver = service(tmp_path, SqliteSink(store))
    receiver.start()
    receiver.accept([record(5, name="root"), record(6, 5, name="child")])
    wait_until(lambda: receiver.stats()["delivered"] == 2)
    receiver.accept([record(6, 5, name="child")])  # the sender did not see our 200: again
    wait_until(lambda: receiver.stats()["duplicates"] == 1)
    receiver.stop()
    runs = read_runs(store)
    assert sorted(run.name for run in runs) == ["child", "root"]
    child = next(run for run in runs if run.name == "child")
    assert child.parent_run_id == next(run.id for run in runs if run.name == "root")


# --- projects -----------------------------------------------------------------------------------


def test_the_span_attribute_project_wins_over_the_header(
    tmp_path: Path, memory: MemorySink
) -> None:
    receiver = service(tmp_path, memory)
    receiver.accept(
        [record(1, name="named", attributes={ls.SESSION_NAME: "from-span"}), record(2, 1)],
        project="from-header",
    )
    receiver.accept([record(3, name="unnamed", trace_id=TRACE + 1)], project="from-header")
    receiver.accept([record(4, name="nowhere", trace_id=TRACE + 2)], project="  ")
    receiver.accept(
        [record(5, name="by-id", trace_id=TRACE + 3, attributes={ls.SESSION_ID: "p-id"})],
        project="from-header",
    )
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 5)
    receiver.stop()
    runs = memory.by_name()
    assert runs["named"].unmapped["session_name"] == "from-span"
    assert runs["span"].unmapped["session_name"] == "from-span"  # spread over its trace
    assert runs["unnamed"].unmapped["session_name"] == "from-header"
    assert "session_name" not in runs["nowhere"].unmapped  # the sink's default applies
    assert "session_name" not in runs["by-id"].unmapped and runs["by-id"].session_id == "p-id"


def test_the_header_project_is_kept_with_the_lineage_across_a_restart(
    tmp_path: Path, memory: MemorySink
) -> None:
    receiver = service(tmp_path, memory)
    receiver.accept([record(1, name="root")], project="team-a")
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 1)
    receiver.stop()
    receiver = service(tmp_path, memory)  # the root's lineage comes back from the spool
    receiver.accept([record(2, 1, name="child")])
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 1)
    receiver.stop()
    runs = memory.by_name()
    assert runs["root"].unmapped["session_name"] == "team-a"
    assert runs["child"].parent_run_id == runs["root"].id
    assert runs["child"].unmapped["session_name"] == "team-a"  # spread from the lineage


def test_the_header_project_is_kept_with_the_lineage_in_one_process(
    tmp_path: Path, memory: MemorySink
) -> None:
    receiver = service(tmp_path, memory)
    receiver.start()
    receiver.accept([record(1, name="root")], project="team-a")
    wait_until(lambda: receiver.stats()["delivered"] == 1)
    receiver.accept([record(2, 1, name="child")])  # a later request, no project named
    wait_until(lambda: receiver.stats()["delivered"] == 2)
    receiver.stop()
    runs = memory.by_name()
    assert runs["child"].parent_run_id == runs["root"].id
    assert runs["child"].unmapped["session_name"] == "team-a"  # as after a restart (above)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("any", {"named": "from-span", "unnamed": "from-header", "by-id": None}),
        ("span", {"named": "from-span", "unnamed": None, "by-id": None}),
        ("header", {"named": "from-header", "unnamed": "from-header", "by-id": "from-header"}),
        ("none", {"named": None, "unnamed": None, "by-id": None}),
    ],
)
def test_who_may_choose_the_project_is_a_setting(
    tmp_path: Path,
    memory: MemorySink,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    expected: dict[str, str | None],
) -> None:
    monkeypatch.setenv("OTEL_RUNS_PROJECT_FROM", source)
    receiver = service(tmp_path, memory)
    assert receiver.project_from == source
    receiver.accept(
        [record(1, name="named", attributes={ls.SESSION_NAME: "from-span"})], project="from-header"
    )
    receiver.accept([record(3, name="unnamed", trace_id=TRACE + 1)], project="from-header")
    receiver.accept(
        [record(5, name="by-id", trace_id=TRACE + 3, attributes={ls.SESSION_ID: "p-id"})],
        project="from-header",
    )
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 3)
    receiver.stop()
    runs = memory.by_name()
    assert {name: runs[name].unmapped.get("session_name") for name in expected} == expected
    span_chooses = source in ("any", "span")
    assert runs["by-id"].session_id == ("p-id" if span_chooses else None)


def test_a_bad_project_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="project_from"):
        service(tmp_path, MemorySink(), project_from="anyone")


def test_the_header_project_reaches_langsmith(tmp_path: Path) -> None:
    with running_fake_langsmith() as fake:
        sink = LangSmithSink(api_key=fake.api_key, endpoint=fake.url, project="sink-default")
        receiver = service(tmp_path, sink)
        receiver.accept([record(1, name="routed")], project="team-a")
        receiver.accept([record(2, name="default", trace_id=TRACE + 1)])
        receiver.start()
        wait_until(lambda: receiver.stats()["delivered"] == 2)
        receiver.stop()
        projects = {run["name"]: run["session_name"] for run in fake.runs.values()}
    assert projects == {"routed": "team-a", "default": "sink-default"}


# --- log events ---------------------------------------------------------------------------------


def content(span_id: int, text: str, at: int = 5) -> LogEvent:
    return LogEvent(TRACE, span_id, EventRecord(g.EVENT_USER_MESSAGE, at, {"content": text}))


def event_names(run: Run) -> list[str]:
    return [str(event.get("name")) for event in run.events]


def test_log_events_sent_before_their_span_join_its_run(tmp_path: Path, memory: MemorySink) -> None:
    receiver = service(tmp_path, memory)
    receiver.accept_log_events([content(1, "hello"), content(1, "hello")])  # and a re-send
    receiver.accept([record(1, name="chat", attributes={g.OPERATION_NAME: "chat"})])
    receiver.start()
    wait_until(lambda: receiver.stats()["delivered"] == 1)
    wait_until(lambda: receiver.stats()["pending_log_events"] == 0)
    receiver.stop()
    run = memory.by_name()["chat"]
    assert "hello" in str(run.inputs)  # the GenAI content event became the run's input
    stats = receiver.stats()
    assert (stats["log_events_joined"], stats["accepted_log_events"]) == (1, 2)


def test_log_events_sent_just_after_their_span_join_within_the_settle_time(
    tmp_path: Path, memory: MemorySink
) -> None:
    receiver = service(tmp_path, memory, log_settle_s=2.0)
    receiver.start()
    receiver.accept([record(1, name="chat", attributes={g.OPERATION_NAME: "chat"})])
    time.sleep(0.2)  # without the settle time, the run would be made and sent by now
    receiver.accept_log_events([content(1, "late but in time")])
    wait_until(lambda: receiver.stats()["delivered"] == 1)
    receiver.stop()
    assert "late but in time" in str(memory.by_name()["chat"].inputs)


def test_log_events_join_a_span_still_waiting_for_its_parent(
    tmp_path: Path, memory: MemorySink
) -> None:
    receiver = service(tmp_path, memory)
    receiver.start()
    receiver.accept([record(2, 1, name="chat", attributes={g.OPERATION_NAME: "chat"})])
    wait_until(lambda: receiver.stats()["waiting"] == 1)
    receiver.accept_log_events([content(2, "while waiting")])
    wait_until(lambda: receiver.stats()["log_events_joined"] == 1)
    receiver.accept([record(1, name="agent")])
    wait_until(lambda: receiver.stats()["delivered"] == 2)
    receiver.stop()
    assert "while waiting" in str(memory.by_name()["chat"].inputs)


def test_log_events_whose_span_never_comes_are_given_up(tmp_path: Path, memory: MemorySink) -> None:
    receiver = service(tmp_path, memory, log_wait_s=0.2)
    receiver.start()
    receiver.accept_log_events([content(99, "nobody's")])
    wait_until(lambda: receiver.stats()["log_events_unjoined"] == 1)
    wait_until(lambda: receiver.stats()["pending_log_events"] == 0)
    receiver.stop()
    assert receiver.stats()["spooled_bytes"] == 0


def test_log_events_behind_a_backlog_wait_with_their_spans_in_the_spool(tmp_path: Path) -> None:
    sink = CountingSink()
    sink.down = True
    receiver = service(tmp_path, sink, max_outbox_runs=1, log_wait_s=0.3)
    receiver.start()
    receiver.accept([record(1, name="first")])
    wait_until(lambda: receiver.stats()["outbox"] == 1)  # full: no more spans are read
    receiver.accept_log_events([content(2, "behind the backlog")])
    receiver.accept([record(2, name="chat", attributes={g.OPERATION_NAME: "chat"})])
    time.sleep(0.6)  # longer than log_wait_s, but the span stream has not moved
    stats = receiver.stats()
    assert (stats["log_events_unjoined"], stats["pending_log_events"]) == (0, 1)
    assert stats["log_events_waiting"] == 0  # kept in the spool, not in memory
    sink.down = False
    wait_until(lambda: receiver.stats()["delivered"] == 2)
    receiver.stop()
    assert "behind the backlog" in str(sink.by_name()["chat"].inputs)


def test_log_events_survive_a_restart_until_their_span_comes(
    tmp_path: Path, memory: MemorySink
) -> None:
    first = service(tmp_path, MemorySink())
    first.start()
    first.accept_log_events([content(3, "kept across restarts")])
    assert first.stop(2.0)  # the log event stays spooled, waiting for its span
    assert first.stats()["pending_log_events"] == 1
    second = service(tmp_path, memory)
    second.accept([record(3, name="chat", attributes={g.OPERATION_NAME: "chat"})])
    second.start()
    wait_until(lambda: second.stats()["pending_log_events"] == 0)
    second.stop()
    assert "kept across restarts" in str(memory.by_name()["chat"].inputs)


# --- the size limit and refusals ----------------------------------------------------------------


def big_request(first_id: int) -> list[SpanRecord]:
    return [record(first_id, attributes={"blob": "x" * 400_000})]


def test_a_full_spool_refuses_until_the_sink_drains_it(tmp_path: Path) -> None:
    sink = CountingSink()
    receiver = service(tmp_path, sink, max_spool_bytes=MIB)
    receiver.accept(big_request(1))
    receiver.accept(big_request(2))
    with pytest.raises(SpoolFullError):
        receiver.accept(big_request(3))
    assert receiver.stats()["refused_full"] == 1 and receiver.stats()["pending"] == 2
    receiver.start()
    wait_until(lambda: receiver.stats()["spooled_bytes"] == 0)
    receiver.accept(big_request(3))  # the sender's retry now gets through
    wait_until(lambda: receiver.stats()["delivered"] == 3)
    receiver.stop()
    assert set(sink.deliveries.values()) == {1}


def test_a_read_only_spool_directory_is_refused_at_construction(
    tmp_path: Path, memory: MemorySink
) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    with read_only(directory), pytest.raises(SpoolUnavailableError, match="ro"):
        service(directory, memory)


def test_after_stop_requests_are_refused_and_stop_is_idempotent(
    tmp_path: Path, memory: MemorySink
) -> None:
    receiver = service(tmp_path, memory)
    receiver.start()
    receiver.accept([record(1)])
    assert receiver.stop(5.0) is True
    assert receiver.stop(5.0) is True
    with pytest.raises(SpoolUnavailableError, match="shutting down"):
        receiver.accept([record(2)])
    with pytest.raises(ConfigError):
        receiver.start()
    assert memory.closed
    # The spool file is free for the next receiver.
    service(tmp_path, MemorySink()).stop()


class BlockingSink(MemorySink):
    """A write that hangs until the sink is closed (a stuck connection)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self._closed = threading.Event()

    def write(self, runs: Sequence[Run]) -> SinkResult:
        self.entered.set()
        self._closed.wait(30)
        ids = tuple(str(run.id) for run in runs)
        return SinkResult(failed=len(runs), error="closed", retry=ids[:1])

    def close(self) -> None:
        self._closed.set()
        super().close()


def test_stop_interrupts_a_stuck_sink_and_keeps_its_runs_spooled(tmp_path: Path) -> None:
    sink = BlockingSink()
    receiver = service(tmp_path, sink)
    receiver.start()
    receiver.accept([record(1, name="a"), record(2, name="b")])
    assert sink.entered.wait(10)
    started = time.monotonic()
    assert receiver.stop(0.2) is False
    assert time.monotonic() - started < 10  # not the 30 s the write would have hung
    memory = MemorySink()
    again = service(tmp_path, memory)
    assert again.stats()["pending"] == 2
    again.start()
    wait_until(lambda: again.stats()["delivered"] == 2)
    again.stop()
    assert set(memory.by_name()) == {"a", "b"}


class HeldStore(SqliteSink):
    """The local store, each commit held until the test lets it go."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.committing = threading.Event()
        self.release = threading.Event()

    def start_write(self, runs: Sequence[AnyRun]) -> Callable[[], SinkResult]:
        commit = super().start_write(runs)

        def held() -> SinkResult:
            self.committing.set()
            self.release.wait(10)
            return commit()

        return held


def test_the_store_commits_beside_the_forwarding_thread_and_marks_follow_the_commit(
    tmp_path: Path,
) -> None:
    store = HeldStore(tmp_path / "runs.sqlite")
    receiver = service(tmp_path, store)
    receiver.start()
    receiver.accept([record(1, name="a"), record(2, name="b")])
    assert store.committing.wait(10)
    receiver.accept([record(3, name="c")])  # read and converted while the commit waits
    wait_until(lambda: receiver.stats()["outbox"] == 3)
    assert receiver.stats()["pending"] == 3  # nothing marked before the store has committed
    assert read_runs(store.path) == []
    store.release.set()
    wait_until(lambda: receiver.stats()["pending"] == 0)
    assert receiver.stop()
    assert {run.name for run in read_runs(store.path)} == {"a", "b", "c"}


def test_stop_waits_for_a_commit_under_way_and_marks_what_it_stored(tmp_path: Path) -> None:
    store = HeldStore(tmp_path / "runs.sqlite")
    receiver = service(tmp_path, store)
    receiver.start()
    receiver.accept([record(1, name="a"), record(2, name="b")])
    assert store.committing.wait(10)
    threading.Timer(0.3, store.release.set).start()
    assert receiver.stop(10, drain=False) is False  # not drained, but the commit is waited for
    assert {run.name for run in read_runs(store.path)} == {"a", "b"}
    again = service(tmp_path, MemorySink())
    assert again.stats()["pending"] == 0  # marked: not sent again after the restart
    again.stop(0)


def test_bad_arguments_are_config_errors(tmp_path: Path, memory: MemorySink) -> None:
    with pytest.raises(ConfigError):
        service(tmp_path, memory, max_spool_bytes=10)
    with pytest.raises(ConfigError):
        service(tmp_path, memory, synchronous="sometimes")


def test_environment_settings_apply_and_bad_values_fall_back(
    tmp_path: Path, memory: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_RUNS_SPOOL", str(tmp_path / "from-env.sqlite"))
    monkeypatch.setenv("OTEL_RUNS_SPOOL_MAX_BYTES", "not a number")
    monkeypatch.setenv("OTEL_RUNS_SPOOL_SYNC", "normal")
    receiver = ReceiverService(memory)
    assert receiver.spool_path == tmp_path / "from-env.sqlite"
    receiver.accept(big_request(1))  # 1 GiB default: the bad value was ignored
    receiver.stop()


# --- a LangSmith outage -------------------------------------------------------------------------


def test_a_langsmith_outage_loses_nothing_and_delivers_each_run_once(tmp_path: Path) -> None:
    with running_fake_langsmith() as fake:
        fake.inject(Fault(status=503), times=1000)
        sink = LangSmithSink(api_key=fake.api_key, endpoint=fake.url, backoff=0.01, deadline=0.2)
        receiver = service(tmp_path, sink, retry_backoff_s=0.05)
        receiver.start()
        spans = [record_from_span(span) for span in agent_spans(3)]
        for start in range(0, len(spans), 4):
            receiver.accept(spans[start : start + 4])
        wait_until(lambda: receiver.stats()["retried"] >= 2)
        assert fake.runs == {} and receiver.stats()["pending"] == len(spans)
        fake.clear_faults()  # LangSmith is back
        wait_until(lambda: receiver.stats()["pending"] == 0)
        assert receiver.stop(5.0)
        assert len(fake.runs) == len(spans)
        assert set(fake.accepted.values()) == {1}
    stats = receiver.stats()
    assert (stats["delivered"], stats["failed"]) == (len(spans), 0)


def test_hidden_inputs_never_reach_the_sink(tmp_path: Path) -> None:
    """The receiver applies the same privacy controls as the in-process exporter."""
    sink = MemorySink()
    secret = "do not store me"
    record_ = record(span_id=1, attributes={g.OPERATION_NAME: "chat", g.INPUT_MESSAGES: json.dumps(
        [{"role": "user", "parts": [{"type": "text", "content": secret}]}])})  # fmt: skip
    service = ReceiverService(sink, spool_path=tmp_path / "spool.sqlite", log_settle_s=0,
                              privacy=Privacy(hide_inputs=True))  # fmt: skip
    service.start()
    service.accept([record_])
    assert service.stop(10)
    [run] = sink.runs.values()
    assert run.inputs == {} and secret not in json.dumps(run.to_dict())
