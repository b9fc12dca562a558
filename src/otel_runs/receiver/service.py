"""`ReceiverService`: the durable core of `otel-runs serve`, behind the wire front ends.

    front end (HTTP / gRPC threads)          forwarding thread (or each worker process)
      accept(records, project=...)             Pipeline.step()
        └─ partitions.split   (workers >= 2)     ├─ Spool.read      settled rows, log events
        └─ codec.encode_spans                    ├─ TraceAssembler  TTL, cap, orphans -> roots
        └─ Spool.append_rows   commit+fsync      ├─ Forwarder.send  sink, retries with backoff
           -> return: the request may be 200     └─ Spool.mark      delivered -> done / deleted
      accept_log_events(events)
        └─ Spool.append_rows

With `workers=1` (the default) the forwarding thread runs in this process: one process, one
core's worth of work. With `workers=N` >= 2, N worker processes (worker_pool.py,
worker_process.py) each forward one partition of the trace ids, with a sink of their own made by
`sink_factory`, and this process only receives and spools: conversion and store writes use N
cores. See docs/scaling.md.

The front end constructs the service, calls `start()`, hands `accept` / `accept_log_events`
to its request handlers (`Intake`), and calls `stop(timeout)` after its servers stopped taking
requests. `SpoolFullError` means 503 / UNAVAILABLE with Retry-After; `SpoolUnavailableError`
means the spool cannot write (503 as well, and an operator must look). See docs/spool.md.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Final, cast

from otel_runs.convert.spans_to_runs import Keep
from otel_runs.env_values import choice, number, whole_number
from otel_runs.errors import ConfigError
from otel_runs.exporter import ENV_MAX_WAITING, ENV_TTL, keep_from_env
from otel_runs.model.span_record import SpanRecord
from otel_runs.privacy import Privacy
from otel_runs.receiver import cores, projects, settings
from otel_runs.receiver.codec import encode_log_events, encode_spans
from otel_runs.receiver.cores import Workers
from otel_runs.receiver.forwarder import FIRST_BACKOFF_S
from otel_runs.receiver.forwarding import Forwarding
from otel_runs.receiver.intake import LogEvent, SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.partitions import resplit, split
from otel_runs.receiver.projects import ProjectFrom
from otel_runs.receiver.spool import Spool, Synchronous
from otel_runs.receiver.worker_pool import WorkerPool, worker_prefix
from otel_runs.receiver.worker_process import WorkerSettings, forwarding_over
from otel_runs.sinks import RunSink
from otel_runs.value_limits import cap_event_values, cap_span_values
from otel_runs.value_limits import max_value_chars as max_value_chars_setting

_logger = logging.getLogger(__name__)


class ReceiverService:
    """Spools what the front ends accept, and forwards it as runs (implements `Intake`).

    Thread-safe: `accept` and `accept_log_events` may be called from any number of threads.
    Configuration, argument > environment > default:

    - `sink`: where runs go; default `choose_sink(for_receiver=True)` (LangSmith when
      `LANGSMITH_API_KEY` is set, else the local SQLite store, written as `otel-runs serve`
      writes it, `sinks.sqlite.receiver_store`: every commit synced, since the spool forgets
      what the sink answered for, and the worker processes' writes taking turns). Or
      `sink_factory`, a callable that makes one.
    - `workers`: `OTEL_RUNS_WORKERS`, default 1: processes that convert and store. 1 is this
      one (a thread); 2 or more are worker processes, each with its own partition of the trace
      ids and its own sink from `sink_factory` (which, as `keep` and `privacy`, must then be
      picklable: importable by name, no lambdas). "auto": the cores this process may use,
      CPU quota included (receiver/cores.py).
    - `spool_path`: `OTEL_RUNS_SPOOL`, default `otel-runs-spool.sqlite` in the working dir.
    - `max_spool_bytes`: `OTEL_RUNS_SPOOL_MAX_BYTES`, default 1 GiB (at least 1 MiB).
    - `synchronous`: `OTEL_RUNS_SPOOL_SYNC`, "full" (default) or "normal".
    - `keep`, `assembly_ttl_s`, `max_waiting_spans`: as for `RunExporter`
      (`OTEL_RUNS_KEEP`, `OTEL_RUNS_ASSEMBLY_TTL_SECONDS`, `OTEL_RUNS_MAX_WAITING_SPANS`).
    - `privacy`: hide inputs/outputs or redact runs before they reach the sink (default:
      `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS`, see `otel_runs.privacy`).
    - `log_settle_s`: `OTEL_RUNS_LOG_SETTLE_SECONDS`, default 2: spans are converted no
      sooner, so log events sent just after them still join.
    - `log_wait_s`: `OTEL_RUNS_LOG_WAIT_SECONDS`, default 300: how long a log event waits
      for its span.
    - `project_from`: `OTEL_RUNS_PROJECT_FROM`, `any` (default), `span`, `header` or `none`:
      who may choose a run's project (receiver/projects.py).
    - `max_value_chars`: `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, default 4 Mi: longer attribute
      values are cut, with a marker, before they are spooled (value_limits.py).
    - `max_outbox_runs`, `sink_batch_size`: runs waiting for the sink (reading pauses above),
      runs per sink write (default: the sink's `batch_runs`, 10,000 for the local store, else
      500). `retry_backoff_s`: first wait after the sink asked for a retry.
    - `lock_timeout_s`: how long a write waits for another connection's lock on the file.

    Raises `SpoolUnavailableError` when the spool cannot be opened for writing (read-only,
    in use by another receiver, not a spool), `ConfigError` for a bad argument.
    """

    def __init__(
        self,
        sink: RunSink | None = None,
        *,
        sink_factory: Callable[[], RunSink] | None = None,
        workers: Workers | None = None,
        spool_path: str | os.PathLike[str] | None = None,
        max_spool_bytes: int | None = None,
        synchronous: Synchronous | None = None,
        keep: Keep | None = None,
        assembly_ttl_s: float | None = None,
        max_waiting_spans: int | None = None,
        log_settle_s: float | None = None,
        log_wait_s: float | None = None,
        max_outbox_runs: int = 10_000,
        sink_batch_size: int | None = None,
        retry_backoff_s: float = FIRST_BACKOFF_S,
        lock_timeout_s: float = 5.0,
        privacy: Privacy | None = None,
        project_from: ProjectFrom | None = None,
        max_value_chars: int | None = None,
    ) -> None:
        if max_outbox_runs < 1 or (sink_batch_size is not None and sink_batch_size < 1):
            raise ConfigError("max_outbox_runs and sink_batch_size must be at least 1")
        worker_count = cores.worker_count(workers)
        if sink is not None and (sink_factory is not None or worker_count > 1):
            raise ConfigError(
                "worker processes make their own sinks: give sink_factory (a picklable callable)"
                " instead of sink"
                if worker_count > 1
                else "give sink or sink_factory, not both"
            )
        if not retry_backoff_s > 0 or not lock_timeout_s >= 0:
            raise ConfigError("retry_backoff_s must be > 0 and lock_timeout_s >= 0 seconds")
        path = Path(spool_path) if spool_path is not None else settings.default_spool_path()
        max_bytes = int(
            number(
                "max_spool_bytes",
                max_spool_bytes,
                settings.ENV_SPOOL_MAX_BYTES,
                settings.DEFAULT_MAX_SPOOL_BYTES,
                minimum=settings.MIN_SPOOL_BYTES,
            )
        )
        sync = choice(
            "synchronous", synchronous, settings.ENV_SPOOL_SYNC, ("full", "normal"), "full"
        )
        ttl_s = number("assembly_ttl_s", assembly_ttl_s, ENV_TTL, 30.0)
        max_waiting = whole_number("max_waiting_spans", max_waiting_spans, ENV_MAX_WAITING, 10_000)
        settle_s = number(
            "log_settle_s", log_settle_s, settings.ENV_LOG_SETTLE, settings.DEFAULT_LOG_SETTLE_S
        )
        wait_s = number(
            "log_wait_s", log_wait_s, settings.ENV_LOG_WAIT, settings.DEFAULT_LOG_WAIT_S
        )
        keep = keep_from_env(keep)
        self._privacy = privacy or Privacy.from_env()
        self._max_value_chars = max_value_chars_setting(max_value_chars)
        source = choice(
            "project_from", project_from, settings.ENV_PROJECT_FROM, projects.CHOICES, "any"
        )
        self.project_from: Final = cast(ProjectFrom, source)
        """Who may choose a run's project (receiver/projects.py)."""

        self._spool = Spool(
            path,
            max_bytes=max_bytes,
            synchronous="normal" if sync == "normal" else "full",
            lock_timeout_s=lock_timeout_s,
        )
        self._parts = worker_count
        self._forwarding: Forwarding | None = None
        self._pool: WorkerPool | None = None
        if sink_factory is None:  # (a partial: it goes to worker processes pickled)
            from otel_runs.sinks.choose import choose_sink

            sink_factory = functools.partial(choose_sink, for_receiver=True)
        try:
            self._spool.repartition(self._parts, resplit)
            work = WorkerSettings(
                spool_path=self._spool.path,
                part=0,
                parts=worker_count,
                sink_factory=sink_factory,
                # Workers only mark: a mark a power loss rolls back sends its run again (a
                # duplicate, never a loss), and the next fsync'd append syncs the WAL up to it
                # anyway. Sparing its fsync keeps the worker converting instead of waiting (1-4
                # ms a mark on the project VM).
                synchronous="normal",
                lock_timeout_s=lock_timeout_s,
                keep=keep,
                ttl_s=ttl_s,
                max_waiting=max_waiting,
                settle_s=settle_s,
                log_wait_s=wait_s,
                max_outbox_runs=max_outbox_runs,
                sink_batch_size=sink_batch_size,
                retry_backoff_s=retry_backoff_s,
                privacy=self._privacy,
                log_level=_log_level(),
            )
            if worker_count > 1:
                self._pool = WorkerPool(_worker_settings(work), self._spool.lock_fd)
            else:  # the same forwarding, on this process's spool connection and sink
                sink = sink if sink is not None else sink_factory()
                self._forwarding = forwarding_over(self._spool, sink, work)
        except BaseException:
            self._spool.close()  # releases the file for the next attempt
            raise
        self.sink: Final = sink
        """The sink runs go to; None with worker processes (each makes its own)."""
        self.workers: Final = worker_count
        """Processes that convert and store (1: this one, on a thread; more: worker
        processes)."""
        self._started = False
        self._state = threading.Lock()
        self._stopped = False
        self._stop_result = False
        self._counts = {
            "accepted": 0,
            "accepted_log_events": 0,
            "rejected": 0,
            "rejected_log_records": 0,
            "refused_full": 0,
            "refused_unavailable": 0,
        }
        # With worker processes, the spans accepted for each partition too, by worker.
        parts = range(worker_count) if worker_count > 1 else range(0)
        self._accepted_names = {part: worker_prefix(part) + "accepted" for part in parts}
        self._counts.update(dict.fromkeys(self._accepted_names.values(), 0))

    # --- Intake -------------------------------------------------------------------------------

    @property
    def spool_path(self) -> Path:
        """The spool file."""
        return self._spool.path

    @property
    def spool(self) -> Spool:
        """The spool, for the LangSmith API's intake (its own table in the same file); it must
        be stopped before this service, which closes the spool."""
        return self._spool

    def accept(self, records: Sequence[SpanRecord], *, project: str | None = None) -> None:
        """Spool one request's spans in one transaction; returns after the commit.

        `project` (the `Langsmith-Project` header) names the project of runs whose spans do
        not name one (`langsmith.trace.session_name` / `session_id` win), as far as
        `project_from` lets either through. Raises
        SpoolFullError or SpoolUnavailableError, in which case nothing of the call was stored.
        """
        if not records:
            return
        if self._privacy.hides_spans:  # hidden content never reaches the disk
            records = [self._privacy.hide_record(record) for record in records]
        project = project.strip() if project else None
        records, project = projects.route(records, project, self.project_from)
        groups = split(records, self._parts)
        rows = [(part, self._encoded_spans(group), len(group)) for part, group in groups.items()]
        with self._counting_refusals():
            self._spool.append_rows("span_batches", rows, project or None)
        with self._state:
            self._counts["accepted"] += len(records)
            if self._accepted_names:
                for part, group in groups.items():
                    self._counts[self._accepted_names[part]] += len(group)
        self._wake(groups)

    def _encoded_spans(self, records: list[SpanRecord]) -> bytes:
        body = encode_spans(records)
        limit = self._max_value_chars
        if len(body) > limit:  # else no value can be longer: each is in the body whole
            capped = [cap_span_values(record, limit) for record in records]
            if any(new is not old for new, old in zip(capped, records, strict=True)):
                body = encode_spans(capped)
        return body

    def _wake(self, parts: Iterable[int]) -> None:
        if self._pool is not None:
            self._pool.wake(parts)
        elif self._forwarding is not None:
            self._forwarding.wake()

    def accept_log_events(self, events: Sequence[LogEvent]) -> None:
        """Spool span-bound log events in one transaction; they join their span's run as
        events. Raises like `accept`."""
        if not events:
            return
        if self._privacy.hides_spans:
            events = [replace(item, event=self._privacy.hide_event(item.event)) for item in events]
        groups = split(events, self._parts)
        rows = [(part, self._encoded_events(group), len(group)) for part, group in groups.items()]
        with self._counting_refusals():
            self._spool.append_rows("log_batches", rows)
        self._count("accepted_log_events", len(events))
        self._wake(groups)

    def _encoded_events(self, events: list[LogEvent]) -> bytes:
        body = encode_log_events(events)
        limit = self._max_value_chars
        if len(body) > limit:
            events = [replace(item, event=cap_event_values(item.event, limit)) for item in events]
            body = encode_log_events(events)
        return body

    @contextmanager
    def _counting_refusals(self) -> Iterator[None]:
        """Count a spool refusal by kind; the error still reaches the front end."""
        try:
            yield
        except SpoolFullError:
            self._count("refused_full", 1)
            raise
        except SpoolUnavailableError:
            self._count("refused_unavailable", 1)
            raise

    def count_rejected(self, spans: int = 0, log_records: int = 0) -> None:
        """For the front ends: items they rejected (undecodable, invalid) before `accept`."""
        self._count("rejected", spans)
        self._count("rejected_log_records", log_records)

    def _count(self, name: str, amount: int) -> None:
        with self._state:
            self._counts[name] += amount

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start forwarding (what an earlier run left in the spool goes first). Idempotent."""
        with self._state:
            if self._stopped:
                raise ConfigError("a stopped ReceiverService cannot start again; make a new one")
            if self._started:
                return
            self._started = True
        if self._pool is not None:
            self._pool.start()  # raises ConfigError when a worker cannot start
        elif self._forwarding is not None:
            self._forwarding.start()

    def stop(self, timeout: float = 10.0, *, drain: bool = True) -> bool:
        """Refuse new requests, deliver what is spooled within `timeout` seconds, close.

        With `drain`, every spooled span is read (settled or not) and the runs that can be
        made are sent, retried until the deadline; spans still waiting for their parent, and
        runs the sink did not take, stay spooled for the next start. Without it, forwarding
        stops after the current step. Returns True when everything readable was delivered.
        A sink write still running at the deadline is interrupted by closing the sink (what
        it may have stored is sent again next time: duplicates, never losses). Idempotent.
        """
        with self._state:
            if self._stopped:
                return self._stop_result
            self._stopped = True
            started = self._started
        self._spool.refuse_appends("the receiver is shutting down")
        deadline = time.monotonic() + max(timeout, 0.0)
        if started and self._pool is not None:
            result = self._pool.stop(deadline, drain=drain)
        elif started and self._forwarding is not None:
            result = self._forwarding.stop(deadline, drain=drain)
        else:  # never started: nothing was forwarded, everything stays spooled
            result = self._spool.pending_spans == 0
            if self._forwarding is not None:
                self._forwarding.stop(deadline, drain=False)  # closes the sink
        self._spool.close()
        self._stop_result = result
        return result

    def __enter__(self) -> ReceiverService:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- observability ------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counters since this service was created, and gauges of now.

        Requests: `accepted` spans and `accepted_log_events` (stored), `rejected` /
        `rejected_log_records` (counted by the front ends), `refused_full` and
        `refused_unavailable` requests (SpoolFullError / SpoolUnavailableError).
        Spool now: `spooled_bytes` (what the size limit counts), `spool_file_bytes`,
        `pending` spans and `pending_log_events` not yet resolved (including those left by an
        earlier run), `waiting` spans held for their parent, `outbox` runs for the sink.
        Conversion: `converted`, `waited`, `orphaned`, `evicted`, `invalid`, `not_runs` (spans
        that never become runs), `resent` (a span read again before its run was delivered),
        `unreadable`. Sink: `delivered`, `duplicates`, `failed` (refused for good), `retried`
        (sends that left runs to retry). Log events: `log_events_joined`, `log_events_unjoined`,
        `log_events_waiting`. With worker processes, also `worker_restarts`, and per worker k:
        `worker<k>_accepted` (spans spooled for its partition), `_converted`, `_delivered`,
        `_failed`, `_waiting`, `_outbox` and `_restarts`: accepted minus converted is roughly
        what it has still to read (less spans held for their parent or never runs).
        """
        with self._state:
            stats = dict(self._counts)
        pending = self._spool.pending()
        stats.update(
            spooled_bytes=pending.bytes,
            spool_file_bytes=self._spool.file_bytes(),
            pending=pending.spans,
            pending_log_events=pending.logs,
        )
        if self._pool is not None:
            stats.update(self._pool.counts())
            stats["worker_restarts"] = self._pool.restarts()
        elif self._forwarding is not None:
            stats.update(self._forwarding.counts())
        return stats

    def worker_pids(self) -> list[int | None]:
        """The worker processes' ids (None for one being restarted); empty with one worker
        (this process)."""
        return self._pool.pids() if self._pool is not None else []


def _worker_settings(first: WorkerSettings) -> list[WorkerSettings]:
    """One worker's settings per partition; raises ConfigError when they cannot be sent to
    another process (a lambda as sink_factory, keep or privacy hook)."""
    try:
        pickle.dumps(first)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ConfigError(
            f"worker processes need a sink_factory, keep and privacy hooks that can be pickled"
            f" (functions importable by name, no lambdas): {exc}"
        ) from exc
    return [replace(first, part=part) for part in range(first.parts)]


def _log_level() -> int | None:
    """The level worker processes log at: this process's, if it configured logging."""
    root = logging.getLogger()
    return root.getEffectiveLevel() if root.handlers else None
