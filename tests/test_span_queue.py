"""SpanQueue on its own: items are strings sized by their length, exported into a list."""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pytest

from otel_runs.span_queue import SpanQueue
from tests.conftest import InternalErrors


class _Destination:
    """Where the queue's worker exports to, and what the queue said it dropped."""

    def __init__(self) -> None:
        self.exported: list[str] = []
        self.dropped = 0
        self._lock = threading.Lock()

    def export(self, items: Sequence[str]) -> None:
        with self._lock:
            self.exported.extend(items)

    def drop(self, count: int) -> None:
        with self._lock:
            self.dropped += count

    def queue(self, max_bytes: int, max_count: int | None = None) -> SpanQueue[str]:
        return SpanQueue(
            self.export, len, max_bytes=max_bytes, batch_size=4, delay_s=60.0,
            max_count=max_count, on_drop=self.drop,
        )  # fmt: skip


@contextmanager
def _lock_held_elsewhere(
    queue: SpanQueue[str], release: threading.Event | None = None
) -> Iterator[None]:
    """Another thread holds the queue's lock, as an app thread does when the interpreter hands
    the GIL on in the middle of its put (until the block ends, or `release` is set)."""
    held, release = threading.Event(), release or threading.Event()

    def hold() -> None:
        with queue._lock:
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def _in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Start `call` on a thread of its own; (the thread, where its result will be)."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


def test_put_does_not_wait_for_a_lock_another_thread_holds() -> None:
    """A put that blocked here is how four app threads fell into a lock convoy (each span a
    context switch or two: docs/benchmarks.md, hot path)."""
    destination = _Destination()
    queue = destination.queue(max_bytes=100)
    with _lock_held_elsewhere(queue):
        putter, result = _in_thread(lambda: queue.put("abc"))
        putter.join(10)  # (a failsafe: a put that waits for the lock is still waiting)
        assert not putter.is_alive()
        assert result == [True]
        assert len(queue) == 1
    assert queue.flush(10)
    assert destination.exported == ["abc"]
    assert queue.queued_bytes == 0
    assert queue.close(10)


def test_items_put_while_the_lock_was_held_keep_to_the_bounds_and_drops_are_counted() -> None:
    destination = _Destination()
    queue = destination.queue(max_bytes=20)  # (the worker wakes at 10 bytes)
    assert queue.put("a" * 6)
    with _lock_held_elsewhere(queue):
        assert queue.put("b" * 4)  # waits in the inbox: admitted (or not) by the next holder
        assert queue.put("c" * 11)
    assert queue.put("d" * 11) is False  # takes in b (10 bytes), refuses c and d (21 > 20)
    assert destination.dropped == 2
    with _lock_held_elsewhere(queue):
        assert queue.put("e" * 21)
    assert queue.flush(10)  # the worker takes the inbox in too
    assert destination.dropped == 3
    assert destination.exported == ["a" * 6, "b" * 4]
    assert queue.queued_bytes == 0
    assert len(queue) == 0
    assert queue.close(10)


def test_the_count_bound_holds_for_items_from_the_inbox() -> None:
    destination = _Destination()
    queue = destination.queue(max_bytes=1_000, max_count=2)
    with _lock_held_elsewhere(queue):
        for item in ("a", "b", "c"):
            assert queue.put(item)
    assert queue.flush(10)
    assert destination.exported == ["a", "b"]
    assert destination.dropped == 1
    assert queue.close(10)


def test_close_exports_what_waited_in_the_inbox_and_refuses_what_comes_after() -> None:
    destination = _Destination()
    queue = destination.queue(max_bytes=100)
    with _lock_held_elsewhere(queue):
        assert queue.put("early")
        closer, closed = _in_thread(lambda: queue.close(10))  # waits for the lock too
    closer.join(10)
    assert closed == [True]
    assert destination.exported == ["early"]
    assert queue.put("late") is False
    with _lock_held_elsewhere(queue):
        assert queue.put("later") is False
    assert destination.dropped == 2
    assert len(queue) == 0


def test_an_item_that_reaches_the_inbox_after_the_last_drain_is_counted() -> None:
    """The put saw the queue open, then the worker made its last drain before the put's
    append: nothing will take the item in any more, so the put takes it back and counts it."""
    destination = _Destination()
    queue = destination.queue(max_bytes=100)
    release = threading.Event()

    class LateInbox(deque[tuple[str, int]]):
        def append(self, entry: tuple[str, int]) -> None:
            release.set()  # the lock's holder lets go; close() and the last drain run
            assert queue.close(10)
            super().append(entry)

    queue._inbox = LateInbox()
    with _lock_held_elsewhere(queue, release):
        assert queue.put("late") is False
    assert destination.exported == []
    assert destination.dropped == 1
    assert len(queue) == 0


def test_many_threads_lose_nothing_uncounted_and_never_pass_the_byte_bound() -> None:
    """Threads switched every microsecond, so that many puts find the lock taken; a slow
    destination, so that the bound is reached: every item is exported or counted, once."""
    destination = _Destination()
    queue = destination.queue(max_bytes=2_000)
    highest = [0]
    threads, per_thread = 6, 2_000

    def put_many(name: str) -> None:
        for index in range(per_thread):
            queue.put(f"{name}{index:05d}")  # 6-7 bytes each
            highest[0] = max(highest[0], queue.queued_bytes)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=put_many, args=(f"t{n}",)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(previous)
    assert queue.flush(30)
    assert highest[0] <= 2_000
    assert len(destination.exported) == len(set(destination.exported))
    assert len(destination.exported) + destination.dropped == threads * per_thread
    assert queue.queued_bytes == 0
    assert queue.close(10)


@pytest.mark.parametrize("held", [False, True], ids=["lock free", "lock held"])
def test_a_failing_drop_counter_never_reaches_the_caller(
    held: bool, internal_errors: InternalErrors
) -> None:
    def broken(count: int) -> None:
        raise RuntimeError("counter broke")

    queue: SpanQueue[str] = SpanQueue(
        lambda items: None, len, max_bytes=1, batch_size=1, delay_s=60.0, on_drop=broken
    )
    if held:
        with _lock_held_elsewhere(queue):
            queue.put("xx")
        assert queue.put("y")  # admits the inbox: xx is refused, the counter raises
    else:
        assert queue.put("xx") is False
    assert [str(error) for error in internal_errors.errors] == ["counter broke"]
    assert queue.close(10)
