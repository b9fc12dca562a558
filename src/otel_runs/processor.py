"""`RunSpanProcessor`: add one processor to an instrumented app and its spans become runs.

At span start it stamps the run identity (`langsmith.trace.id`, `langsmith.span.dotted_order`,
`langsmith.span.parent_id` or `langsmith.is_root`) computed from the parent, which started
earlier in this process. Export is then stateless and order-independent, and even a plain OTLP
export to LangSmith's own endpoint keeps the hierarchy. Queueing, batching and fork handling
are the SDK's `BatchSpanProcessor`'s; conversion runs on its worker thread. What it queues is a
`FinishedSpan` taken at span end, not the SDK's span: a backlog of those costs the app thread's
garbage collections far less (docs/benchmarks.md, hot path). Flush and shutdown timeouts are
enforced here, because the SDK's processor waits on its exporter without limit.
Hooks never raise into the application.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sized
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.from_sdk import finished_span
from otel_runs.convert.spans_to_runs import Keep, _keep_predicate
from otel_runs.dotted_order import child_segment_time, format_segment, segment_time_us
from otel_runs.exporter import RunExporter, keep_from_env
from otel_runs.guard import report
from otel_runs.ids import run_id_text_from_span_id
from otel_runs.model.span_record import AttributeValue, SpanRecord
from otel_runs.privacy import Privacy
from otel_runs.propagation import remote_run
from otel_runs.sinks import RunSink

_logger = logging.getLogger(__name__)

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
        max_queue_size: int | None = None,
        schedule_delay_millis: float | None = None,
        max_export_batch_size: int | None = None,
        export_timeout_millis: float | None = None,
        privacy: Privacy | None = None,
    ) -> None:
        keep = keep_from_env(keep)
        self.exporter = exporter or RunExporter(sink, keep=keep, privacy=privacy)
        self._keep: Callable[[SpanRecord], bool] | None = _keep_predicate(keep)
        self._batch = BatchSpanProcessor(
            self.exporter,
            max_queue_size=max_queue_size,
            schedule_delay_millis=schedule_delay_millis,
            max_export_batch_size=max_export_batch_size,
            export_timeout_millis=export_timeout_millis,
        )
        self._open: dict[int, _Place] = {}
        # The SDK drops a span when its queue is full and only logs it; to count drops we look
        # at the queue's length before handing a span over (when the SDK's layout is known).
        batcher = getattr(self._batch, "_batch_processor", None)
        queue, limit = getattr(batcher, "_queue", None), getattr(batcher, "_max_queue_size", None)
        known = isinstance(queue, Sized) and isinstance(limit, int)
        self._queue: Sized | None = queue if known else None
        self._queue_limit: int = limit if isinstance(limit, int) else 0

    # --- SpanProcessor -------------------------------------------------------------------------

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            self._stamp(span, parent_context)
        except Exception as exc:  # a hook must never raise into the app
            report(exc, "stamping span %r", span.name)

    def on_end(self, span: ReadableSpan) -> None:
        try:
            finished = finished_span(span)
        except Exception as exc:  # queue the span itself: the exporter reads either
            report(exc, "reading finished span %r", span.name)
            finished = span  # type: ignore[assignment]
        context = finished.context
        if context is not None:
            self._open.pop(context.span_id, None)
            queue = self._queue
            full = queue is not None and len(queue) >= self._queue_limit
            if full and context.trace_flags.sampled:
                self.exporter.queue_dropped += 1  # approximate under races; never blocks
        # The batch processor only reads `context` of what it queues and hands it to the
        # exporter, which takes finished spans too.
        self._batch.on_end(finished)  # type: ignore[arg-type]

    def shutdown(self, timeout_millis: int = 30_000) -> None:
        """Export what is queued, emit the spans still waiting for a parent and close the sink,
        for at most `timeout_millis`; past it the work goes on in the background until the
        process exits, and the caller gets control back."""
        _within(timeout_millis, self._batch.shutdown, "shutting down")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export what is queued and retry buffered runs; False when that did not finish within
        `timeout_millis`, or when runs or spans still wait in memory afterwards (see
        `RunExporter.force_flush`)."""
        return _within(
            timeout_millis,
            lambda: (
                self._batch.force_flush(timeout_millis)
                and self.exporter.force_flush(timeout_millis)
            ),
            "flushing",
        )

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


def _within(timeout_millis: float, work: Callable[[], object], what: str) -> bool:
    """Run work on a helper thread and wait at most timeout_millis: whether it finished in time
    and returned a true value (None counts as true). The SDK's batch processor ignores its
    flush timeout and waits on the exporter without limit, and a destination that hangs must
    not hang the app's flush or its exit."""
    finished = threading.Event()
    outcome: list[object] = [False]

    def run() -> None:
        try:
            result = work()
            outcome[0] = True if result is None else bool(result)
        except Exception as exc:
            report(exc, what)
        finally:
            finished.set()

    try:
        threading.Thread(target=run, name=f"otel-runs {what}", daemon=True).start()
    except RuntimeError:  # no new thread while the interpreter finalizes: do it here, unbounded
        run()
    return finished.wait(max(timeout_millis, 0) / 1000) and bool(outcome[0])


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
