"""Properties of spans -> run trees (`convert_records`), on random span forests.

Forests have 1..40 spans in several trees and OTel traces, random 64-bit ids, clock skew
(children starting before their parents, siblings starting together), parents left out of the
batch, spans re-sent, and a random arrival order. What the runs must be is computed from the
generated model alone (`expected_runs`), with a strftime-based dotted_order formatter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from otel_runs import dotted_order
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.convert.spans_to_runs import Conversion, convert_records
from otel_runs.dotted_order import datetime_to_us
from otel_runs.model.run import Run
from otel_runs.model.span_record import SpanRecord
from tests.support.strategies import (
    PROPERTIES,
    Forest,
    Node,
    forests,
    oracle_segment,
    oracle_split,
    stamped_forests,
)

T0_NS = 1_763_800_000_123_456_789
"""2025-11-22, with sub-microsecond digits so that the floor to microseconds shows."""

# --- the oracle ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Want:
    """What one span's run must look like."""

    node: Node
    dotted_order: str
    segment_us: int
    parent_run_id: UUID | None
    parent_run_ids: tuple[UUID, ...]
    missing_parent: UUID | None
    """For a span whose nearest (kept) ancestor is not in the batch: that ancestor's run id."""


def expected_runs(forest: Forest, kept: frozenset[int] | None = None) -> dict[UUID, Want]:
    """The runs of the sent (and kept) spans, from the model alone.

    A run's parent is its nearest kept ancestor in the batch; when the walk up leaves the batch
    the run is an orphan root naming the span it stopped at. A stamped lineage is kept as is.
    A child's segment time is clamped to its parent's, so it is the latest start on its path.
    """
    nodes = forest.nodes
    present = frozenset(forest.sent)
    runs = present if kept is None else present & kept
    memo: dict[int, Want] = {}

    def want(i: int) -> Want:
        if i in memo:
            return memo[i]
        node = nodes[i]
        stamp = forest.stamps.get(i)
        parent = node.parent
        while parent is not None and parent in present and parent not in runs:
            parent = nodes[parent].parent
        if stamp is not None:
            found = Want(
                node, stamp.dotted_order, stamp.own_us, stamp.ancestors[-1], stamp.ancestors, None
            )
        elif parent is None or parent not in present:
            found = Want(
                node,
                oracle_segment(node.start_us, node.run_id),
                node.start_us,
                None,
                (),
                None if parent is None else nodes[parent].run_id,
            )
        else:
            up = want(parent)
            at = max(node.start_us, up.segment_us)
            found = Want(
                node,
                up.dotted_order + "." + oracle_segment(at, node.run_id),
                at,
                up.node.run_id,
                (*up.parent_run_ids, up.node.run_id),
                None,
            )
        memo[i] = found
        return found

    return {nodes[i].run_id: want(i) for i in sorted(runs)}


def check_invariants(run: Run, by_id: Mapping[UUID, Run], *, roots_in_batch: bool = True) -> None:
    """The run-format invariants, by `dotted_order.problems` and by the test's own parser."""
    assert dotted_order.problems(run.dotted_order, run.id, run.trace_id, run.parent_run_id) == []
    segments = oracle_split(run.dotted_order)
    assert str(run.id) == run.dotted_order[-36:] == str(segments[-1][1])
    assert run.trace_id == segments[0][1]
    if run.parent_run_id is None:
        assert len(segments) == 1
    else:
        assert len(segments) >= 2
        assert segments[-2][1] == run.parent_run_id
    assert run.parent_run_ids == [run_id for _, run_id in segments[:-1]]
    times = [us for us, _ in segments]
    assert times == sorted(times), "a segment is earlier than its parent's"
    # The dotted_order time may be clamped up to the parent's; start_time never is.
    assert times[-1] >= datetime_to_us(run.start_time)
    if roots_in_batch or run.trace_id in by_id:
        root = by_id[run.trace_id]
        assert root.parent_run_id is None
        assert root.dotted_order == run.dotted_order[:58]


def check_links(runs: list[Run]) -> None:
    """parent_run_ids, child_run_ids and direct_child_run_ids agree with each other."""
    by_id = {run.id: run for run in runs}
    for run in runs:
        assert len(set(run.child_run_ids)) == len(run.child_run_ids)
        assert set(run.direct_child_run_ids) <= set(run.child_run_ids)
        below = set(run.direct_child_run_ids)
        for child_id in run.direct_child_run_ids:
            child = by_id[child_id]
            assert child.parent_run_id == run.id
            assert child.parent_run_ids == [*run.parent_run_ids, run.id]
            below |= set(child.child_run_ids)
        assert set(run.child_run_ids) == below
        for other in runs:
            assert (other.id in run.child_run_ids) == (run.id in other.parent_run_ids)
        parent = by_id.get(run.parent_run_id) if run.parent_run_id else None
        if parent is not None:
            assert run.id in parent.direct_child_run_ids


def check_tree(
    conversion: Conversion, want: Mapping[UUID, Want], *, roots_in_batch: bool = True
) -> None:
    """Every wanted run exactly once, in dotted_order order, each exactly as the oracle says."""
    runs = conversion.runs
    assert conversion.rejected == []
    ids = [run.id for run in runs]
    assert len(ids) == len(set(ids)), "a span became more than one run"
    assert set(ids) == set(want), "spans were dropped or runs invented"
    assert [r.dotted_order for r in runs] == sorted(r.dotted_order for r in runs)
    by_id = {run.id: run for run in runs}
    children: dict[UUID, set[UUID]] = defaultdict(set)
    descendants: dict[UUID, set[UUID]] = defaultdict(set)
    for run_id, wanted in want.items():
        if wanted.parent_run_id is not None and wanted.parent_run_id in want:
            children[wanted.parent_run_id].add(run_id)
        for ancestor in wanted.parent_run_ids:
            descendants[ancestor].add(run_id)
    for run in runs:
        wanted = want[run.id]
        node = wanted.node
        assert run.id == UUID(int=node.span_id)
        assert run.dotted_order == wanted.dotted_order
        assert run.trace_id == UUID(wanted.dotted_order[22:58])
        assert run.parent_run_id == wanted.parent_run_id
        assert run.parent_run_ids == list(wanted.parent_run_ids)
        assert datetime_to_us(run.start_time) == node.start_ns // 1000
        assert run.end_time is not None
        assert datetime_to_us(run.end_time) == node.end_ns // 1000
        check_invariants(run, by_id, roots_in_batch=roots_in_batch)
        if wanted.missing_parent is None:
            assert "ls_orphan" not in run.metadata
        else:
            assert run.metadata["ls_orphan"] == {
                "missing_parent_run_id": str(wanted.missing_parent)
            }
        assert set(run.direct_child_run_ids) == children[run.id]
        assert set(run.child_run_ids) == descendants[run.id]
    check_links(runs)


def dicts(conversion: Conversion) -> list[dict[str, object]]:
    return [run.to_dict() for run in conversion.runs]


# --- every span, once, in a valid tree -------------------------------------------------------


@settings(PROPERTIES, max_examples=100)
@given(forest=forests(), data=st.data())
def test_every_span_becomes_one_run_in_a_valid_tree(forest: Forest, data: st.DataObject) -> None:
    records = forest.records()
    arrival = data.draw(st.permutations(records), label="arrival")
    other = data.draw(st.permutations(records), label="other arrival")
    conversion = convert_records(arrival)
    check_tree(conversion, expected_runs(forest))
    assert (conversion.filtered, conversion.pending) == (0, 0)
    assert dicts(conversion) == dicts(convert_records(other)), "arrival order changed the runs"


@settings(PROPERTIES, max_examples=30)
@given(forest=forests(resend=False), data=st.data())
def test_resending_every_span_changes_nothing(forest: Forest, data: st.DataObject) -> None:
    records = forest.records()
    once = convert_records(data.draw(st.permutations(records)))
    twice = convert_records(data.draw(st.permutations(records + records)))
    assert dicts(twice) == dicts(once)


def _record(span_id: int, parent: int | None, start: int) -> SpanRecord:
    return SpanRecord(
        trace_id=0xABC,
        span_id=span_id,
        parent_span_id=parent,
        name=f"span-{span_id}",
        start_ns=T0_NS + start,
        end_ns=T0_NS + 10**9,
    )


def test_clamped_segment_time_keeps_the_true_start() -> None:
    """A child 5 µs before its parent, a grandchild 10 µs before: both sort at the root's time."""
    runs = convert_records(
        [_record(3, 2, -10_000), _record(2, 1, -5_000), _record(1, None, 0)]
    ).runs
    t0_us = T0_NS // 1000
    assert [run.id for run in runs] == [UUID(int=1), UUID(int=2), UUID(int=3)]
    assert [datetime_to_us(run.start_time) for run in runs] == [t0_us, t0_us - 5, t0_us - 10]
    assert runs[2].dotted_order == ".".join(oracle_segment(t0_us, UUID(int=i)) for i in (1, 2, 3))


# --- thread ids ------------------------------------------------------------------------------


@settings(PROPERTIES, max_examples=50)
@given(forest=forests(), data=st.data())
def test_thread_id_reaches_every_run_of_the_trace(forest: Forest, data: st.DataObject) -> None:
    """A `session.id` on any span of a LangSmith trace puts a thread_id on all of its runs: the
    span's own, else the trace's first in dotted_order order; no session, no thread_id."""
    assert oi.SESSION_ID == "session.id"
    node_of = {node.run_id: node for node in forest.nodes}
    traces: dict[UUID, list[Run]] = defaultdict(list)
    for run in convert_records(data.draw(st.permutations(forest.records()))).runs:
        traces[run.trace_id].append(run)
    for runs in traces.values():
        sessions = [s for s in (node_of[run.id].session for run in runs) if s is not None]
        for run in runs:
            thread = run.metadata.get(ls.META_THREAD_ID)
            if not sessions:
                assert thread is None
                continue
            own = node_of[run.id].session
            assert thread == (own if own is not None else sessions[0])


# --- keep filters ----------------------------------------------------------------------------


@settings(PROPERTIES, max_examples=80)
@given(forest=forests(), data=st.data())
def test_keep_predicate_reparents_to_nearest_kept_ancestor(
    forest: Forest, data: st.DataObject
) -> None:
    kept = frozenset(data.draw(st.sets(st.sampled_from(range(len(forest.nodes)))), label="kept"))
    kept_span_ids = {forest.nodes[i].span_id for i in kept}

    def keep(record: SpanRecord) -> bool:
        return record.span_id in kept_span_ids

    records = data.draw(st.permutations(forest.records()))
    conversion = convert_records(records, keep=keep)
    check_tree(conversion, expected_runs(forest, kept))
    dropped = {forest.nodes[i].run_id for i in forest.sent if i not in kept}
    for run in conversion.runs:
        assert not any(str(gone) in run.dotted_order for gone in dropped)
    # Every record the filter left out counts (a dropped span sent twice counts twice).
    assert conversion.filtered == sum(1 for r in records if r.span_id not in kept_span_ids)


@settings(PROPERTIES, max_examples=50)
@given(forest=forests(), data=st.data())
def test_keep_genai_keeps_exactly_the_genai_spans(forest: Forest, data: st.DataObject) -> None:
    genai = frozenset(node.index for node in forest.nodes if node.genai)
    conversion = convert_records(data.draw(st.permutations(forest.records())), keep="genai")
    check_tree(conversion, expected_runs(forest, genai))


def test_a_kept_span_sent_twice_is_not_counted_as_filtered() -> None:
    """Regression: `filtered` once counted len(records) - len(kept run ids)."""
    record = _record(1, None, 0)
    conversion = convert_records([record, record], keep=lambda _: True)
    assert len(conversion.runs) == 1
    assert conversion.filtered == 0


# --- stamped lineages ------------------------------------------------------------------------


@settings(PROPERTIES, max_examples=50)
@given(forest=stamped_forests(), data=st.data())
def test_stamped_lineage_is_kept_exactly(forest: Forest, data: st.DataObject) -> None:
    """A span stamped with `langsmith.span.dotted_order`, `.parent_id` and `langsmith.trace.id`
    whose ancestors are elsewhere keeps that dotted_order, trace and parent; its in-batch
    descendants hang below it."""
    conversion = convert_records(data.draw(st.permutations(forest.records())))
    by_id = {run.id: run for run in conversion.runs}
    for index, stamp in forest.stamps.items():
        run = by_id[forest.nodes[index].run_id]
        assert run.dotted_order == stamp.dotted_order
        assert run.trace_id == stamp.ancestors[0]
        assert run.parent_run_id == stamp.ancestors[-1]
        assert "ls_orphan" not in run.metadata
    outside = {stamp.ancestors[0] for stamp in forest.stamps.values()}
    assert all(run.trace_id in by_id or run.trace_id in outside for run in conversion.runs)
    check_tree(conversion, expected_runs(forest), roots_in_batch=False)
