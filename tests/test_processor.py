"""RunSpanProcessor and RunExporter in a real TracerProvider."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import weakref
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util.types import AttributeValue

from otel_runs import Run, dotted_order
from otel_runs.configure import configure
from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.convert.from_sdk import FinishedSpan
from otel_runs.convert.spans_to_runs import convert_spans
from otel_runs.exporter import RunExporter
from otel_runs.processor import RunSpanProcessor
from otel_runs.sinks import SinkResult
from tests.conftest import InternalErrors
from tests.support.memory_sink import MemorySink

LLM: dict[str, AttributeValue] = {g.OPERATION_NAME: "chat", g.REQUEST_MODEL: "gpt-4o-mini", g.USAGE_INPUT_TOKENS: 10,
       g.USAGE_OUTPUT_TOKENS: 2}  # fmt: skip


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def provider(sink: MemorySink) -> Iterator[tuple[TracerProvider, RunSpanProcessor]]:
    provider = TracerProvider()
    processor = RunSpanProcessor(sink, schedule_delay_millis=50, max_export_batch_size=3)
    provider.add_span_processor(processor)
    yield provider, processor
    provider.shutdown()


def assert_valid(runs: list[Run]) -> None:
    ids = {run.id for run in runs}
    for run in runs:
        assert (
            dotted_order.problems(run.dotted_order, run.id, run.trace_id, run.parent_run_id) == []
        )
        assert run.parent_run_id is None or run.parent_run_id in ids
        assert "ls_orphan" not in run.metadata


def test_nested_spans_become_a_run_tree(
    provider: tuple[TracerProvider, RunSpanProcessor], sink: MemorySink
) -> None:
    tp, processor = provider
    tracer = tp.get_tracer("app")
    with tracer.start_as_current_span("agent"):
        with tracer.start_as_current_span("step"):
            tracer.start_span("chat", attributes=LLM).end()
        tracer.start_span("chat2", attributes=LLM).end()
    assert processor.force_flush(5_000)
    runs = sink.by_name()
    assert set(runs) == {"agent", "step", "chat", "chat2"}
    assert runs["chat"].parent_run_id == runs["step"].id
    assert runs["step"].parent_run_id == runs["agent"].id
    assert runs["agent"].total_tokens == 24
    assert_valid(list(runs.values()))
    stats = processor.exporter.stats()
    assert stats["delivered"] == 4 and stats["waiting"] == 0


def test_stamps_make_any_export_order_correct(
    provider: tuple[TracerProvider, RunSpanProcessor],
) -> None:
    """Spans exported one by one, children first, by another exporter: the stamps alone place
    every run (this is what a plain OTLP export to LangSmith relies on)."""
    tp, _ = provider
    plain = InMemorySpanExporter()
    tp.add_span_processor(SimpleSpanProcessor(plain))
    tracer = tp.get_tracer("app")
    with tracer.start_as_current_span("root"), tracer.start_as_current_span("mid"):
        tracer.start_span("leaf").end()
    spans = plain.get_finished_spans()
    assert [s.name for s in spans] == ["leaf", "mid", "root"]
    for span in spans:
        assert span.attributes is not None and ls.SPAN_DOTTED_ORDER in span.attributes
    one_by_one = [convert_spans([span]).runs[0] for span in spans]
    together = {run.id: run.dotted_order for run in convert_spans(spans).runs}
    for run in one_by_one:
        assert run.dotted_order == together[run.id]
        assert "ls_orphan" not in run.metadata


@pytest.mark.parametrize(
    "limits",
    [
        pytest.param(SpanLimits(), id="room: written straight into the span"),
        pytest.param(SpanLimits(max_attributes=4), id="full: not stamped, nothing evicted"),
        pytest.param(SpanLimits(max_span_attribute_length=20), id="short value limit"),
    ],
)
def test_stamps_respect_span_limits(limits: SpanLimits, sink: MemorySink) -> None:
    """Identity attributes are whole under any value-length limit. A span with no room left is
    not stamped rather than losing the app's attributes; the runs are the same either way."""
    tp = TracerProvider(span_limits=limits)
    plain = InMemorySpanExporter()
    tp.add_span_processor(RunSpanProcessor(sink))
    tp.add_span_processor(SimpleSpanProcessor(plain))
    tracer = tp.get_tracer("app")
    full = limits.max_span_attributes == 4
    leaf: dict[str, AttributeValue] = LLM if full else {**LLM, "app.note": "x" * 50}
    with tracer.start_as_current_span("root", attributes=LLM):
        tracer.start_span("leaf", attributes=leaf).end()
    tp.shutdown()
    spans = {span.name: span for span in plain.get_finished_spans()}
    runs = sink.by_name()
    for name in ("root", "leaf"):
        attributes = spans[name].attributes or {}
        for key in LLM:
            assert key in attributes  # the app's attributes are never evicted for a stamp
        if full:
            assert ls.SPAN_DOTTED_ORDER not in attributes
        else:
            assert attributes[ls.SPAN_DOTTED_ORDER] == runs[name].dotted_order
            assert attributes[ls.TRACE_ID] == str(runs["root"].id)
    assert runs["leaf"].parent_run_id == runs["root"].id
    assert runs["leaf"].run_type == "llm"
    if limits.max_span_attribute_length == 20:
        assert (spans["leaf"].attributes or {}).get("app.note") == "x" * 20
    assert_valid(list(runs.values()))


def test_child_started_after_its_parent_ended(
    provider: tuple[TracerProvider, RunSpanProcessor], sink: MemorySink
) -> None:
    tp, processor = provider
    tracer = tp.get_tracer("app")
    from opentelemetry import trace

    parent = tracer.start_span("fire")
    context = trace.set_span_in_context(parent)
    parent.end()
    tracer.start_span("and-forget", context=context).end()
    processor.force_flush(5_000)
    runs = sink.by_name()
    assert runs["and-forget"].parent_run_id == runs["fire"].id
    assert_valid(list(runs.values()))


def test_threads_and_tasks_keep_their_own_trees(
    provider: tuple[TracerProvider, RunSpanProcessor], sink: MemorySink
) -> None:
    tp, processor = provider
    tracer = tp.get_tracer("app")

    def work(name: str) -> None:
        with tracer.start_as_current_span(name):
            for i in range(5):
                with tracer.start_as_current_span(f"{name}/step{i}"):
                    tracer.start_span(f"{name}/step{i}/chat", attributes=LLM).end()

    async def task(name: str) -> None:
        with tracer.start_as_current_span(name):
            await asyncio.sleep(0)
            with tracer.start_as_current_span(f"{name}/step"):
                await asyncio.sleep(0)
                tracer.start_span(f"{name}/step/chat", attributes=LLM).end()

    async def tasks() -> None:
        await asyncio.gather(*(task(f"task{i}") for i in range(20)))

    threads = [threading.Thread(target=work, args=(f"thread{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    asyncio.run(tasks())
    for thread in threads:
        thread.join()
    processor.force_flush(10_000)
    runs = sink.by_name()
    assert len(runs) == 8 * 11 + 20 * 3
    assert_valid(list(runs.values()))
    for name, run in runs.items():
        if "/" in name:
            root = runs[name.split("/")[0]]
            assert run.trace_id == root.id
    assert runs["thread3"].total_tokens == 60


def test_genai_filter_at_the_processor_reparents(sink: MemorySink) -> None:
    tp = TracerProvider()
    processor = RunSpanProcessor(sink, keep="genai", schedule_delay_millis=50)
    tp.add_span_processor(processor)
    tracer = tp.get_tracer("app")
    with (
        tracer.start_as_current_span("GET /chat", attributes={"http.route": "/chat"}),
        tracer.start_as_current_span("agent", attributes={g.OPERATION_NAME: "invoke_agent"}),
        tracer.start_as_current_span("SELECT", attributes={"db.system": "sqlite"}),
    ):
        tracer.start_span("chat", attributes=LLM).end()
    tp.shutdown()
    runs = sink.by_name()
    assert set(runs) == {"agent", "chat"}
    assert runs["agent"].parent_run_id is None
    assert runs["chat"].parent_run_id == runs["agent"].id
    assert_valid(list(runs.values()))


def test_exporter_alone_assembles_children_that_come_first(sink: MemorySink) -> None:
    """Without the processor's stamps (plain BatchSpanProcessor), batches of one span each,
    children first: the exporter waits for parents and still builds the tree."""
    tp = TracerProvider()
    exporter = RunExporter(sink)
    tp.add_span_processor(
        BatchSpanProcessor(exporter, max_export_batch_size=1, schedule_delay_millis=10)
    )
    tracer = tp.get_tracer("app")
    with tracer.start_as_current_span("root"), tracer.start_as_current_span("mid"):
        tracer.start_span("leaf").end()
    tp.force_flush()
    runs = sink.by_name()
    assert set(runs) == {"root", "mid", "leaf"}
    assert_valid(list(runs.values()))
    assert exporter.stats()["waited"] == 2
    tp.shutdown()
    assert sink.closed


def test_a_failing_sink_never_reaches_the_app(
    sink: MemorySink, internal_errors: InternalErrors
) -> None:
    sink.fail_with = RuntimeError("destination exploded")
    tp = TracerProvider()
    exporter = RunExporter(sink)
    tp.add_span_processor(RunSpanProcessor(exporter=exporter, schedule_delay_millis=10))
    tracer = tp.get_tracer("app")
    with tracer.start_as_current_span("root"):
        pass
    assert not tp.force_flush(5_000)  # no exception; the run waits in the retry buffer
    assert exporter.stats()["buffered"] == 1
    from opentelemetry.sdk.trace.export import SpanExportResult

    assert exporter.export([]) is SpanExportResult.SUCCESS
    tp.shutdown()
    assert internal_errors.errors and all(
        str(error) == "destination exploded" for error in internal_errors.errors
    )


def test_configure_adds_the_processor(sink: MemorySink) -> None:
    tp = TracerProvider()
    processor = configure(sink, tracer_provider=tp)
    tp.get_tracer("app").start_span("one").end()
    processor.force_flush(5_000)
    assert list(sink.by_name()) == ["one"]
    tp.shutdown()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_can_export_while_the_parent_held_the_lock(sink: MemorySink) -> None:
    import os

    exporter = RunExporter(sink)
    with exporter._lock:  # the batch worker is mid-export when the app forks
        pid = os.fork()
        if pid == 0:  # child: must not deadlock on the inherited lock
            tp = TracerProvider()
            tp.add_span_processor(SimpleSpanProcessor(exporter))
            tp.get_tracer("child").start_span("in child").end()
            os._exit(0 if "in child" in sink.by_name() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_spans_the_full_batch_queue_drops_are_counted(sink: MemorySink) -> None:
    """The SDK's queue only logs a drop; the processor counts it in the exporter's stats."""
    tp = TracerProvider()
    processor = RunSpanProcessor(sink, max_queue_size=5, max_export_batch_size=5,
                                 schedule_delay_millis=60_000)  # fmt: skip
    tp.add_span_processor(processor)
    entered, release = threading.Event(), threading.Event()
    original = processor.exporter.export

    def slow_export(spans: Sequence[ReadableSpan | FinishedSpan]) -> SpanExportResult:
        entered.set()
        release.wait(10)
        return original(spans)

    processor.exporter.export = slow_export  # type: ignore[method-assign]
    tracer = tp.get_tracer("app")
    for index in range(5):  # a full batch wakes the worker, which then blocks in export
        tracer.start_span(f"first{index}").end()
    assert entered.wait(10)
    for index in range(25):  # 5 fit in the queue, 20 are dropped
        tracer.start_span(f"then{index}").end()
    release.set()
    tp.shutdown()
    stats = processor.exporter.stats()
    assert stats["queue_dropped"] == 20
    assert stats["delivered"] == 10


class _KeepsHandle(SpanProcessor):
    """A processor ahead of ours that only remembers, weakly, each span handed to on_end."""

    def __init__(self) -> None:
        self.ended: list[weakref.ref[ReadableSpan]] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(weakref.ref(span))


def test_the_queue_does_not_keep_the_sdk_spans_alive(sink: MemorySink) -> None:
    """What waits in the batch queue is the small `FinishedSpan`, not the SDK's span object
    with its wrappers (a backlog of those is what the app thread's collections would scan)."""
    tp = TracerProvider()
    probe = _KeepsHandle()
    tp.add_span_processor(probe)
    processor = RunSpanProcessor(sink, schedule_delay_millis=60_000, max_export_batch_size=512)
    tp.add_span_processor(processor)
    tracer = tp.get_tracer("app")
    with tracer.start_as_current_span("agent"):
        tracer.start_span("chat", attributes=LLM).end()
    gc.collect()
    assert len(probe.ended) == 2
    assert [ref() for ref in probe.ended] == [None, None]  # still queued, yet freed
    assert sink.runs == {}
    assert processor.force_flush(5_000)
    runs = sink.by_name()
    assert runs["chat"].parent_run_id == runs["agent"].id
    assert runs["chat"].prompt_tokens == 10
    tp.shutdown()


def test_runs_through_the_processor_equal_runs_from_the_sdk_spans(sink: MemorySink) -> None:
    """Every field a span can carry reaches the run the same way whether the processor queues
    its `FinishedSpan` or an exporter gets the SDK's span."""
    tp = TracerProvider(span_limits=SpanLimits(max_span_attributes=6, max_events=2, max_links=1))
    memory = InMemorySpanExporter()
    tp.add_span_processor(SimpleSpanProcessor(memory))
    processor = RunSpanProcessor(sink, schedule_delay_millis=50)
    tp.add_span_processor(processor)
    tracer = tp.get_tracer("app", "1.2.3")
    other = trace.SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=trace.TraceFlags(1))
    with tracer.start_as_current_span("agent", kind=trace.SpanKind.SERVER) as agent:
        agent.add_event("note", {"k": "v"})
        with tracer.start_as_current_span(
            "chat",
            attributes={**LLM, "a": 1, "b": (1, 2), "c": True},
            links=[trace.Link(other, {"l": 1})],
        ) as chat:
            chat.add_event("e1")
            chat.add_event("e2")
            chat.add_event("e3")  # over the limit: dropped and counted
            chat.set_status(trace.StatusCode.ERROR, "boom")
    assert processor.force_flush(5_000)
    expected = {run.id: run.to_dict() for run in convert_spans(memory.get_finished_spans()).runs}
    got = {run.id: run.to_dict() for run in sink.runs.values()}
    assert got == expected
    chat_run = sink.by_name()["chat"]
    assert chat_run.error == "boom"
    assert chat_run.metadata["otel"]["dropped"] == {"attributes": 1, "events": 1}
    tp.shutdown()


class _StuckSink(MemorySink):
    """A destination that takes `seconds` to answer each write (a slow or hanging LangSmith)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.release = threading.Event()

    def write(self, runs: Sequence[Run]) -> SinkResult:
        self.release.wait(self.seconds)
        return super().write(runs)


def _one_span_queued(sink: MemorySink) -> tuple[TracerProvider, RunSpanProcessor]:
    """A provider whose processor holds one ended span "one" (its batch timer is a minute)."""
    tp = TracerProvider()
    processor = RunSpanProcessor(sink, schedule_delay_millis=60_000)
    tp.add_span_processor(processor)
    tp.get_tracer("app").start_span("one").end()
    return tp, processor


def test_force_flush_returns_by_its_timeout_when_the_sink_hangs() -> None:
    sink = _StuckSink(30)
    tp, processor = _one_span_queued(sink)
    started = time.monotonic()
    assert processor.force_flush(300) is False  # not done in time, and says so
    assert time.monotonic() - started < 2
    sink.release.set()  # the destination answers: the flush that went on finishes
    assert processor.force_flush(5_000) is True
    assert list(sink.by_name()) == ["one"]
    tp.shutdown()


def test_shutdown_returns_by_its_timeout_when_the_sink_hangs() -> None:
    sink = _StuckSink(30)
    _, processor = _one_span_queued(sink)
    started = time.monotonic()
    processor.shutdown(timeout_millis=300)
    assert time.monotonic() - started < 2
    sink.release.set()


def test_flush_runs_in_place_when_no_thread_can_start(
    sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the interpreter finalizes (an atexit flush), new threads are refused: the flush
    then runs on the caller's thread rather than not at all."""
    tp, processor = _one_span_queued(sink)

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    with monkeypatch.context() as patch:
        patch.setattr(threading.Thread, "start", refuse)
        assert processor.force_flush(5_000) is True
    assert list(sink.by_name()) == ["one"]
    tp.shutdown()


def _blocked_export(processor: RunSpanProcessor) -> tuple[threading.Event, threading.Event]:
    """Make the exporter block on its first batch until released; (entered, release)."""
    entered, release = threading.Event(), threading.Event()
    original = processor.exporter.export

    def slow_export(spans: Sequence[ReadableSpan | FinishedSpan]) -> SpanExportResult:
        entered.set()
        release.wait(30)
        return original(spans)

    processor.exporter.export = slow_export  # type: ignore[method-assign]
    return entered, release


def test_a_burst_that_fits_in_memory_loses_nothing_and_waits_for_its_end(
    sink: MemorySink,
) -> None:
    """Far more spans than the SDK's 2,048-span queue; none converted during the burst."""
    tp = TracerProvider()
    processor = RunSpanProcessor(sink, schedule_delay_millis=60_000)
    tp.add_span_processor(processor)
    tracer = tp.get_tracer("app")
    for index in range(6_000):
        tracer.start_span(f"burst{index}", attributes=LLM).end()
    assert processor.queued_bytes > 6_000 * 600
    assert processor.exporter.stats()["converted"] == 0
    tp.shutdown()
    stats = processor.exporter.stats()
    assert stats["queue_dropped"] == 0
    assert stats["delivered"] == 6_000 == len(sink.runs)
    assert processor.queued_bytes == 0


def test_past_the_byte_bound_new_spans_are_dropped_counted_and_logged(
    sink: MemorySink, caplog: pytest.LogCaptureFixture
) -> None:
    tp = TracerProvider()
    processor = RunSpanProcessor(sink, max_queue_bytes=200_000, schedule_delay_millis=60_000)
    tp.add_span_processor(processor)
    _, release = _blocked_export(processor)
    tracer = tp.get_tracer("app")
    text = "x" * 10_000  # each span holds ~10 KB: about 20 fit
    highest = 0
    with caplog.at_level("WARNING", logger="otel_runs.processor"):
        for index in range(100):
            tracer.start_span(f"big{index}", attributes={"payload": text}).end()
            highest = max(highest, processor.queued_bytes)
    assert highest <= 200_000
    release.set()
    tp.shutdown()
    stats = processor.exporter.stats()
    assert stats["queue_dropped"] >= 50
    assert stats["delivered"] == 100 - stats["queue_dropped"] == len(sink.runs)
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1  # once a minute
    assert "queue full" in caplog.records[0].message


def test_the_byte_bound_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RUNS_MAX_QUEUE_BYTES", "12345")
    assert RunSpanProcessor(MemorySink()).max_queue_bytes == 12345
    monkeypatch.setenv("OTEL_RUNS_MAX_QUEUE_BYTES", "lots")
    assert RunSpanProcessor(MemorySink()).max_queue_bytes == 64 * 1024 * 1024
    assert RunSpanProcessor(MemorySink(), max_queue_bytes=99).max_queue_bytes == 99
