"""`RunSpanProcessor`: add one processor to an instrumented app and its spans become runs.

At span start it stamps the run identity (`langsmith.trace.id`, `langsmith.span.dotted_order`,
`langsmith.span.parent_id` or `langsmith.is_root`) computed from the parent, which started
earlier in this process. Export is then stateless and order-independent, and even a plain OTLP
export to LangSmith's own endpoint keeps the hierarchy. What it queues is a `FinishedSpan` taken
at span end, not the SDK's span: a backlog of those costs the app thread's garbage collections
far less (docs/benchmarks.md, hot path). The queue (`span_queue.SpanQueue`, in place of the
SDK's `BatchSpanProcessor`, whose semantics are wrong here: see that module) is bounded by the
memory its spans hold (`max_queue_bytes`, `OTEL_RUNS_MAX_QUEUE_BYTES`, 64 MiB), so a burst that
fits in memory loses nothing, and is converted after the burst rather than during it.
Hooks never raise into the application.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.from_sdk import FinishedSpan, finished_span
from otel_runs.convert.spans_to_runs import Keep, keep_predicate
from otel_runs.dotted_order import child_segment_time, format_segment, segment_time_us
from otel_runs.env_values import number, whole_number
from otel_runs.exporter import RunExporter, keep_from_env
from otel_runs.guard import report
from otel_runs.ids import run_id_text_from_span_id
from otel_runs.model.span_record import AttributeValue, SpanRecord
from otel_runs.privacy import Privacy
from otel_runs.propagation import remote_run
from otel_runs.sinks import RunSink
from otel_runs.span_queue import SpanQueue

_logger = logging.getLogger(__name__)

ENV_MAX_QUEUE_BYTES: Final = "OTEL_RUNS_MAX_QUEUE_BYTES"
"""Memory the queue of finished spans may hold before new spans are dropped (default 64 MiB)."""
DEFAULT_MAX_QUEUE_BYTES: Final = 64 * 1024 * 1024
ENV_SCHEDULE_DELAY: Final = "OTEL_BSP_SCHEDULE_DELAY"
"""The SDK's variable, same meaning: how often queued spans are exported (default 5000 ms)."""
DEFAULT_SCHEDULE_DELAY_MS: Final = 5000.0
ENV_BATCH_SIZE: Final = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
"""The SDK's variable, same meaning: spans per export call (default 512)."""
DEFAULT_BATCH_SIZE: Final = 512
_WARN_EVERY_S: Final = 60.0

MAX_OPEN_SPANS: Final = 100_000
"""Open spans whose place is remembered for their children; the oldest are forgotten beyond."""

# (dotted_order, segment time in µs, trace id) of a run, or None for a span filtered out at the
# top of its trace (its kept children become roots).
_Place = tuple[str, int, str] | None


class RunSpanProcessor(SpanProcessor):
    """Stamps run identity at span start; converts and delivers finished spans in batches."""

    def __init__(
        self,
        sink: RunSink | None = None,
        *,
        exporter: RunExporter | None = None,
        keep: Keep | None = None,
        max_queue_bytes: int | None = None,
        max_queue_size: int | None = None,
        schedule_delay_millis: float | None = None,
        max_export_batch_size: int | None = None,
        export_timeout_millis: float | None = None,
        privacy: Privacy | None = None,
    ) -> None:
        """`max_queue_bytes` (`OTEL_RUNS_MAX_QUEUE_BYTES`, 64 MiB) bounds the queued spans'
        memory; `max_queue_size`, when given, bounds their number too. `schedule_delay_millis`
        and `max_export_batch_size` mean what they mean for the SDK's `BatchSpanProcessor` (and
        read the same `OTEL_BSP_*` variables); `export_timeout_millis` is accepted for the same
        signature, the sink's own deadline bounds an export."""
        keep = keep_from_env(keep)
        self.exporter = exporter or RunExporter(sink, keep=keep, privacy=privacy)
        self._keep: Callable[[SpanRecord], bool] | None = keep_predicate(keep)
        self._queue: SpanQueue[FinishedSpan] = SpanQueue(
            self._export,
            _queued_size,
            max_bytes=int(
                number("max_queue_bytes", max_queue_bytes, ENV_MAX_QUEUE_BYTES,
                       DEFAULT_MAX_QUEUE_BYTES, minimum=1)
            ),
            batch_size=whole_number(
                "max_export_batch_size", max_export_batch_size, ENV_BATCH_SIZE, DEFAULT_BATCH_SIZE
            ),
            delay_s=number("schedule_delay_millis", schedule_delay_millis, ENV_SCHEDULE_DELAY,
                           DEFAULT_SCHEDULE_DELAY_MS) / 1000,
            max_count=max_queue_size,
            on_flush=self._flush_exporter,
            on_close=self._close_exporter,
            on_drop=self._dropped,
        )  # fmt: skip
        self._last_drop_warning = -_WARN_EVERY_S
        self._open: dict[int, _Place] = {}

    # --- SpanProcessor -------------------------------------------------------------------------

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            self._stamp(span, parent_context)
        except Exception as exc:  # a hook must never raise into the app
            report(exc, "stamping span %r", span.name)

    def on_end(self, span: ReadableSpan) -> None:
        try:
            finished = finished_span(span, sized=True)
        except Exception as exc:  # queue the span itself: the exporter reads either
            report(exc, "reading finished span %r", span.name)
            finished = span  # type: ignore[assignment]
        context = finished.context
        if context is None:
            return
        self._open.pop(context.span_id, None)
        if context.trace_flags.sampled:
            self._queue.put(finished)  # (a span with no room is counted through on_drop)

    def _export(self, spans: Sequence[FinishedSpan]) -> None:
        self.exporter.export(spans)  # (looked up per batch: tests and wrappers replace it)

    def _flush_exporter(self) -> bool:
        return self.exporter.force_flush()

    def _close_exporter(self) -> None:
        self.exporter.shutdown()

    @property
    def max_queue_bytes(self) -> int:
        """Memory the queued spans may hold; past it new spans are dropped."""
        return self._queue.max_bytes

    @property
    def queued_bytes(self) -> int:
        """Estimated memory held by the spans queued now."""
        return self._queue.queued_bytes

    def _dropped(self, count: int) -> None:
        """Count spans the queue had no room for; log at most once a minute."""
        exporter = self.exporter
        exporter.queue_dropped += count  # (approximate under races between app threads)
        now = time.monotonic()
        if now - self._last_drop_warning >= _WARN_EVERY_S:
            self._last_drop_warning = now
            _logger.warning(
                "otel-runs queue full (%d bytes of spans waiting to be converted, at most %d;"
                " %d spans dropped so far): the app makes spans faster than they are delivered",
                self.queued_bytes, self.max_queue_bytes, exporter.queue_dropped,
            )  # fmt: skip

    def shutdown(self, timeout_millis: int = 30_000) -> None:
        """Export what is queued, emit the spans still waiting for a parent and close the sink,
        for at most `timeout_millis`; past it the work goes on in the background until the
        process exits, and the caller gets control back."""
        self._queue.close(timeout_millis / 1000)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export what is queued and retry buffered runs; False when that did not finish within
        `timeout_millis`, or when runs or spans still wait in memory afterwards (see
        `RunExporter.force_flush`)."""
        return self._queue.flush(timeout_millis / 1000)

    # --- identity ------------------------------------------------------------------------------

    def _stamp(self, span: Span, parent_context: Context | None) -> None:
        span_id = span.get_span_context().span_id
        start_us = (span.start_time or 0) // 1000
        parent = span.parent
        if parent is None or not parent.is_valid:
            above: _Place = None
        else:
            known, above = self._place_of_parent(parent.span_id, parent.is_remote, parent_context)
            if not known:
                return  # a parent we cannot place: the exporter assembles this span later
            if parent.is_remote:
                _stamp_caller_values(span, parent_context)
        if self._keep is not None and not self._keep(_record_at_start(span)):
            self._remember(span_id, above)  # children skip this span
            return
        run_id = run_id_text_from_span_id(span_id)
        if above is None:
            segment = format_segment(start_us, run_id)
            _write_stamp(
                span, {ls.TRACE_ID: run_id, ls.SPAN_DOTTED_ORDER: segment, ls.IS_ROOT: True}
            )
            self._remember(span_id, (segment, start_us, run_id))
            return
        parent_dotted, parent_us, trace_id = above
        segment_us = child_segment_time(start_us, parent_us)
        dotted = parent_dotted + "." + format_segment(segment_us, run_id)
        _write_stamp(
            span,
            {
                ls.TRACE_ID: trace_id,
                ls.SPAN_DOTTED_ORDER: dotted,
                ls.SPAN_PARENT_ID: parent_dotted[-36:],
            },
        )
        self._remember(span_id, (dotted, segment_us, trace_id))

    def _remember(self, span_id: int, place: _Place) -> None:
        if len(self._open) >= MAX_OPEN_SPANS:
            self._open.pop(next(iter(self._open)))  # spans that never end must not grow memory
        self._open[span_id] = place

    def _place_of_parent(
        self, parent_id: int, remote: bool, parent_context: Context | None
    ) -> tuple[bool, _Place]:
        """Whether the parent's place is known, and the place (None: filtered out at the top)."""
        if not remote:
            if parent_id in self._open:
                return True, self._open[parent_id]
            # The parent ended before this child started: read its stamp back.
            parent_span = trace.get_current_span(parent_context)
            if parent_span.get_span_context().span_id == parent_id and isinstance(
                parent_span, ReadableSpan
            ):
                return _place_from_attributes(parent_span)
            return False, None
        caller = remote_run(parent_context)
        if caller is None:
            return False, None
        return True, (caller.dotted_order, caller.segment_us, caller.trace_id)


def _queued_size(span: FinishedSpan) -> int:
    return getattr(span, "size", 0)  # (a span that could not be read is queued as it is)


def _write_stamp(span: Span, values: dict[str, AttributeValue]) -> None:
    """Add the identity attributes to a span that has just started.

    `set_attributes` re-validates every value under two locks (about half of our on_start cost).
    Ours are known-good strings and a bool, and a starting span is not shared with other threads
    yet, so they go straight into the SDK's attribute dict when its layout is the one we know.
    They skip the value-length limit on purpose: a truncated dotted_order would be worse than
    none. A span already at its attribute-count limit is not stamped: the SDK would evict the
    app's own attributes to make room, and the exporter places unstamped spans anyway.
    """
    attributes = getattr(span, "_attributes", None)
    store = getattr(attributes, "_dict", None)
    if type(store) is dict and not getattr(attributes, "_immutable", True):
        maxlen = getattr(attributes, "maxlen", None)
        if maxlen is None or len(store) + len(values) <= maxlen:
            store.update(values)
        return
    span.set_attributes(values)


def _stamp_caller_values(span: Span, context: Context | None) -> None:
    """Project and thread/user ids the caller sent along with its run."""
    caller = remote_run(context)
    if caller is None:
        return
    values: dict[str, str] = {ls.METADATA_PREFIX + key: value for key, value in caller.metadata}
    if caller.project:
        values[ls.SESSION_NAME] = caller.project
    if values:
        span.set_attributes(values)


def _place_from_attributes(span: ReadableSpan) -> tuple[bool, _Place]:
    attributes = span.attributes or {}
    dotted = attributes.get(ls.SPAN_DOTTED_ORDER)
    trace_id = attributes.get(ls.TRACE_ID)
    if not isinstance(dotted, str) or not isinstance(trace_id, str):
        return False, None
    return True, (dotted, segment_time_us(dotted), trace_id)


def _record_at_start(span: Span) -> SpanRecord:
    """What a keep predicate can see of a span that has just started."""
    context = span.get_span_context()
    parent = span.parent
    start = span.start_time or 0
    return SpanRecord(
        trace_id=context.trace_id,
        span_id=context.span_id,
        parent_span_id=parent.span_id if parent is not None else None,
        name=span.name,
        start_ns=start,
        end_ns=start,
        attributes=dict(span.attributes or {}),
        kind=span.kind.name,
        scope_name=span.instrumentation_scope.name if span.instrumentation_scope else "",
    )
