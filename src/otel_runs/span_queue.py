"""`SpanQueue`: finished spans waiting to be converted, bounded by the memory they hold, and the
one worker thread that hands them to the exporter in batches.

Why not the SDK's `BatchSpanProcessor` (docs/benchmarks.md, burst): its queue is bounded by a
span count (2,048), so a burst drops spans while memory is plentiful; its worker wakes every
512 spans, so during a burst it converts beside the app and takes the GIL from it; and its
flush and shutdown wait on the exporter without limit. Here:

- `put` refuses a span once the queued bytes would pass `max_bytes` (`on_drop` counts it);
  a count bound applies too when one is given;
- `put` never waits for the queue's lock (below);
- the worker wakes every `delay_s`, when the queue holds half of `max_bytes`, when a count
  bound is given and a batch is full, and on flush and shutdown, then drains everything queued
  in batches of `batch_size`: a burst that fits is converted after it, not during it;
- `flush(timeout_s)` and `close(timeout_s)` return by their deadline; the work goes on;
- after a fork the child starts with an empty queue and a worker of its own.

Why `put` never blocks on the lock: the app threads share the GIL, which the interpreter takes
from a running thread every few milliseconds, sometimes between its acquiring and releasing our
lock. With a blocking acquire, the next app thread to end a span then sleeps on the lock and
lets go of the GIL; when the lock is freed that sleeper gets it without the GIL, and must wait
for the GIL while holding it, so the next put blocks again, and so on: a lock convoy in which
every span costs each app thread a context switch or two. Measured with four app threads
(docs/benchmarks.md, hot path): up to 1.6 voluntary context switches and 18 us of system time
per span in the rounds where it formed, up to 2.7x the app threads' CPU. So `put` only tries
the lock; when another thread holds it, the span goes into a lock-free inbox (a deque append
is atomic) and the lock's next holder (a later put, or the worker) admits it under the same
bounds. BatchSpanProcessor takes no lock on the app's side either (a bare deque append), which
is why it never paid this.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from otel_runs.guard import report

_logger = logging.getLogger(__name__)

T = TypeVar("T")


class SpanQueue(Generic[T]):
    """A byte-bounded queue drained by one daemon worker into `export` (see the module)."""

    def __init__(
        self,
        export: Callable[[Sequence[T]], object],
        size_of: Callable[[T], int],
        *,
        max_bytes: int,
        batch_size: int,
        delay_s: float,
        max_count: int | None = None,
        on_flush: Callable[[], bool] | None = None,
        on_close: Callable[[], object] | None = None,
        on_drop: Callable[[int], object] | None = None,
    ) -> None:
        """`on_drop(n)` is told of every n items refused for want of room (or after close),
        on the thread that refused them, outside the lock."""
        self._export = export
        self._size_of = size_of
        self._on_flush = on_flush
        self._on_close = on_close
        self._on_drop = on_drop
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self.delay_s = delay_s
        self.max_count = max_count
        self._wake_bytes = max_bytes // 2
        self._init_state()
        if hasattr(os, "register_at_fork"):
            reinit = weakref.WeakMethod(self._after_fork)
            os.register_at_fork(after_in_child=lambda: (method := reinit()) and method())

    def _init_state(self) -> None:
        self._items: deque[T] = deque()
        self._sizes: deque[int] = deque()  # each item's size, kept beside it (never re-sized)
        self._inbox: deque[tuple[T, int]] = deque()  # put while another thread held the lock
        self.queued_bytes = 0
        self._lock = threading.Lock()
        self._export_lock = threading.Lock()
        self._wake = threading.Event()
        self._drained = threading.Condition(self._lock)
        self._flush_asked = 0
        self._flush_done = 0
        self._flush_ok = True
        self._closing = False
        self._closed = False  # the worker is making (or has made) its last drain
        self._worker = threading.Thread(target=self._work, name="otel-runs export", daemon=True)
        self._worker.start()

    def _after_fork(self) -> None:
        self._init_state()  # the parent's spans are the parent's to send

    def __len__(self) -> int:
        return len(self._items) + len(self._inbox)

    # --- the app's side ------------------------------------------------------------------

    def put(self, item: T) -> bool:
        """Queue an item (of `size_of(item)` bytes); False when it is refused (no room, or
        closing: `on_drop` is told). Never waits: while another thread holds the lock, the
        item waits in the inbox and the lock's next holder admits or refuses it."""
        size = self._size_of(item)
        lock = self._lock
        if not lock.acquire(False):  # (see the module: blocking here is what makes convoys)
            return self._put_in_inbox(item, size)
        try:
            refused = self._admit_inbox() if self._inbox else 0
            queued = not self._closing and self._fits(size)
            if queued:
                self._items.append(item)
                self._sizes.append(size)
                self.queued_bytes += size
            else:
                refused += 1
            wake = self.queued_bytes >= self._wake_bytes or (
                self.max_count is not None and len(self._items) >= self.batch_size
            )
        finally:
            lock.release()
        if wake and not self._wake.is_set():
            self._wake.set()
        if refused:
            self._dropped(refused)
        return queued

    def _fits(self, size: int) -> bool:
        """Whether an item of `size` bytes fits in the bounds now (the lock is held)."""
        if self.queued_bytes + size > self.max_bytes:
            return False
        return self.max_count is None or len(self._items) < self.max_count

    def _put_in_inbox(self, item: T, size: int) -> bool:
        if self._closing:
            self._dropped(1)
            return False
        entry = (item, size)
        self._inbox.append(entry)
        if self._closed:  # the worker may have made its last drain before the append:
            try:  # take the item back unless it did take it in (each is counted once)
                self._inbox.remove(entry)
            except ValueError:
                return True
            self._dropped(1)
            return False
        return True

    def _admit_inbox(self) -> int:
        """Move what waits in the inbox into the queue, under the same bounds as `put`; how
        many items were refused (the lock is held)."""
        inbox, refused = self._inbox, 0
        while inbox:
            item, size = inbox.popleft()
            if self._fits(size):
                self._items.append(item)
                self._sizes.append(size)
                self.queued_bytes += size
            else:
                refused += 1
        return refused

    def _dropped(self, count: int) -> None:
        if self._on_drop is not None:
            try:
                self._on_drop(count)
            except Exception as exc:
                report(exc, "counting %d dropped spans", count)

    def flush(self, timeout_s: float) -> bool:
        """Export everything queued now, then call `on_flush` (on the worker); whether that
        finished within `timeout_s` and `on_flush` said yes."""
        with self._lock:
            self._flush_asked += 1
            asked = self._flush_asked
            self._wake.set()
            done = self._drained.wait_for(lambda: self._flush_done >= asked, timeout_s)
            return done and self._flush_ok

    def close(self, timeout_s: float) -> bool:
        """Refuse new items, export what is queued, then call `on_close`; whether that finished
        within `timeout_s` (past it, the worker goes on in the background)."""
        with self._lock:
            self._closing = True
        self._wake.set()
        if self._worker is threading.current_thread():
            return False
        self._worker.join(max(timeout_s, 0.0))
        return not self._worker.is_alive()

    # --- the worker ----------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            self._wake.wait(self.delay_s)
            self._wake.clear()
            with self._lock:
                asked, closing = self._flush_asked, self._closing
                self._closed = closing
            self._drain()
            ok = True
            if asked > self._flush_done and self._on_flush is not None:
                try:
                    ok = self._on_flush()
                except Exception as exc:
                    report(exc, "flushing the exporter")
                    ok = False
            with self._lock:
                if asked > self._flush_done:
                    self._flush_done, self._flush_ok = asked, ok
                self._drained.notify_all()
            if closing:
                break
        if self._on_close is not None:
            try:
                self._on_close()
            except Exception as exc:
                report(exc, "closing the exporter")

    def _drain(self) -> None:
        """Export batches until the queue (and the inbox) is empty."""
        with self._export_lock:
            while True:
                with self._lock:
                    refused = self._admit_inbox() if self._inbox else 0
                    count = min(len(self._items), self.batch_size)
                    popleft, size_popleft = self._items.popleft, self._sizes.popleft
                    taken = [popleft() for _ in range(count)]
                    self.queued_bytes -= sum([size_popleft() for _ in range(count)])
                if refused:
                    self._dropped(refused)
                if not taken:
                    return
                try:
                    self._export(taken)
                except Exception as exc:  # the exporter never raises; if it did, go on
                    report(exc, "exporting %d spans", len(taken))
