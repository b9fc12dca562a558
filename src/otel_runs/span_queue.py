"""`SpanQueue`: finished spans waiting to be converted, bounded by the memory they hold, and the
one worker thread that hands them to the exporter in batches.

Why not the SDK's `BatchSpanProcessor` (docs/benchmarks.md, burst): its queue is bounded by a
span count (2,048), so a burst drops spans while memory is plentiful; its worker wakes every
512 spans, so during a burst it converts beside the app and takes the GIL from it; and its
flush and shutdown wait on the exporter without limit. Here:

- `put` refuses a span once the queued bytes would pass `max_bytes` (the caller counts it);
  a count bound applies too when one is given;
- the worker wakes every `delay_s`, when the queue holds half of `max_bytes`, when a count
  bound is given and a batch is full, and on flush and shutdown, then drains everything queued
  in batches of `batch_size`: a burst that fits is converted after it, not during it;
- `flush(timeout_s)` and `close(timeout_s)` return by their deadline; the work goes on;
- after a fork the child starts with an empty queue and a worker of its own.
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
    ) -> None:
        self._export = export
        self._size_of = size_of
        self._on_flush = on_flush
        self._on_close = on_close
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
        self.queued_bytes = 0
        self._lock = threading.Lock()
        self._export_lock = threading.Lock()
        self._wake = threading.Event()
        self._drained = threading.Condition(self._lock)
        self._flush_asked = 0
        self._flush_done = 0
        self._flush_ok = True
        self._closing = False
        self._worker = threading.Thread(target=self._work, name="otel-runs export", daemon=True)
        self._worker.start()

    def _after_fork(self) -> None:
        self._init_state()  # the parent's spans are the parent's to send

    def __len__(self) -> int:
        return len(self._items)

    # --- the app's side ------------------------------------------------------------------

    def put(self, item: T) -> bool:
        """Queue an item (of `size_of(item)` bytes); False (nothing queued) when there is no
        room."""
        size = self._size_of(item)
        with self._lock:
            if self._closing or self.queued_bytes + size > self.max_bytes:
                return False
            count = len(self._items)
            if self.max_count is not None and count >= self.max_count:
                return False
            self._items.append(item)
            self.queued_bytes += size
            wake = self.queued_bytes >= self._wake_bytes or (
                self.max_count is not None and count + 1 >= self.batch_size
            )
        if wake and not self._wake.is_set():
            self._wake.set()
        return True

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
        """Export batches until the queue is empty."""
        with self._export_lock:
            while True:
                with self._lock:
                    count = min(len(self._items), self.batch_size)
                    taken = [self._items.popleft() for _ in range(count)]
                    self.queued_bytes -= sum(map(self._size_of, taken))
                if not taken:
                    return
                try:
                    self._export(taken)
                except Exception as exc:  # the exporter never raises; if it did, go on
                    report(exc, "exporting %d spans", len(taken))
