"""From the spool to the sink: read spooled spans, join their log events, assemble traces, send.

One `step` does, on the forwarding thread:

1. read span rows that have *settled* (arrived `settle_s` ago or more; all of them when
   draining), as many as the outbox has room for, and join the log events waiting for them;
2. read log-event rows that arrived up to `settle_s` after the newest span row read; an event
   whose span is held is joined to it at once, the others wait, by (trace id, span id), for
   their span (during a backlog, later log events stay in the spool instead of in memory);
3. hand the new (and newly joined) spans to the `TraceAssembler` (TTL, capped waiting room,
   orphans become roots); emitted runs go to the outbox with the spool locations they came from,
   each tagged with its request's project unless a span attribute named one;
4. send one batch from the outbox (`Forwarder`; the local store's commit runs on a thread of
   its own, and a later step collects its answer);
5. mark resolved items in the spool (one transaction): spans that became delivered runs, spans
   that never become runs (invalid, filtered by `keep`, Logfire placeholders), and log events
   joined to a delivered run or given up waiting for their span.

Nothing is marked before the sink has it, so a crash at any point re-reads, after the restart,
every span that was not delivered, including those the assembler held; a run delivered just
before the crash (not yet marked) is sent again and the sink sees a duplicate of the same id.
The lineage of each delivered run is kept with its marks and given back to the assembler on
start, so a child read again after a restart still hangs under its delivered parent.

Log events and their span may arrive in either order (see docs/spool.md, "Log events").
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from otel_runs.convert.assembler import TraceAssembler
from otel_runs.convert.identity import run_key
from otel_runs.convert.run_data import RunData
from otel_runs.convert.spans_to_runs import Keep
from otel_runs.convert.tree import Lineage, lineage_of
from otel_runs.model.span_record import EventRecord, SpanRecord
from otel_runs.privacy import Privacy
from otel_runs.receiver.codec import (
    CodecError,
    decode_lineage,
    decode_lineages,
    decode_log_events,
    decode_spans,
    encode_lineages,
)
from otel_runs.receiver.forwarder import Forwarder, Loc, Parcel
from otel_runs.receiver.intake import SpoolUnavailableError
from otel_runs.receiver.partitions import partition_of
from otel_runs.receiver.spool import (
    Mark,
    OpenRow,
    Spool,
    StoredBatch,
    Table,
    popcount,
    resolve_items,
)

_logger = logging.getLogger(__name__)

TICK_S: Final = 1.0
"""How often, at most, waiting spans are checked for their TTL and log events for theirs."""
_SESSION_NAME: Final = "session_name"
"""The run's project name, kept in `Run.unmapped` (see model/ingest.py)."""

_UUID_LIMIT: Final = 1 << 128

SpanKey = tuple[int, int]
"""(trace id, span id): how a log event names its span."""


@dataclass(slots=True)
class _Held:
    """A span handed to the assembler and not emitted yet."""

    record: SpanRecord
    """As spooled, without joined log events."""
    key: SpanKey
    project: str | None
    spans: list[Loc]
    logs: list[Loc] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    """Joined log events."""


@dataclass(slots=True)
class _WaitingLog:
    event: EventRecord
    loc: Loc
    received: float


@dataclass(slots=True)
class PipelineCounts:
    """What the pipeline did, since it was created."""

    spans_read: int = 0
    resent: int = 0
    """Spans read while an earlier copy (same run id) was still held or queued: last copy won."""
    not_runs: int = 0
    """Spans resolved without a run: invalid, filtered by `keep`, Logfire placeholders."""
    unreadable: int = 0
    """Spooled items that could not be decoded (a damaged row); logged, then dropped."""
    log_events_joined: int = 0
    log_events_unjoined: int = 0
    """Log events whose span did not come within the wait (or came after its run was sent)."""


class Pipeline:
    """Spool -> assembler -> forwarder. Driven by one thread through `step`.

    With `parts` > 1 it reads, assembles and marks only the rows of partition `part` (one worker
    process of `otel-runs serve --workers`), and takes back only its partition's lineages.
    """

    def __init__(
        self,
        spool: Spool,
        forwarder: Forwarder,
        *,
        keep: Keep = "all",
        ttl_s: float = 30.0,
        max_waiting: int = 10_000,
        settle_s: float = 2.0,
        log_wait_s: float = 300.0,
        max_waiting_logs: int = 100_000,
        read_spans: int = 2_000,
        clock: Callable[[], float] = time.time,
        privacy: Privacy | None = None,
        part: int = 0,
        parts: int = 1,
    ) -> None:
        self.spool = spool
        self.part = part if parts > 1 else None
        self.parts = parts
        self.privacy = privacy or Privacy()
        self.forwarder = forwarder
        self.assembler = TraceAssembler(keep=keep, ttl_s=ttl_s, max_waiting=max_waiting)
        self.settle_s = settle_s
        self.log_wait_s = log_wait_s
        self.max_waiting_logs = max_waiting_logs
        self.read_spans = read_spans
        self._clock = clock
        self._span_after = 0
        self._log_after = 0
        self._held: dict[int, _Held] = {}
        """By run key (the run id's integer value)."""
        self._by_key: dict[SpanKey, int] = {}
        self._logs: dict[SpanKey, list[_WaitingLog]] = {}
        self._log_order: deque[tuple[float, SpanKey]] = deque()
        self._waiting_logs = 0
        self._open: dict[Table, dict[int, OpenRow]] = {"span_batches": {}, "log_batches": {}}
        self._touched: dict[Table, set[int]] = {"span_batches": set(), "log_batches": set()}
        self._next_tick = 0.0
        self._unsettled_at: float | None = None
        self._frontier = 0.0
        """Every span row that arrived before this time has been read."""
        self.read_everything = False
        """Set by a draining step that found no row left to read."""
        self.counts = PipelineCounts()
        self._lineages: list[tuple[int, int, Lineage]] = []
        """Of runs just delivered (run id, trace id, lineage), written with the next marks."""
        self._load_lineages()

    def _load_lineages(self) -> None:
        """The lineages the spool kept (of this partition's traces), oldest first, so the
        newest of a run wins."""
        stored = self.spool.read_lineages()
        remember = self.assembler.remember
        for run_id, blob in stored.legacy:  # schema 1: no trace id, every partition takes it
            try:
                remember(int.from_bytes(run_id, "big"), decode_lineage(blob))
            except (CodecError, ValueError) as exc:
                _logger.debug("spool %s: skipping a lineage row: %s", self.spool.path, exc)
        for body in stored.batches:
            try:
                lineages = decode_lineages(body)
            except CodecError as exc:
                _logger.debug("spool %s: skipping a lineage row: %s", self.spool.path, exc)
                continue
            for key, trace_id, lineage in lineages:
                if self.part is None or partition_of(trace_id, self.parts) == self.part:
                    remember(key, lineage)

    # --- the step -------------------------------------------------------------------------

    def step(self, *, drain: bool = False) -> bool:
        """Do one round; True when it moved anything (call again at once). A spool error is
        raised after the round did what it could without it."""
        now = self._clock()
        joined: dict[int, _Held] = {}
        error: SpoolUnavailableError | None = None
        read_any = more = more_logs = False
        try:
            read_any, more = self._read_spans(now, joined, drain=drain)
            # Log events only up to where spans were read (plus the settle time): during a
            # backlog the others stay in the spool, not in memory, until their spans are near.
            more_logs = self._read_logs(joined, None if drain else self._frontier + self.settle_s)
        except SpoolUnavailableError as exc:
            error = exc
        tick = now >= self._next_tick
        if joined or tick:
            self._assemble(list(joined.values()))
            if tick:
                self._expire_logs()
                self._next_tick = now + TICK_S
        # While reads find spans (a backlog, or a steady stream), runs gather into whole
        # batches: a store write costs less per run the more runs it carries (sinks/sqlite.py,
        # `batch_runs`). The first step that finds nothing new sends what waits.
        resolved = self.forwarder.send(fill=read_any and not drain and error is None)
        self._delivered(resolved)
        self.flush_marks()
        if error is not None:
            raise error
        if drain:
            self.read_everything = not (read_any or more or more_logs) and self.forwarder.room > 0
        return read_any or more or more_logs or bool(resolved)

    def finish(self, timeout: float) -> None:
        """At shutdown, once `step` is no longer called: wait up to `timeout` seconds for a
        background sink write under way, and mark what it delivered."""
        resolved = self.forwarder.finish(timeout)
        if resolved:
            self._delivered(resolved)
            self.flush_marks()

    def _delivered(self, resolved: list[Parcel]) -> None:
        """Resolve the spool items of runs the sink answered for (marked by `flush_marks`)."""
        if not resolved:
            return
        spans = [loc for parcel in resolved for loc in parcel.spans]
        self._resolve_all("span_batches", spans)
        logs = [loc for parcel in resolved if parcel.logs for loc in parcel.logs]
        if logs:
            self._resolve_all("log_batches", logs)
        self._lineages.extend(
            (parcel.key, parcel.trace_id, parcel.lineage)
            for parcel in resolved
            if parcel.lineage is not None
        )

    def wait_s(self) -> float:
        """How long the thread may sleep before the next step has something to do (an append
        wakes it earlier)."""
        waits = [max(self._next_tick - self._clock(), 0.0)]
        outbox = self.forwarder.wait_s()
        if outbox is not None:
            waits.append(outbox)
        if self._unsettled_at is not None:
            waits.append(max(self._unsettled_at + self.settle_s - self._clock(), 0.0))
        return min(waits)

    @property
    def held(self) -> int:
        """Spans the assembler holds back now."""
        return len(self._held)

    @property
    def waiting_logs(self) -> int:
        """Log events waiting for their span now."""
        return self._waiting_logs

    # --- reading ------------------------------------------------------------------------------

    def _read_logs(self, joined: dict[int, _Held], before: float | None) -> bool:
        """New log events that arrived before `before`: joined to held spans (added to
        `joined`, to be re-assembled) or parked until their span comes. True when the item
        budget stopped the read."""
        batches = self.spool.read(
            "log_batches",
            self._log_after,
            max_items=self.read_spans,
            received_before=before,
            part=self.part,
        )
        for batch in batches:
            self._log_after = batch.seq
            open_batch = self._open_batch("log_batches", batch)
            try:
                events = decode_log_events(batch.body)
            except CodecError as exc:
                self._unreadable("log_batches", batch, open_batch, exc)
                continue
            for index, log in enumerate(events):
                if batch.is_done(index):
                    continue
                loc = (batch.seq, index)
                key = (log.trace_id, log.span_id)
                run_id = self._by_key.get(key)
                if run_id is not None:
                    held = self._held[run_id]
                    self._join(held, log.event, loc)
                    joined[run_id] = held
                    continue
                self._logs.setdefault(key, []).append(_WaitingLog(log.event, loc, batch.received))
                self._log_order.append((batch.received, key))
                self._waiting_logs += 1
        return sum(batch.count for batch in batches) >= self.read_spans

    def _read_spans(self, now: float, new: dict[int, _Held], *, drain: bool) -> tuple[bool, bool]:
        """Settled span rows into `new` (by run id); returns (read any, more may be ready)."""
        room = self.forwarder.room
        if room <= 0:  # the outbox is full: spans stay spooled until the sink catches up
            self._unsettled_at = None
            return False, False
        budget = min(self.read_spans, room)
        before = None if drain else now - self.settle_s
        batches = self.spool.read(
            "span_batches",
            self._span_after,
            max_items=budget,
            received_before=before,
            part=self.part,
        )
        items = 0
        for batch in batches:
            self._span_after = batch.seq
            items += batch.count
            self._read_batch(batch, new)
        if items >= budget:  # stopped by the budget: read up to the last row's arrival
            self._frontier = max(self._frontier, batches[-1].received)
        else:  # everything that arrived before the cutoff is read
            self._frontier = max(self._frontier, now if before is None else before)
        if drain:
            self._unsettled_at = None
        elif not batches:
            self._unsettled_at = self.spool.next_arrival(
                "span_batches", self._span_after, self.part
            )
        else:
            self._unsettled_at = None
        return bool(batches), items >= budget

    def _read_batch(self, batch: StoredBatch, new: dict[int, _Held]) -> None:
        open_batch = self._open_batch("span_batches", batch)
        try:
            records = decode_spans(batch.body)
        except CodecError as exc:
            self._unreadable("span_batches", batch, open_batch, exc)
            return
        # Read per span: what the loop uses is looked up once per row.
        counts, held_by_run, by_key, logs = self.counts, self._held, self._by_key, self._logs
        holds, seq, project, done = self.forwarder.holds, batch.seq, batch.project, batch.done
        for index, record in enumerate(records):
            if done and batch.is_done(index):  # (a row read again after a restart)
                continue
            counts.spans_read += 1
            loc = (seq, index)
            run_id = run_key(record)
            if not (isinstance(run_id, int) and 0 <= run_id < _UUID_LIMIT):
                counts.not_runs += 1  # ids no run can be made of: the assembler rejects
                self._resolve("span_batches", loc)
                continue
            key = (record.trace_id, record.span_id)
            held = held_by_run.get(run_id)
            if held is not None or holds(run_id):
                counts.resent += 1
            if held is None:
                held = _Held(record, key, project, [loc])
                held_by_run[run_id] = held
            else:  # a re-sent span (or another span with the same run id): last copy wins
                held.record = record
                held.project = project
                held.spans.append(loc)
                if held.key != key:
                    by_key.pop(held.key, None)
                    held.key = key
            by_key[key] = run_id
            if logs:  # log events wait for their span
                for waiting in logs.pop(key, ()):
                    self._waiting_logs -= 1
                    self._join(held, waiting.event, waiting.loc)
            new[run_id] = held

    def _join(self, held: _Held, event: EventRecord, loc: Loc) -> None:
        held.logs.append(loc)
        if event not in held.events:  # a re-sent log record joins once
            held.events.append(event)
            self.counts.log_events_joined += 1

    def _unreadable(
        self, table: Table, batch: StoredBatch, open_batch: OpenRow, exc: CodecError
    ) -> None:
        _logger.error("spool %s: %s row %d is unreadable and is dropped: %s",
                      self.spool.path, table, batch.seq, exc)  # fmt: skip
        self.counts.unreadable += open_batch.remaining
        for index in range(batch.count):
            self._resolve(table, (batch.seq, index))

    # --- assembling ---------------------------------------------------------------------------

    def _assemble(self, batch: list[_Held]) -> None:
        records = [_with_events(held) if held.events else held.record for held in batch]
        assembler = self.assembler
        conversion = assembler.take(records)
        # Per run: what the loop uses is looked up once per batch.
        held_by_run, by_key, put = self._held, self._by_key, self.forwarder.put
        hide = self.privacy.apply if self.privacy.active else None
        for run in conversion.runs:
            key = run.key
            held = held_by_run.pop(key, None)
            if held is None:  # pragma: no cover - every record given to the assembler is held
                continue
            if by_key.get(held.key) == key:
                del by_key[held.key]
            # The assembler worked the lineage out already; a project routed here changes it,
            # for the children still to come in this process as for those after a restart.
            if _route(run, held.project):
                lineage = lineage_of(run)
                assembler.remember(key, lineage)
            else:
                lineage = assembler.lineage(key) or lineage_of(run)
            # Privacy before the outbox: nothing hidden reaches a sink.
            sent = hide(run) if hide is not None else run
            put(Parcel(sent, key, lineage, held.spans, held.logs, held.key[0]))
        if len(self._held) != self.assembler.waiting:
            waiting = set(self.assembler.waiting_keys())
            for run_id in [r for r in self._held if r not in waiting]:
                held = self._held.pop(run_id)
                if self._by_key.get(held.key) == run_id:
                    del self._by_key[held.key]
                self.counts.not_runs += 1
                self._resolve_all("span_batches", held.spans)
                self._resolve_all("log_batches", held.logs)

    def _expire_logs(self) -> None:
        """Give up on log events whose span did not come within `log_wait_s` of them, counted
        in arrival time of the spans read since (so a backlog does not expire them), or that
        are over the cap."""
        cutoff = self._frontier - self.log_wait_s
        order = self._log_order
        while order and (order[0][0] <= cutoff or self._waiting_logs > self.max_waiting_logs):
            received, key = order.popleft()
            waiting = self._logs.get(key)
            if not waiting or waiting[0].received > received:
                continue  # the event this entry stood for was joined meanwhile
            old = waiting.pop(0)  # the key's oldest; entries were appended in arrival order
            if not waiting:
                del self._logs[key]
            self._waiting_logs -= 1
            self.counts.log_events_unjoined += 1
            self._resolve("log_batches", old.loc)

    # --- marking ------------------------------------------------------------------------------

    def _open_batch(self, table: Table, batch: StoredBatch) -> OpenRow:
        done = bytearray(batch.done.ljust((batch.count + 7) // 8, b"\0"))
        open_batch = OpenRow(done, batch.count - popcount(batch.done))
        self._open[table][batch.seq] = open_batch
        if open_batch.remaining <= 0:  # everything resolved before a crash, row not yet deleted
            self._touched[table].add(batch.seq)
        return open_batch

    def _resolve(self, table: Table, loc: Loc) -> None:
        self._resolve_all(table, (loc,))

    def _resolve_all(self, table: Table, locs: Sequence[Loc]) -> None:
        resolve_items(self._open[table], self._touched[table], locs)

    def flush_marks(self) -> None:
        """Write resolved items to the spool; on failure they are written by a later call."""
        marks: dict[Table, dict[int, Mark]] = {}
        for table, touched in self._touched.items():
            opened = self._open[table]
            marks[table] = {
                seq: Mark(
                    None if opened[seq].remaining <= 0 else bytes(opened[seq].done),
                    opened[seq].resolved,
                )
                for seq in touched
            }
        if not marks["span_batches"] and not marks["log_batches"] and not self._lineages:
            return
        lineages = (
            (encode_lineages(self._lineages), len(self._lineages)) if self._lineages else None
        )
        self.spool.mark(marks["span_batches"], marks["log_batches"], lineages)
        self._lineages = []
        for table, table_marks in marks.items():
            opened = self._open[table]
            for seq, mark in table_marks.items():
                if mark.done is None:
                    del opened[seq]
                else:
                    opened[seq].resolved = 0
            self._touched[table].clear()


def _with_events(held: _Held) -> SpanRecord:
    """The span with its joined log events after its own, in time order."""
    if not held.events:
        return held.record
    extra = tuple(sorted(held.events, key=lambda event: event.time_ns))
    return dataclasses.replace(held.record, events=held.record.events + extra)


def _route(run: RunData, project: str | None) -> bool:
    """The request's project, for a run whose spans named none (attribute > header > sink);
    True when the run took it."""
    if not project:
        return False
    restored = run.restored
    if restored is not None:
        if not restored.unmapped.get(_SESSION_NAME) and not restored.session_id:
            restored.unmapped[_SESSION_NAME] = project
            return True
    elif not run.session_name and not run.session_id:
        run.session_name = project
        return True
    return False
