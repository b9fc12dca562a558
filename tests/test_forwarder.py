"""The receiver's outbox: what is resolved after each sink answer, backoff, last copy wins."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from otel_runs import Run
from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.receiver.forwarder import Forwarder, Parcel
from otel_runs.sinks import SinkResult
from tests.conftest import InternalErrors
from tests.support.records import record


@dataclass
class ScriptedSink:
    """Answers each write with the next scripted result (a callable of the runs)."""

    answers: list[object] = field(default_factory=list)
    writes: list[list[str]] = field(default_factory=list)
    closed: bool = False

    def write(self, runs: Sequence[Run]) -> SinkResult:
        self.writes.append([run.name for run in runs])
        answer = self.answers.pop(0) if self.answers else "ok"
        ids = tuple(str(run.id) for run in runs)
        if answer == "ok":
            return SinkResult(stored=len(runs))
        if answer == "down":
            return SinkResult(failed=len(runs), error="503", retry=ids)
        if answer == "slow-down":  # 429 with Retry-After: 7
            return SinkResult(failed=len(runs), error="429", retry=ids, retry_after_s=7.0)
        if answer == "first-down":  # one run retryable, the others stored
            return SinkResult(stored=len(runs) - 1, failed=1, error="503", retry=ids[:1])
        if answer == "refused":
            return SinkResult(failed=len(runs), error="400 invalid run")
        if answer == "raise":
            raise RuntimeError("a bug in the sink")
        raise AssertionError(answer)

    def close(self) -> None:
        self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def parcels(*names: str) -> list[Parcel]:
    spans = [record(i + 1, name=name) for i, name in enumerate(names)]
    runs = convert_records(spans).runs
    return [Parcel(run, run.id.int, None, [(1, i)]) for i, run in enumerate(runs)]


def test_stored_runs_are_resolved_and_retryable_ones_wait_out_a_backoff() -> None:
    clock = Clock()
    sink = ScriptedSink(["first-down", "ok"])
    forwarder = Forwarder(sink, clock=clock, first_backoff_s=1.0)
    for parcel in parcels("a", "b", "c"):
        forwarder.put(parcel)
    resolved = forwarder.send()
    assert [p.run.name for p in resolved] == ["b", "c"]
    assert forwarder.size == 1 and forwarder.counts.delivered == 2
    wait = forwarder.wait_s()
    assert wait is not None and 0.8 <= wait <= 1.2  # 1 s, +-20% jitter
    assert forwarder.send() == [] and len(sink.writes) == 1  # still backing off
    clock.now += 1.3
    assert [p.run.name for p in forwarder.send()] == ["a"]
    assert forwarder.size == 0 and forwarder.counts.retried == 1


def test_the_backoff_doubles_per_failed_send_and_resets_after_success() -> None:
    clock = Clock()
    sink = ScriptedSink(["down", "down", "down", "ok", "down"])
    forwarder = Forwarder(sink, clock=clock, first_backoff_s=1.0, max_backoff_s=3.0)
    forwarder.put(parcels("a")[0])
    waits = []
    for _ in range(4):
        forwarder.send()
        waits.append(forwarder.wait_s() or 0.0)
        clock.now += 10
    assert waits[:3] == pytest.approx([1.0, 2.0, 3.0], rel=0.21)  # capped at max_backoff_s
    assert forwarder.size == 0  # the fourth send succeeded
    forwarder.put(parcels("b")[0])
    forwarder.send()
    assert forwarder.wait_s() == pytest.approx(1.0, rel=0.21)


def test_the_destinations_retry_after_is_a_floor_under_the_backoff() -> None:
    clock = Clock()
    forwarder = Forwarder(ScriptedSink(["slow-down", "down", "ok"]), clock=clock,
                          first_backoff_s=1.0, max_backoff_s=60.0)  # fmt: skip
    forwarder.put(parcels("a")[0])
    forwarder.send()
    assert forwarder.wait_s() == pytest.approx(7.0)  # not the 1 s backoff
    clock.now += 6.9
    assert forwarder.send() == []  # still waiting as asked
    clock.now += 0.2
    forwarder.send()
    wait = forwarder.wait_s()
    assert wait is not None and 1.6 <= wait <= 2.4  # no Retry-After this time: the backoff


def test_runs_refused_for_good_are_resolved_and_counted_failed() -> None:
    forwarder = Forwarder(ScriptedSink(["refused"]))
    for parcel in parcels("a", "b"):
        forwarder.put(parcel)
    assert len(forwarder.send()) == 2
    assert (forwarder.counts.failed, forwarder.size, forwarder.wait_s()) == (2, 0, None)


def test_while_the_sink_is_closing_a_failed_send_resolves_nothing() -> None:
    # After close() interrupted it, a sink cannot say which runs it stored before: keep all.
    forwarder = Forwarder(ScriptedSink(["first-down"]))
    for parcel in parcels("a", "b"):
        forwarder.put(parcel)
    forwarder.closing = True
    assert forwarder.send() == []
    assert forwarder.size == 2


def test_a_sink_that_raises_is_a_retry(internal_errors: InternalErrors) -> None:
    forwarder = Forwarder(ScriptedSink(["raise"]))
    forwarder.put(parcels("a")[0])
    assert forwarder.send() == []
    assert forwarder.size == 1 and forwarder.counts.retried == 1
    assert len(internal_errors) == 1  # a bug in a sink is reported, not raised


def test_batches_are_capped_and_the_outbox_reports_its_room() -> None:
    sink = ScriptedSink()
    forwarder = Forwarder(sink, batch_size=2, max_runs=5)
    for parcel in parcels("a", "b", "c"):
        forwarder.put(parcel)
    assert forwarder.room == 2
    forwarder.send()
    forwarder.send()
    assert sink.writes == [["a", "b"], ["c"]]


def test_a_newer_copy_replaces_the_queued_run_and_inherits_its_locations() -> None:
    sink = ScriptedSink()
    forwarder = Forwarder(sink)
    old, new = parcels("old")[0], parcels("new")[0]
    new.spans = [(7, 0)]
    forwarder.put(old)
    forwarder.put(new)
    [resolved] = forwarder.send()
    assert sink.writes == [["new"]]
    assert resolved.spans == [(1, 0), (7, 0)]  # both copies leave the spool together


def test_while_more_runs_come_a_send_waits_for_a_whole_batch_or_a_full_outbox() -> None:
    sink = ScriptedSink()
    a, b, c, d, e, f = parcels("a", "b", "c", "d", "e", "f")
    forwarder = Forwarder(sink, batch_size=3, max_runs=10)
    forwarder.put(a)
    forwarder.put(b)
    assert forwarder.send(fill=True) == [] and sink.writes == []  # 2 of 3: wait for more
    forwarder.put(c)
    assert len(forwarder.send(fill=True)) == 3  # a whole batch
    full = Forwarder(sink, batch_size=3, max_runs=2)
    full.put(d)
    full.put(e)
    assert len(full.send(fill=True)) == 2  # the outbox cannot hold a whole batch
    forwarder.put(f)
    assert len(forwarder.send()) == 1  # nothing more coming: what waits is sent
    assert sink.writes == [["a", "b", "c"], ["d", "e"], ["f"]]


@dataclass
class HalvesSink:
    """Writes in two halves, like the local store: `start_write` records the batch, the
    commit it returns stores it, once the test lets it."""

    release: threading.Event = field(default_factory=threading.Event)
    committing: threading.Event = field(default_factory=threading.Event)
    started: list[list[str]] = field(default_factory=list)
    writes: list[list[str]] = field(default_factory=list)
    takes_run_data = True

    def start_write(self, runs: Sequence[Run]) -> Callable[[], SinkResult]:
        names = [run.name for run in runs]
        self.started.append(names)

        def commit() -> SinkResult:
            self.committing.set()
            self.release.wait(10)
            self.writes.append(names)
            return SinkResult(stored=len(names))

        return commit

    def write(self, runs: Sequence[Run]) -> SinkResult:
        return self.start_write(runs)()

    def close(self) -> None:
        self.release.set()


def test_a_background_commit_runs_beside_the_caller_and_resolves_only_once_it_ended() -> None:
    sink = HalvesSink()
    ended = threading.Event()
    forwarder = Forwarder(sink, batch_size=2, max_runs=2, background=True, notify=ended.set)
    for parcel in parcels("a", "b", "c"):
        forwarder.put(parcel)
    assert forwarder.send() == []  # returns while "a", "b" are still being committed
    assert sink.committing.wait(5) and forwarder.writing
    assert sink.started == [["a", "b"]] and sink.writes == []
    assert forwarder.size == 3 and forwarder.room == 1  # the runs being written are not counted
    assert forwarder.send() == [] and sink.started == [["a", "b"]]  # nothing resolved or resent
    sink.release.set()
    assert ended.wait(5)  # the thread waiting for the commit is woken
    resolved = forwarder.send()  # collects "a", "b", then starts "c"
    assert [parcel.run.name for parcel in resolved] == ["a", "b"]
    assert [parcel.run.name for parcel in forwarder.finish(5)] == ["c"]
    assert sink.writes == [["a", "b"], ["c"]] and forwarder.size == 0
    assert forwarder.counts.delivered == 3


def test_a_newer_copy_queued_during_a_background_commit_stays_for_the_next() -> None:
    sink = HalvesSink()
    forwarder = Forwarder(sink, background=True)
    old, new = parcels("old")[0], parcels("new")[0]
    new.spans = [(7, 0)]
    forwarder.put(old)
    forwarder.send()
    assert sink.committing.wait(5)
    forwarder.put(new)  # the same run id, read again while its old copy is being committed
    assert forwarder.room == forwarder.max_runs - 1  # the new copy counts, the old no longer
    sink.release.set()
    [resolved] = forwarder.finish(5)
    assert resolved is old and forwarder.size == 1  # the new copy still waits
    forwarder.send()
    [last] = forwarder.finish(5)
    assert last is new and last.spans == [(1, 0), (7, 0)]
    assert sink.writes == [["old"], ["new"]]  # the last copy is the one the sink keeps


def test_a_sink_without_halves_is_written_at_once_even_in_the_background() -> None:
    sink = ScriptedSink()
    forwarder = Forwarder(sink, background=True)
    forwarder.put(parcels("a")[0])
    [resolved] = forwarder.send()
    assert resolved.run.name == "a" and not forwarder.writing
