"""A large batch is converted and delivered in steps (its runs die young: docs/benchmarks.md),
and the steps change nothing of what arrives."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_runs import Run, RunExporter
from otel_runs.sinks import SinkResult
from tests.support.memory_sink import MemorySink


class _Sizes(MemorySink):
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, runs: Sequence[Run]) -> SinkResult:
        self.sizes.append(len(runs))
        return super().write(runs)


def _spans(roots: int = 19) -> list[ReadableSpan]:
    """300 children that end first, then their parent, then more roots: one batch whose first
    children and their parent fall in different steps."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("parent"):
        for i in range(300):
            with tracer.start_as_current_span(f"child {i}"):
                pass
    for i in range(roots):
        with tracer.start_as_current_span(f"root {i}"):
            pass
    return list(memory.get_finished_spans())


def test_a_batch_of_roots_arrives_in_steps() -> None:
    spans = [span for span in _spans(380) if span.name.startswith("root")]
    sink = _Sizes()
    exporter = RunExporter(sink)
    exporter.export(spans)
    assert sink.sizes == [128, 128, 124]
    exporter.shutdown()


def test_the_steps_keep_a_tree_whole() -> None:
    spans = _spans()
    sink = _Sizes()
    exporter = RunExporter(sink, assembly_ttl_s=3600)
    exporter.export(spans)
    exporter.force_flush()
    assert sum(sink.sizes) == len(spans) == 320
    runs = sink.by_name()
    parent = runs["parent"]
    assert parent.parent_run_id is None
    for i in range(300):  # each child waited for its parent across steps: none is an orphan
        child = runs[f"child {i}"]
        assert child.parent_run_id == parent.id
        assert child.dotted_order.startswith(parent.dotted_order + ".")
    exporter.shutdown()
