"""Runs waiting for the sink, and the retry rules for sending them (the receiver's outbox).

Each run travels with the spool locations it came from (`Parcel`): the caller marks those done
only once `send` reports the run resolved, i.e. stored, a duplicate (the sink already had that
run id), or failed for good. Runs the sink reports as retryable (`SinkResult.retry`: timeouts,
connection errors, 429, 5xx) stay here, and no send is attempted before a backoff has passed:
1 s doubling to 60 s, ±20% jitter, reset by the first send that needs no retry. The waiting is
the caller's (the forwarding thread sleeps on an event that shutdown sets).

The outbox holds one entry per run id; a newer copy of a run that is still here replaces it and
inherits its locations (last copy wins; the old one is then resolved with it).

With `background=True`, a sink that writes in two halves (`SqliteSink.start_write`: the rows
inserted, then the commit) has its second half run on a thread of its own while the caller goes
on (reading and converting the next spans): `send` inserts, starts the commit and returns, and
a later `send` collects its answer, resolves its runs, then starts the next write. One write at
a time, so runs reach the sink in the order they were queued. The runs being written stay in
the outbox until that answer, so nothing is marked before the sink has them (committed); they
do not count against `max_runs` meanwhile (a whole batch may wait behind the one committing:
up to `max_runs` plus `batch_size` runs in memory). `notify` is called when a commit ends, so
the caller's thread can sleep until then. Any other sink is written synchronously.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from otel_runs.convert.tree import Lineage
from otel_runs.guard import internal_errors
from otel_runs.sinks import (
    AnyRun,
    RunSink,
    SinkResult,
    batch_runs,
    run_id_text,
    start_write,
    write_runs,
    writes_in_halves,
)

_logger = logging.getLogger(__name__)

FIRST_BACKOFF_S: Final = 1.0
MAX_BACKOFF_S: Final = 60.0
_JITTER: Final = 0.2
_WARN_EVERY_S: Final = 60.0

Loc = tuple[int, int]
"""A spooled item: (row seq, index in the row)."""


@dataclass(slots=True)
class Parcel:
    """A run and the spooled spans and log events it was made of."""

    run: AnyRun
    key: int
    """The run id's integer value."""
    lineage: Lineage | None = None
    """Where the run sits, kept with the spool's marks once it is delivered."""
    spans: list[Loc] = field(default_factory=list)
    logs: list[Loc] = field(default_factory=list)
    trace_id: int = 0
    """The OTel trace id of its spans (where its lineage is kept: the trace's partition)."""


@dataclass(slots=True)
class ForwardCounts:
    """What the sink did with the runs, since the forwarder was created."""

    delivered: int = 0
    """Runs the sink stored."""
    duplicates: int = 0
    """Runs the sink already had (a re-sent span, or a resend after a crash)."""
    failed: int = 0
    """Runs the sink refused for good (not retryable); their spans leave the spool."""
    retried: int = 0
    """Sends that left runs to retry."""


@dataclass(slots=True)
class _Write:
    """A sink write on the background thread, and its answer once `done` is set."""

    batch: list[Parcel]
    result: SinkResult | None = None
    """None until the sink answers (and when the write raised): every run is retried."""
    done: threading.Event = field(default_factory=threading.Event)
    by_key: dict[int, Parcel] = field(default_factory=dict)


def _ids(batch: list[Parcel]) -> list[str]:
    return [run_id_text(parcel.run) for parcel in batch]


class Forwarder:
    """The outbox. Not thread-safe: one forwarding thread owns it (`size` may be read anywhere)."""

    def __init__(
        self,
        sink: RunSink,
        *,
        batch_size: int | None = None,
        max_runs: int = 10_000,
        first_backoff_s: float = FIRST_BACKOFF_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        clock: Callable[[], float] = time.monotonic,
        background: bool = False,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.sink = sink
        self.batch_size = batch_size if batch_size is not None else batch_runs(sink)
        """Runs per sink write at most: given, else the sink's `batch_runs`."""
        self.max_runs = max_runs
        self._first_backoff = first_backoff_s
        self._max_backoff = max_backoff_s
        self._backoff = first_backoff_s
        self._retry_at = 0.0
        self._clock = clock
        self._random = random.Random()
        self._parcels: dict[int, Parcel] = {}
        self._last_warning = -_WARN_EVERY_S
        self.closing = False
        """Set once the sink is being closed to interrupt a send: a send that then fails
        resolves nothing, since the sink's counts cannot say which runs it stored first."""
        self.counts = ForwardCounts()
        self.background = background
        """Whether writes run on a thread of their own (see the module docstring)."""
        self.notify = notify
        """Called (on the committing thread) when a background commit ends."""
        self._writing: _Write | None = None
        self._flying = 0
        """Entries of the outbox that are the parcels being written (not replaced since)."""

    @property
    def size(self) -> int:
        """Runs waiting (with those being written)."""
        return len(self._parcels)

    @property
    def room(self) -> int:
        """Runs that may still be added before the outbox is full (those being written in the
        background aside)."""
        return max(self.max_runs - len(self._parcels) + self._flying, 0)

    @property
    def writing(self) -> bool:
        """Whether a background write has not been collected yet."""
        return self._writing is not None

    def holds(self, key: int) -> bool:
        """Whether a run (by its id's integer value) is waiting here."""
        return key in self._parcels

    def put(self, parcel: Parcel) -> None:
        """Queue a run; a queued copy with the same id is replaced and resolved with it."""
        older = self._parcels.get(parcel.key)
        if older is not None:
            parcel.spans[:0] = older.spans
            parcel.logs[:0] = older.logs
            writing = self._writing
            if writing is not None and writing.by_key.get(parcel.key) is older:
                self._flying -= 1  # the copy being written stays until its answer, unlisted
        self._parcels[parcel.key] = parcel

    def wait_s(self) -> float | None:
        """Seconds until a send may be attempted; None when nothing waits, or while a
        background write is under way (`notify` says when it ends)."""
        if not self._parcels or self._writing is not None:
            return None
        return max(self._retry_at - self._clock(), 0.0)

    def send(self, *, fill: bool = False) -> list[Parcel]:
        """Send the oldest runs (one sink write, at most `batch_size`) unless backing off;
        return the parcels resolved by it. With `fill` (more runs are coming: a backlog is
        being read) nothing is sent until a whole batch waits, or the outbox is full.
        In the background: collect the write whose commit ended (its resolved parcels are
        returned) and start the next; never waits for a commit."""
        resolved: list[Parcel] = []
        writing = self._writing
        if writing is not None:
            if not writing.done.is_set():
                return []
            resolved = self._collect(writing)
        wait = self.wait_s()
        if wait is None or wait > 0:
            return resolved
        if fill and len(self._parcels) < min(self.batch_size, self.max_runs):
            return resolved
        batch = list(self._parcels.values())[: self.batch_size]
        write = _Write(batch)
        runs = [parcel.run for parcel in batch]
        commit = None
        with internal_errors("writing %d runs to the sink", len(batch)):
            if self.background and writes_in_halves(self.sink):
                commit = start_write(self.sink, runs)
            else:
                write.result = write_runs(self.sink, runs)
        if commit is None:  # written at once (or the first half raised: the default answer)
            return resolved + self._settle(write)
        write.by_key = {parcel.key: parcel for parcel in batch}
        self._writing = write
        self._flying = len(batch)
        threading.Thread(
            target=self._commit, args=(write, commit), name="otel-runs-sink-commit", daemon=True
        ).start()
        return resolved

    def finish(self, timeout: float | None) -> list[Parcel]:
        """Wait up to `timeout` seconds for a background write under way, and return what it
        resolved (for a last mark at shutdown); [] when none is, or it is still running."""
        writing = self._writing
        if writing is None or not writing.done.wait(timeout):
            return []
        return self._collect(writing)

    def _collect(self, writing: _Write) -> list[Parcel]:
        self._writing = None
        self._flying = 0
        return self._settle(writing)

    def _commit(self, write: _Write, commit: Callable[[], SinkResult]) -> None:
        try:
            with internal_errors("writing %d runs to the sink", len(write.batch)):
                write.result = commit()
        finally:
            write.done.set()
            if self.notify is not None:
                with internal_errors("waking the forwarding thread"):
                    self.notify()

    def _settle(self, write: _Write) -> list[Parcel]:
        """Resolve what one write's answer resolved; count; back off when it asks for it."""
        batch, result = write.batch, write.result
        if result is None:  # no answer: none of them is known to be stored
            result = SinkResult(failed=len(batch), retry=tuple(_ids(batch)))
        retry = set(result.retry)
        if self.closing and result.failed:
            return []
        if retry:  # (run ids as text only then: most writes leave nothing to retry)
            ids = _ids(batch)
            resolved = [p for p, run_id in zip(batch, ids, strict=True) if run_id not in retry]
        else:
            resolved = batch
        parcels = self._parcels
        for parcel in resolved:
            # A newer copy queued during a background write stays (it holds these locations too).
            if parcels.get(parcel.key) is parcel:
                del parcels[parcel.key]
        counts = self.counts
        counts.delivered += result.stored
        counts.duplicates += result.duplicates
        counts.failed += max(result.failed - len(retry), 0)
        if result.failed > len(retry):
            self._warn(
                "the sink refused %d runs for good (their spans leave the spool): %s",
                result.failed - len(retry),
                result.error,
            )
        if retry:
            counts.retried += 1
            wait = self._backoff * self._random.uniform(1 - _JITTER, 1 + _JITTER)
            # The destination's own Retry-After is a floor (capped, so a bad header cannot stall
            # the receiver for hours).
            asked = min(result.retry_after_s or 0.0, self._max_backoff)
            self._retry_at = self._clock() + max(wait, asked)
            self._warn(
                "the sink could not take %d runs now (%s); retrying in %.1f s",
                len(retry),
                result.error,
                self._retry_at - self._clock(),
            )
            self._backoff = min(self._backoff * 2, self._max_backoff)
        else:
            self._backoff = self._first_backoff
            self._retry_at = 0.0
        return resolved

    def retry_now(self) -> None:
        """Forget the backoff (shutdown makes one last attempt)."""
        self._retry_at = 0.0

    def _warn(self, message: str, *args: object) -> None:
        """At most one warning a minute: an outage must not flood the log."""
        now = self._clock()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            _logger.warning(message, *args)
