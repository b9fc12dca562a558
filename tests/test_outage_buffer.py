"""A destination outage: runs the sink could not deliver are kept (bounded), retried after a
backoff that never blocks the batch worker, and delivered exactly once when it recovers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_runs import Run, RunExporter
from otel_runs.sinks import SinkResult
from otel_runs.sinks.langsmith import LangSmithSink
from tests.support.fake_langsmith import FakeLangSmith, Fault, running_fake_langsmith
from tests.support.memory_sink import MemorySink


class DownSink(MemorySink):
    """Unavailable (every run retryable) while `down` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.calls = 0

    def write(self, runs: Sequence[Run]) -> SinkResult:
        self.calls += 1
        if self.down:
            ids = tuple(str(run.id) for run in runs)
            return SinkResult(failed=len(runs), error="503 Service Unavailable", retry=ids)
        return super().write(runs)


def spans(exporter: RunExporter, names: Sequence[str]) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("app")
    for name in names:
        tracer.start_span(name).end()


def test_runs_wait_out_an_outage_and_arrive_once() -> None:
    sink = DownSink()
    exporter = RunExporter(sink)
    spans(exporter, ["a", "b"])
    assert sink.calls == 1  # the second span came during the backoff: buffered, no call
    assert exporter.stats()["buffered"] == 2
    sink.down = False
    assert exporter.flush_waiting()  # forces an attempt, as shutdown does
    assert set(sink.by_name()) == {"a", "b"}
    stats = exporter.stats()
    assert (stats["delivered"], stats["failed"], stats["buffered"], stats["dropped"]) == (
        2,
        0,
        0,
        0,
    )


def test_the_buffer_is_bounded_and_overflow_is_counted() -> None:
    sink = DownSink()
    exporter = RunExporter(sink, max_buffered_runs=2)
    spans(exporter, ["a", "b", "c", "d", "e"])
    stats = exporter.stats()
    assert stats["buffered"] == 2 and stats["dropped"] == 3
    sink.down = False
    exporter.flush_waiting()
    assert set(sink.by_name()) == {"d", "e"}  # the newest are kept


@pytest.fixture
def fake() -> Iterator[FakeLangSmith]:
    with running_fake_langsmith() as server:
        yield server


def test_langsmith_down_then_back(fake: FakeLangSmith) -> None:
    fake.inject(Fault(status=503), times=100)
    sink = LangSmithSink(api_key=fake.api_key, endpoint=fake.url, backoff=0.01, deadline=0.3)
    exporter = RunExporter(sink)
    spans(exporter, ["x", "y", "z"])
    assert fake.runs == {}
    assert exporter.stats()["buffered"] == 3
    fake.clear_faults()  # LangSmith recovers
    exporter.shutdown()  # the final attempt delivers what the outage held back
    assert sorted(run["name"] for run in fake.runs.values()) == ["x", "y", "z"]
    assert set(fake.accepted.values()) == {1}
    assert exporter.stats()["failed"] == 0


def test_force_flush_is_true_only_when_nothing_waits_in_memory() -> None:
    sink = DownSink()
    exporter = RunExporter(sink)
    spans(exporter, ["a"])
    assert not exporter.force_flush()  # tried again at once; the run is still buffered
    assert sink.calls == 2 and exporter.stats()["buffered"] == 1
    sink.down = False
    assert exporter.force_flush()
    assert set(sink.by_name()) == {"a"} and exporter.stats()["buffered"] == 0


def test_force_flush_through_the_processor_reports_buffered_runs() -> None:
    from otel_runs import RunSpanProcessor

    sink = DownSink()
    provider = TracerProvider()
    processor = RunSpanProcessor(sink, schedule_delay_millis=10)
    provider.add_span_processor(processor)
    provider.get_tracer("app").start_span("a").end()
    assert not processor.force_flush(5_000)
    sink.down = False
    assert processor.force_flush(5_000)
    assert set(sink.by_name()) == {"a"}
    provider.shutdown()


def test_runs_still_undelivered_at_exit_are_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = DownSink()
    exporter = RunExporter(sink)
    spans(exporter, ["a", "b", "c"])
    with caplog.at_level("ERROR", logger="otel_runs"):
        exporter.shutdown()
    stats = exporter.stats()
    assert (stats["lost_at_exit"], stats["buffered"]) == (3, 0)
    assert "3 runs could not be delivered before exit and are lost" in caplog.text
