"""`RunExporter`: an OpenTelemetry `SpanExporter` that turns span batches into runs for a sink.

It converts with the same core as everything else, holds spans whose parent has not arrived yet
(`TraceAssembler`: TTL, capped waiting room, orphans become roots), and hands runs to a sink.
Queueing and batching are the SDK's `BatchSpanProcessor`'s job. `export` never raises.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_runs.convert.assembler import TraceAssembler
from otel_runs.convert.from_sdk import FinishedSpan, record_from_span
from otel_runs.convert.spans_to_runs import Keep, Rejection, reject
from otel_runs.env_values import choice, number, whole_number
from otel_runs.errors import InvalidSpanError
from otel_runs.guard import internal_errors, report
from otel_runs.model.span_record import SpanRecord
from otel_runs.privacy import Privacy
from otel_runs.sinks import AnyRun, RunSink, SinkResult, run_id_text, write_runs
from otel_runs.value_limits import cap_span_values
from otel_runs.value_limits import max_value_chars as max_value_chars_setting

_logger = logging.getLogger(__name__)

ENV_KEEP = "OTEL_RUNS_KEEP"
"""Which spans become runs: `all` (default) or `genai`."""
ENV_TTL = "OTEL_RUNS_ASSEMBLY_TTL_SECONDS"
"""How long a span waits for its parent before it becomes a root (default 30)."""
ENV_MAX_WAITING = "OTEL_RUNS_MAX_WAITING_SPANS"
"""How many spans may wait for a parent at once (default 10000)."""
ENV_MAX_BUFFERED = "OTEL_RUNS_MAX_BUFFERED_RUNS"
"""How many runs are kept for a later attempt while the destination is down (default 10000)."""

_FIRST_BACKOFF_S = 1.0
_MAX_BACKOFF_S = 60.0

_WARN_EVERY_S = 60.0
_FLUSH_STEP = 512
"""Waiting spans emitted per step when a flush empties the waiting room (a batch's worth)."""
_DELIVERY_STEP = 128
"""Spans converted and delivered at a time. A batch's runs live until the sink has them; with
512 at once, almost all of them outlive two garbage collections and reach the oldest
generation, whose growth triggers full collections of the app's whole heap (measured: ~10 us
per message-carrying span, a fifth of the conversion). 128 keeps most of them young, and is
still more than the LangSmith SDK's own 100 runs per request."""


def keep_from_env(value: Keep | None) -> Keep:
    """Argument > `OTEL_RUNS_KEEP` > "all"; a bad environment value warns and falls back."""
    if value is not None:
        return value
    return choice("keep", None, ENV_KEEP, ("all", "genai"), "all")  # type: ignore[return-value]


class RunExporter(SpanExporter):
    """Spans -> runs -> a sink. Thread-safe; `export` never raises into the SDK."""

    def __init__(
        self,
        sink: RunSink | None = None,
        *,
        keep: Keep | None = None,
        assembly_ttl_s: float | None = None,
        max_waiting_spans: int | None = None,
        max_buffered_runs: int | None = None,
        privacy: Privacy | None = None,
        max_value_chars: int | None = None,
    ) -> None:
        if sink is None:
            from otel_runs.sinks.choose import choose_sink

            sink = choose_sink()
        self.sink = sink
        self._privacy = privacy or Privacy.from_env()
        self._max_value_chars = max_value_chars_setting(max_value_chars)
        """Attribute values are cut to this many characters (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT)."""
        self._assembler = TraceAssembler(
            keep=keep_from_env(keep),
            ttl_s=assembly_ttl_s or number("assembly_ttl_s", None, ENV_TTL, 30.0),
            max_waiting=max_waiting_spans
            or whole_number("max_waiting_spans", None, ENV_MAX_WAITING, 10_000),
        )
        # Runs the sink could not deliver because the destination was down, oldest first; they
        # go again with the next batch once the backoff has passed. Bounded: past the cap the
        # oldest are dropped, counted and logged.
        self._buffer: OrderedDict[str, AnyRun] = OrderedDict()
        self._max_buffered = max_buffered_runs or whole_number(
            "max_buffered_runs", None, ENV_MAX_BUFFERED, 10_000
        )
        self._retry_at = 0.0
        self._backoff = _FIRST_BACKOFF_S
        self._dropped = 0
        self._lock = threading.Lock()
        if hasattr(os, "register_at_fork"):
            # A fork while the batch worker holds the lock would leave the child's copy locked
            # forever; the SDK's BatchSpanProcessor restarts its own worker in the child.
            reset = weakref.WeakMethod(self._after_fork)
            os.register_at_fork(after_in_child=lambda: (method := reset()) and method())
        self._closed = False
        self._last_warning = 0.0
        self._delivered = 0
        self._duplicates = 0
        self._failed = 0
        self._rejected = 0
        self._lost_at_exit = 0
        self.queue_dropped = 0
        """Spans the SDK's batch queue dropped because it was full (counted by the processor)."""

    def export(self, spans: Sequence[ReadableSpan | FinishedSpan]) -> SpanExportResult:
        """Convert a batch and deliver what can be delivered now (SDK spans, or the finished
        spans `RunSpanProcessor` queues)."""
        ok = False
        with internal_errors("exporting %d spans", len(spans)):
            ok = self._export(spans, flush=False)
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def _export(
        self,
        spans: Sequence[ReadableSpan | FinishedSpan],
        *,
        flush: bool,
        flush_most: int | None = None,
    ) -> bool:
        if len(spans) <= _DELIVERY_STEP:
            return self._export_step(spans, flush=flush, flush_most=flush_most)
        ok = True
        for start in range(0, len(spans), _DELIVERY_STEP):
            last = start + _DELIVERY_STEP >= len(spans)  # a flush comes after the last spans
            step = spans[start : start + _DELIVERY_STEP]
            if not self._export_step(step, flush=flush and last, flush_most=flush_most):
                ok = False
        return ok

    def _export_step(
        self,
        spans: Sequence[ReadableSpan | FinishedSpan],
        *,
        flush: bool,
        flush_most: int | None,
    ) -> bool:
        records: list[SpanRecord] = []
        rejected: list[Rejection] = []
        for span in spans:
            try:
                records.append(record_from_span(span))
            except InvalidSpanError as exc:
                rejected.append(reject(span.context or span, str(exc)))
        if self._privacy.hides_spans:  # hidden content is never converted
            records = [self._privacy.hide_record(record) for record in records]
        records = [cap_span_values(record, self._max_value_chars) for record in records]
        with self._lock:
            if self._closed:
                return False
            conversion = self._assembler.take(records, flush=flush, flush_most=flush_most)
            del records  # (spans' copies need not outlive the conversion)
            rejected.extend(conversion.rejected)
            self._rejected += len(rejected)
            runs: list[AnyRun] = list(conversion.runs)
            if self._privacy.active:
                runs = [self._privacy.apply(run) for run in runs]
            result = self._deliver(runs, force=flush)
        if rejected:
            self._warn("%d spans rejected, e.g. %s", len(rejected), rejected[0].reason)
        if not result.ok:
            self._warn("%d runs not delivered: %s", result.failed, result.error)
        return result.ok

    def _deliver(self, runs: list[AnyRun], *, force: bool) -> SinkResult:
        """Send new runs and any buffered ones; keep what failed for a transient reason."""
        buffer = self._buffer
        if buffer or (self._retry_at and not force and time.monotonic() < self._retry_at):
            for run in runs:  # a run sent again replaces its held copy
                run_id = run_id_text(run)
                buffer.pop(run_id, None)
                buffer[run_id] = run
            if not buffer:
                return SinkResult()
            if not force and time.monotonic() < self._retry_at:
                self._trim()  # the destination was down moments ago: wait, do not block
                return SinkResult()
            runs = list(buffer.values())
            buffer.clear()
        elif not runs:
            return SinkResult()
        # (nothing held: the new runs go as they are, their ids looked up only if some fail)
        try:
            result = write_runs(self.sink, runs)
        except Exception as exc:  # a bug in the sink: report it, keep the runs for a retry
            report(exc, "writing %d runs to the sink", len(runs))
            result = SinkResult(failed=len(runs), retry=tuple(run_id_text(run) for run in runs))
        self._delivered += result.stored
        self._duplicates += result.duplicates
        retry = set(result.retry)
        self._failed += result.failed - len(retry)
        if retry:
            for run in runs:
                run_id = run_id_text(run)
                if run_id in retry:
                    buffer[run_id] = run
            asked = min(result.retry_after_s or 0.0, _MAX_BACKOFF_S)  # the destination's floor
            self._retry_at = time.monotonic() + max(self._backoff, asked)
            self._backoff = min(self._backoff * 2, _MAX_BACKOFF_S)
            self._trim()
        else:
            self._backoff = _FIRST_BACKOFF_S
            self._retry_at = 0.0
        return result

    def _trim(self) -> None:
        over = len(self._buffer) - self._max_buffered
        if over > 0:
            for _ in range(over):
                self._buffer.popitem(last=False)
            self._dropped += over
            self._warn("retry buffer full: dropped the %d oldest undelivered runs", over)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def _warn(self, message: str, *args: Any) -> None:
        """Log at most once a minute: a broken destination must not flood the app's logs."""
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            _logger.warning(message, *args)

    def flush_waiting(self) -> bool:
        """Emit every span still waiting for its parent, as orphan roots, and try buffered runs
        once more whatever the backoff."""
        ok = True
        with internal_errors("flushing waiting spans"):
            # In steps of a batch: a full waiting room (10,000 spans by default) converted at
            # once held all of its runs at the same time (+40 MiB at exit in bench/memory.py).
            waiting = self._assembler.waiting
            while True:
                ok = self._export([], flush=True, flush_most=_FLUSH_STEP) and ok
                left = self._assembler.waiting
                if left == 0 or left >= waiting:  # (no progress: never loop for ever)
                    break
                waiting = left
        return ok

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Try the runs in the retry buffer once more now, whatever the backoff. True only when
        nothing waits in this process afterwards: no run in the retry buffer and no span
        waiting for its parent (those keep waiting; the SDK's batch queue is flushed before
        this is called)."""
        ok = False
        with internal_errors("flushing buffered runs"), self._lock:
            if self._buffer and not self._closed:
                self._deliver([], force=True)
            ok = not self._buffer and not self._assembler.waiting
        return ok

    def shutdown(self) -> None:
        """Emit waiting spans as orphans, give buffered runs a last try, then close the sink.
        Runs still undelivered then are lost: counted in `lost_at_exit` and logged."""
        self.flush_waiting()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            lost = len(self._buffer)
            self._lost_at_exit += lost
            self._buffer.clear()
        if lost:
            _logger.error(
                "otel-runs: %d runs could not be delivered before exit and are lost (the "
                "destination kept failing; see docs/reliability.md for the durable path)",
                lost,
            )
        with internal_errors("closing the sink"):
            self.sink.close()

    def stats(self) -> dict[str, int]:
        """Counters since creation: spans converted, waited, orphaned, evicted, rejected; runs
        delivered, duplicates, failed (for good), dropped (retry buffer full), lost_at_exit
        (still undelivered at shutdown); spans the batch queue dropped (queue_dropped, when a
        RunSpanProcessor feeds this exporter); spans waiting and runs buffered now."""
        with self._lock:
            counts = asdict(self._assembler.counts)
            counts.update(
                rejected=self._rejected,
                waiting=self._assembler.waiting,
                delivered=self._delivered,
                duplicates=self._duplicates,
                failed=self._failed,
                buffered=len(self._buffer),
                dropped=self._dropped,
                lost_at_exit=self._lost_at_exit,
                queue_dropped=self.queue_dropped,
            )
        return counts
