"""`RunIntake`: LangSmith API requests spooled durably, merged into runs, sent as spans.

    front end (request threads)              forwarding thread (step)
      accept(request, items)                   ├─ Spool.read("run_batches")   rows in order
        └─ codec.encode_request                │    items: handed over, else read again
        └─ Spool.append_run_items              ├─ RunMerger.add / take        merge, settle, TTL
           commit + fsync -> answer 202        ├─ run_sharing_input, Privacy  one run per id
        └─ items handed to the forwarder       ├─ Forwarder.send              sink, backoff
                                               └─ Spool.mark(runs=...)        resolved items

A row holds the request as received (codec.py); the items the door read are handed to the
forwarding thread in memory (at most `_MAX_HANDED_OVER` items wait there; past that, and after
a restart, the forwarder reads the row's request again, with the same reader). It shares the
OTLP receiver's spool file (table `run_batches`; the same fsync policy and size
limit) and reuses its `Forwarder`, so a destination that is down is retried exactly as the
LangSmith sink's runs are (1 s doubling to 60 s, ±20% jitter, Retry-After as a floor), and a
spooled item is marked done only once the run it went into was delivered, refused for good or
given up. After a crash every row not yet deleted is read again in order: posts, patches and
feedback of open runs are merged again, a run delivered just before the crash is sent again
with the same ids (a duplicate, never a loss).

Settings, argument > environment > default: `ttl_s` (`OTEL_RUNS_RUN_TTL_SECONDS`, 600),
`settle_s` (`OTEL_RUNS_RUN_SETTLE_SECONDS`, 2), `max_open` (`OTEL_RUNS_MAX_OPEN_RUNS`,
10,000); `privacy` as everywhere (`LANGSMITH_HIDE_INPUTS` / `_OUTPUTS`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Final

from otel_runs.env_values import number, whole_number
from otel_runs.errors import ConfigError, InvalidRunError, OtelRunsError
from otel_runs.guard import internal_errors
from otel_runs.model.run import run_sharing_input
from otel_runs.privacy import Privacy
from otel_runs.receiver.codec import CodecError
from otel_runs.receiver.forwarder import FIRST_BACKOFF_S, Forwarder, Loc, Parcel
from otel_runs.receiver.forwarding import ForwardingLoop
from otel_runs.receiver.intake import SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.langsmith_api.bodies import SpooledRequest, read_request
from otel_runs.receiver.langsmith_api.codec import decode_request, encode_request
from otel_runs.receiver.langsmith_api.items import Item
from otel_runs.receiver.langsmith_api.merge import (
    DEFAULT_MAX_OPEN,
    DEFAULT_SETTLE_S,
    DEFAULT_TTL_S,
    Ready,
    RunMerger,
)
from otel_runs.receiver.spool import Mark, OpenRow, Spool, StoredBatch, popcount, resolve_items
from otel_runs.sinks import RunSink

_logger = logging.getLogger(__name__)

ENV_RUN_TTL: Final = "OTEL_RUNS_RUN_TTL_SECONDS"
"""How long a run posted through the LangSmith API waits for its end (patch) before it is
sent unfinished (600)."""
ENV_RUN_SETTLE: Final = "OTEL_RUNS_RUN_SETTLE_SECONDS"
"""How long a complete run waits before it is sent, so feedback sent just after joins it (2)."""
ENV_MAX_OPEN: Final = "OTEL_RUNS_MAX_OPEN_RUNS"
"""Runs held open (posted, not yet complete) at most; over it the oldest goes early (10,000)."""
_TABLE: Final = "run_batches"
_READ_ITEMS: Final = 2_000
_TICK_S: Final = 1.0
_MARK_EVERY_S: Final = 0.1
"""How often marks are written while the forwarder is busy (at once when it goes idle)."""
_MAX_HANDED_OVER: Final = 50_000
"""Items the door's reading hands to the forwarder in memory at most (the rest is re-read)."""
_REREAD_LIMIT: Final = 1 << 32
"""Body size limit when a spooled request is read again (the door already held it to its own)."""


class _Marks:
    """Which items of which rows are resolved, written to the spool in one transaction."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool
        self._rows: dict[int, OpenRow] = {}
        self._touched: set[int] = set()
        self._flushed_at = 0.0

    def open(self, batch: StoredBatch) -> None:
        row = OpenRow(
            bytearray(batch.done.ljust((batch.count + 7) // 8, b"\0")),
            batch.count - popcount(batch.done),
        )
        self._rows[batch.seq] = row
        if row.remaining <= 0:  # resolved before a crash, not yet deleted
            self._touched.add(batch.seq)

    def resolve(self, locs: Sequence[Loc]) -> None:
        resolve_items(self._rows, self._touched, locs)

    def flush(self, *, now: float | None = None) -> None:
        """Write what was resolved; on failure a later call writes it. With `now` (monotonic
        seconds), only once `_MARK_EVERY_S` passed since the last write."""
        if not self._touched:
            return
        if now is not None:
            if now - self._flushed_at < _MARK_EVERY_S:
                return
            self._flushed_at = now
        rows = self._rows
        marks = {
            seq: Mark(None if row.remaining <= 0 else bytes(row.done), row.resolved)
            for seq, row in ((seq, rows[seq]) for seq in self._touched)
        }
        self._spool.mark({}, {}, runs=marks)
        for seq, mark in marks.items():
            if mark.done is None:
                del rows[seq]
            else:
                rows[seq].resolved = 0
        self._touched.clear()


@dataclass(slots=True)
class IntakeCounts:
    """Requests and items, since the intake was created."""

    accepted: int = 0
    """Items spooled (posts, patches, feedback, attachments)."""
    rejected: int = 0
    """Items the front end refused (counted through `count_rejected`)."""
    refused_full: int = 0
    refused_unavailable: int = 0
    invalid: int = 0
    """Merged runs that could not be read as runs (a patch-only run without a name...)."""
    unreadable: int = 0
    """Spooled items that could not be decoded (a damaged row)."""


class RunIntake(ForwardingLoop):
    """Spools LangSmith API items and forwards the runs they make (thread-safe `accept`)."""

    def __init__(
        self,
        spool: Spool,
        sink: RunSink,
        *,
        ttl_s: float | None = None,
        settle_s: float | None = None,
        max_open: int | None = None,
        max_outbox_runs: int = 10_000,
        sink_batch_size: int = 500,
        retry_backoff_s: float = FIRST_BACKOFF_S,
        privacy: Privacy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_outbox_runs < 1 or sink_batch_size < 1 or not retry_backoff_s > 0:
            raise ConfigError("max_outbox_runs, sink_batch_size and retry_backoff_s must be > 0")
        super().__init__()
        self.spool = spool
        self.sink: Final = sink
        self.merger = RunMerger(
            ttl_s=number("ttl_s", ttl_s, ENV_RUN_TTL, DEFAULT_TTL_S),
            settle_s=number("settle_s", settle_s, ENV_RUN_SETTLE, DEFAULT_SETTLE_S),
            max_open=whole_number("max_open", max_open, ENV_MAX_OPEN, DEFAULT_MAX_OPEN),
        )
        self.forwarder = Forwarder(
            sink, batch_size=sink_batch_size, max_runs=max_outbox_runs,
            first_backoff_s=retry_backoff_s,
        )  # fmt: skip
        self.privacy = privacy or Privacy.from_env()
        self.counts = IntakeCounts()
        self._clock = clock
        self._marks = _Marks(spool)
        self._after = 0
        self._counts_lock = threading.Lock()
        self._state = threading.Lock()
        self._stopped = False
        self._stop_result = False
        self._read_everything = False
        self._handed: dict[int, Sequence[Item]] = {}
        self._handed_items = 0
        self._handed_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RunIntake(spool={str(self.spool.path)!r}, sink={self.sink!r})"

    # --- the front end's side -----------------------------------------------------------------

    def accept(self, request: SpooledRequest, items: Sequence[Item]) -> None:
        """Spool one request (its `items` are what the door read of it) in one transaction;
        returns after the commit. Raises SpoolFullError or SpoolUnavailableError, in which case
        nothing was stored."""
        if not items:
            return
        blob = encode_request(request)
        with self._counting_refusals(), self._handed_lock:
            # Under the lock: the forwarder cannot look for this row's items before they are
            # handed over (the row is visible to it only once the commit is done).
            seq = self.spool.append_run_items(blob, len(items))
            if self._handed_items + len(items) <= _MAX_HANDED_OVER:
                self._handed[seq] = items
                self._handed_items += len(items)
        self._count("accepted", len(items))
        self._wake.set()

    def count_rejected(self, items: int) -> None:
        """Items the front end refused before `accept`."""
        self._count("rejected", items)

    @contextmanager
    def _counting_refusals(self) -> Iterator[None]:
        try:
            yield
        except SpoolFullError:
            self._count("refused_full", 1)
            raise
        except SpoolUnavailableError:
            self._count("refused_unavailable", 1)
            raise

    def _count(self, name: str, amount: int) -> None:
        with self._counts_lock:
            setattr(self.counts, name, getattr(self.counts, name) + amount)

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start forwarding (what an earlier run left spooled goes first). Idempotent."""
        with self._state:
            if self._stopped:
                raise ConfigError("a stopped RunIntake cannot start again; make a new one")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="otel-runs-langsmith-api", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 10.0, *, drain: bool = True) -> bool:
        """Stop forwarding: with `drain`, complete runs are sent (no settle wait) until the
        outbox is empty or `timeout` passes; open runs stay spooled for the next start. Closes
        the sink (not the spool: the receiver service owns it). True when everything that could
        be sent was. Idempotent."""
        with self._state:
            if self._stopped:
                return self._stop_result
            self._stopped = True
            thread = self._thread
        result = self._stop_thread(thread, time.monotonic() + max(timeout, 0.0), drain=drain)
        self._stop_result = result
        return result

    def _close_sink(self) -> None:
        with internal_errors("closing the LangSmith API's destination"):
            self.sink.close()

    def _finish(self, deadline: float) -> None:
        """Nothing to settle: this forwarder writes synchronously."""

    # --- the forwarding thread ------------------------------------------------------------

    _forwarding = "LangSmith API runs"
    _paused = "LangSmith API forwarding paused"

    def _step(self, drain: bool) -> bool:
        return self.step(drain=drain)

    def _read_all(self) -> bool:
        return self._read_everything

    def _wait_s(self) -> float:
        return self.wait_s()

    def step(self, *, drain: bool = False) -> bool:
        """One round: read new rows, merge, send one batch, mark. True when it moved anything.
        A spool error is raised after the round did what it could without it."""
        now = self._clock()
        error: SpoolUnavailableError | None = None
        read = False
        try:
            read = self._read()
        except SpoolUnavailableError as exc:
            error = exc
        ready, dropped = self.merger.take(now, drain=drain)
        self._marks.resolve(dropped)
        for item in ready:
            self._put(item)
        resolved = self.forwarder.send()
        for parcel in resolved:
            self._marks.resolve(parcel.spans)
        busy = read or bool(ready) or bool(resolved)
        # While busy, marks are written at most every _MARK_EVERY_S (each write is a commit);
        # a mark written late only means a resend after a crash, never a loss.
        self._marks.flush(now=time.monotonic() if busy and not drain else None)
        if error is not None:
            raise error
        if drain:
            self._read_everything = not read and self.forwarder.room > 0
        return busy

    def wait_s(self) -> float:
        """How long the thread may sleep before the next step has work (an accept wakes it)."""
        now = self._clock()
        waits = [_TICK_S]
        merge = self.merger.wait_s(now)
        if merge is not None:
            waits.append(merge)
        outbox = self.forwarder.wait_s()
        if outbox is not None:
            waits.append(outbox)
        return min(waits)

    def _read(self) -> bool:
        room = self.forwarder.room
        if room <= 0:  # the outbox is full: items stay spooled until the sink catches up
            return False
        batches = self.spool.read(_TABLE, self._after, max_items=min(_READ_ITEMS, room))
        for batch in batches:
            self._after = batch.seq
            self._marks.open(batch)
            with self._handed_lock:
                decoded = self._handed.pop(batch.seq, None)
                self._handed_items -= len(decoded or ())
            if decoded is None:
                try:
                    decoded = self._read_again(batch)
                except (CodecError, OtelRunsError) as exc:
                    _logger.error("spool %s: run_batches row %d is unreadable and is dropped: %s",
                                  self.spool.path, batch.seq, exc)  # fmt: skip
                    self._count("unreadable", batch.count)
                    self._marks.resolve([(batch.seq, i) for i in range(batch.count)])
                    continue
            seq, received, done = batch.seq, batch.received, batch.done
            add, resolve = self.merger.add, self._marks.resolve
            for index, item in enumerate(decoded):
                if not done or not batch.is_done(index):  # (a row read the first time: none is)
                    resolved = add(item, (seq, index), received)
                    if resolved:
                        resolve(resolved)
        return bool(batches)

    def _read_again(self, batch: StoredBatch) -> Sequence[Item]:
        """The items of a spooled request, read from its row as the door read them."""
        request = decode_request(batch.body)
        items = read_request(request, _REREAD_LIMIT).items
        if len(items) != batch.count:
            raise CodecError(f"it reads as {len(items)} items, not the {batch.count} stored")
        return items

    def _put(self, ready: Ready) -> None:
        try:
            # The merged dict is this run's alone: the run may hold its containers.
            run = run_sharing_input(ready.run)
        except InvalidRunError as exc:
            self._count("invalid", 1)
            self._warn("a LangSmith API run cannot be read and is dropped: %s", exc)
            self._marks.resolve(ready.locs)
            return
        self.privacy.apply(run)  # before the outbox: nothing hidden ever reaches a sink
        self.forwarder.put(Parcel(run, run.id.int, None, ready.locs))

    # --- observability ------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counters since creation and gauges of now.

        Items: `accepted`, `rejected`, `refused_full`, `refused_unavailable` (requests),
        `pending` (spooled, not yet resolved), `unreadable`. Runs: `open` (received, not yet
        complete), `outbox`, `completed`, `unfinished`, `finished_late`, `patch_only`,
        `incomplete`, `evicted`, `invalid`, `resent`, `duplicates`, `late_updates`; feedback and
        attachments `*_joined`, `*_late`, `*_unjoined`. Destination: `delivered`, `failed`,
        `retried`.
        """
        with self._counts_lock:
            stats = asdict(self.counts)
        stats.update(asdict(self.merger.counts))
        forward = asdict(self.forwarder.counts)
        stats.update(
            pending=self.spool.pending_run_items,
            open=self.merger.open,
            outbox=self.forwarder.size,
            delivered=forward["delivered"] + forward["duplicates"],
            failed=forward["failed"],
            retried=forward["retried"],
        )
        return stats
