"""Writers of one store taking turns (`SqliteSink(take_turns=True)`, `sinks/_turns.py`)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from otel_runs.model.run import Run
from otel_runs.sinks import SinkResult
from otel_runs.sinks.sqlite import SqliteSink, read_runs
from tests.support.agent_spans import agent_runs
from tests.support.receiver_stores import receiver_store_writers


def _turn_file(store: Path) -> Path:
    return store.with_name(store.name + "-turns")


def _turn_is_free(store: Path) -> bool:
    fd = os.open(_turn_file(store), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # (which frees a lock taken here)
    return True


@contextmanager
def _turn_held(store: Path) -> Iterator[None]:
    """Another writer's turn, as a process of its own would hold it (its own open file)."""
    fd = os.open(_turn_file(store), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def test_a_write_holds_its_turn_from_its_inserts_until_its_commit_returned(
    tmp_path: Path,
) -> None:
    store = tmp_path / "runs.sqlite"
    sink = SqliteSink(store, take_turns=True)
    runs = agent_runs(1)
    commit = sink.start_write(runs)
    assert not _turn_is_free(store), "inserted, not committed: the turn is this writer's"
    assert commit() == SinkResult(stored=len(runs))
    assert _turn_is_free(store)
    sink.close()
    assert read_runs(store) == runs


def _written_after_the_turn(sink: SqliteSink, runs: list[Run]) -> SinkResult | None:
    """The answer to writing `runs` while another writer holds the store's turn (no SQLite lock
    is held: only the turn can keep the write waiting); None when the write answered before
    that turn ended."""
    answers: list[SinkResult] = []
    writer = threading.Thread(target=lambda: answers.append(sink.write(runs)))
    with _turn_held(sink.path):
        writer.start()
        writer.join(0.3)
        if answers:
            return None
    writer.join(10)
    return answers[0]


def test_a_write_waits_for_another_writers_turn(tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "runs.sqlite", take_turns=True)
    runs = agent_runs(1)
    assert _written_after_the_turn(sink, runs) == SinkResult(stored=len(runs))
    sink.close()


def test_a_turn_not_had_in_time_is_skipped_not_a_failed_write(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    sink = SqliteSink(store, timeout=0.2, take_turns=True)
    runs = agent_runs(1)
    with _turn_held(store):
        assert sink.write(runs) == SinkResult(stored=len(runs))
    sink.close()
    assert read_runs(store) == runs


def test_a_failed_write_ends_its_turn(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    store.mkdir()  # no file can be opened there: the write fails after taking its turn
    sink = SqliteSink(store, take_turns=True)
    assert sink.write(agent_runs(1)).error is not None
    assert _turn_is_free(store), "the failed write's answer ended its turn"
    sink.close()


def test_a_sink_without_turns_makes_no_turn_file_and_waits_for_none(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    sink = SqliteSink(store)
    runs = agent_runs(2)
    with _turn_held(store):  # other writers' turns do not hold it up
        assert sink.write(runs[:3]) == SinkResult(stored=3)
    _turn_file(store).unlink()
    assert sink.write(runs[3:]) == SinkResult(stored=len(runs) - 3)
    sink.close()
    assert not _turn_file(store).exists()


def test_every_store_writer_of_the_receiver_takes_turns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`otel-runs serve`'s two store writers (the OTLP forwarding's, in each worker, and the
    LangSmith API's `--to store`) and `ReceiverService`'s default store, which its worker
    processes each write."""
    with receiver_store_writers(tmp_path, monkeypatch) as sinks:
        for sink in sinks:
            # The same runs each time: later writes find them stored, so only errors count.
            answer = _written_after_the_turn(sink, agent_runs(1))
            assert answer is not None, f"{sink!r} did not wait for its turn"
            assert answer.error is None
