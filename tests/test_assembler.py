"""Traces that arrive in pieces: children first, split across batches, parents that never come."""

from __future__ import annotations

from otel_runs import dotted_order
from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.convert.assembler import TraceAssembler
from otel_runs.ids import run_id_from_span_id
from tests.support.records import record


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def assembler(**kwargs: object) -> tuple[TraceAssembler, Clock]:
    clock = Clock()
    return TraceAssembler(ttl_s=30.0, clock=clock, **kwargs), clock  # type: ignore[arg-type]


def assert_valid(run: object) -> None:
    from otel_runs import Run

    assert isinstance(run, Run)
    assert dotted_order.problems(run.dotted_order, run.id, run.trace_id, run.parent_run_id) == []


def test_child_waits_for_a_parent_in_a_later_batch() -> None:
    asm, _ = assembler()
    assert asm.add([record(2, 1, name="child", start=10)]).runs == []
    assert asm.waiting == 1
    runs = asm.add([record(1, name="root")]).runs
    assert [r.name for r in runs] == ["root", "child"]
    root, child = runs
    assert child.parent_run_id == root.id and child.trace_id == root.id
    assert asm.counts.waited == 1 and asm.waiting == 0
    for run in runs:
        assert_valid(run)


def test_child_after_its_emitted_parent_continues_the_lineage() -> None:
    asm, _ = assembler()
    thread = {g.CONVERSATION_ID: "thread-1"}
    [root] = asm.add([record(1, name="root", attributes=thread)]).runs
    [child] = asm.add([record(2, 1, name="child", start=-5)]).runs  # clock skew: earlier
    assert child.dotted_order.startswith(root.dotted_order + ".")
    assert child.trace_id == root.id
    assert child.metadata["thread_id"] == "thread-1"
    assert_valid(child)


def test_parent_that_never_comes_makes_an_orphan_root_after_the_ttl() -> None:
    asm, clock = assembler()
    asm.add([record(2, 1, name="child"), record(3, 2, name="grandchild", start=5)])
    clock.now += 29
    assert asm.add([]).runs == []
    clock.now += 2
    runs = asm.add([]).runs
    assert [r.name for r in runs] == ["child", "grandchild"]
    assert runs[0].parent_run_id is None
    assert runs[0].metadata["ls_orphan"] == {"missing_parent_run_id": str(run_id_from_span_id(1))}
    assert runs[1].parent_run_id == runs[0].id
    assert asm.counts.orphaned == 1 and asm.waiting == 0


def test_waiting_room_is_capped_and_overflow_is_emitted_not_dropped() -> None:
    asm, _ = assembler(max_waiting=2)
    result = asm.add([record(10 + i, 100 + i, name=f"o{i}", start=i) for i in range(5)])
    assert len(result.runs) == 3
    assert asm.waiting == 2
    assert asm.counts.evicted == 3
    assert len(asm.add([], flush=True).runs) == 2


def test_stamped_spans_never_wait() -> None:
    root_id = run_id_from_span_id(1)
    child_id = run_id_from_span_id(2)
    dotted = (
        dotted_order.format_segment(1_763_800_000_000_000, root_id)
        + "."
        + dotted_order.format_segment(1_763_800_000_000_001, child_id)
    )
    stamped = record(
        2, 1, name="child", attributes={ls.SPAN_DOTTED_ORDER: dotted, ls.TRACE_ID: str(root_id)}
    )
    asm, _ = assembler()
    [run] = asm.add([stamped]).runs
    assert run.dotted_order == dotted and run.trace_id == root_id
    assert "ls_orphan" not in run.metadata


def test_filtered_root_in_an_earlier_batch_does_not_hold_its_kept_children() -> None:
    asm, _ = assembler(keep="genai")
    assert asm.add([record(1, name="POST /chat", attributes={"http.route": "/chat"})]).runs == []
    [run] = asm.add([record(2, 1, name="llm", attributes={g.OPERATION_NAME: "chat"})]).runs
    assert run.parent_run_id is None
    assert "ls_orphan" not in run.metadata
    assert asm.waiting == 0


def test_invalid_spans_are_counted_and_neighbours_emitted() -> None:
    asm, _ = assembler()
    result = asm.add([record(0, name="bad"), record(1, name="good")])
    assert [r.name for r in result.runs] == ["good"]
    assert len(result.rejected) == 1 and asm.counts.rejected == 1


def test_tokens_reach_ancestors_emitted_in_later_batches() -> None:
    usage = {
        g.OPERATION_NAME: "chat",
        g.REQUEST_MODEL: "gpt-4o-mini",
        g.USAGE_INPUT_TOKENS: 10,
        g.USAGE_OUTPUT_TOKENS: 2,
    }
    asm, _ = assembler()
    asm.add([record(1, name="root")][:0])  # nothing yet
    first = asm.add([record(3, 2, name="inner", attributes=usage, start=20)])
    assert first.runs == []  # waits for its parent
    runs = {
        r.name: r
        for r in asm.add(
            [record(2, 1, name="outer", attributes=usage, start=10), record(1, name="root")]
        ).runs
    }
    assert runs["inner"].total_tokens == 12
    assert runs["outer"].total_tokens == 12  # wraps inner: its own usage is a roll-up
    assert runs["root"].total_tokens == 12


def test_parent_in_a_later_batch_gets_its_children_totals() -> None:
    usage = {
        g.OPERATION_NAME: "chat",
        g.REQUEST_MODEL: "gpt-4o-mini",
        g.USAGE_INPUT_TOKENS: 10,
        g.USAGE_OUTPUT_TOKENS: 2,
    }
    root_id = run_id_from_span_id(1)
    seg = dotted_order.format_segment(1_763_800_000_000_000, root_id)
    stamps = {ls.TRACE_ID: str(root_id)}

    def child(span_id: int) -> object:
        own = dotted_order.format_segment(1_763_800_000_000_100, run_id_from_span_id(span_id))
        return record(
            span_id,
            1,
            name=f"chat{span_id}",
            start=100_000,
            attributes={**usage, **stamps, ls.SPAN_DOTTED_ORDER: f"{seg}.{own}"},
        )

    asm, _ = assembler()
    assert len(asm.add([child(2)]).runs) == 1  # type: ignore[list-item]
    assert len(asm.add([child(3)]).runs) == 1  # type: ignore[list-item]
    [root] = asm.add(
        [record(1, name="root", attributes={**stamps, ls.SPAN_DOTTED_ORDER: seg})]
    ).runs
    assert (root.prompt_tokens, root.completion_tokens, root.total_tokens) == (20, 4, 24)
    assert root.total_cost is not None and root.total_cost > 0


def test_a_flush_in_steps_emits_the_oldest_whole_subtrees_first() -> None:
    asm, _ = assembler()
    # three orphan subtrees of 3 spans (a missing parent 100 + i each), then single orphans
    trees = [record(10 * i + 1, 100 + i, name=f"top{i}", start=i) for i in range(3)] + [
        record(10 * i + j, 10 * i + 1, name=f"c{i}.{j}", start=i) for i in range(3) for j in (2, 3)
    ]
    asm.add(trees + [record(500 + i, 900 + i, name=f"o{i}", start=10 + i) for i in range(4)])
    assert asm.waiting == 13
    first = asm.take([], flush=True, flush_most=4).runs
    # top0's subtree (3) is under 4, so top1's whole subtree follows it: never half a subtree
    assert sorted(run.name for run in first) == ["c0.2", "c0.3", "c1.2", "c1.3", "top0", "top1"]
    assert asm.waiting == 7
    rest = asm.take([], flush=True, flush_most=4).runs + asm.take([], flush=True, flush_most=4).runs
    assert asm.waiting == 0 and len(rest) == 7
    assert asm.counts.orphaned == 3 + 4


def test_exporter_flush_delivers_a_full_waiting_room_in_batches() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from otel_runs import RunExporter
    from tests.support.memory_sink import MemorySink

    class BatchSizes(MemorySink):
        def __init__(self) -> None:
            super().__init__()
            self.sizes: list[int] = []

        def write(self, runs):  # type: ignore[no-untyped-def]
            self.sizes.append(len(runs))
            return super().write(runs)

    sink = BatchSizes()
    exporter = RunExporter(sink, max_waiting_spans=5_000)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("app")
    for i in range(1_300):  # children of parents that are never sent: they all wait
        parent = trace.SpanContext(i + 1, i + 1, False, trace.TraceFlags(1))
        tracer.start_span(
            f"o{i}", context=trace.set_span_in_context(trace.NonRecordingSpan(parent))
        ).end()
    assert exporter.stats()["waiting"] == 1_300 and sink.sizes == []
    exporter.shutdown()
    assert len(sink.runs) == 1_300  # every one delivered, in steps of a batch, never all at once
    assert sink.sizes == [512, 512, 276]
    assert exporter.stats()["orphaned"] == 1_300
