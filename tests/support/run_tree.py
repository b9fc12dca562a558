"""Assertions about the shape of converted run trees."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from otel_runs import Run

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def assert_one_tree(runs: list[Run]) -> Run:
    """Check every tree field against the parent links; returns the single root.

    One trace: one root, every `trace_id` is the root's id, every `dotted_order` extends its
    parent's by one segment ending in the run's own id, the ancestor and child id lists agree
    with the parent links, and the runs come in `dotted_order` order.
    """
    assert runs, "no runs"
    roots = [run for run in runs if run.parent_run_id is None]
    assert len(roots) == 1, f"expected one root, got {[r.name for r in roots]}"
    root = roots[0]
    by_id = {run.id: run for run in runs}
    assert len(by_id) == len(runs), "duplicate run ids"
    assert root.dotted_order.endswith(str(root.id))
    assert "." not in root.dotted_order
    assert root.parent_run_ids == []
    for run in runs:
        assert run.trace_id == root.id, run.name
        assert run.dotted_order.startswith(root.dotted_order), run.name
        assert run.dotted_order.endswith(str(run.id)), run.name
        if run is root:
            continue
        assert run.parent_run_id in by_id, f"{run.name}: parent not in the batch"
        parent = by_id[run.parent_run_id]
        head, _, segment = run.dotted_order.rpartition(".")
        assert head == parent.dotted_order, run.name
        assert segment.endswith(str(run.id)), run.name
        assert run.parent_run_ids == [*parent.parent_run_ids, parent.id], run.name
        assert run.id in parent.direct_child_run_ids, run.name
        for ancestor in run.parent_run_ids:
            assert run.id in by_id[ancestor].child_run_ids, run.name
    assert [run.dotted_order for run in runs] == sorted(run.dotted_order for run in runs)
    otel_trace_ids = {run.metadata["otel_trace_id"] for run in runs}
    assert len(otel_trace_ids) == 1
    return root


def children(runs: list[Run], parent: Run) -> list[Run]:
    """The direct children of `parent`, in dotted_order order."""
    return [run for run in runs if run.parent_run_id == parent.id]


def only(runs: list[Run], *, run_type: str) -> Run:
    """The single run of a type."""
    found = [run for run in runs if run.run_type == run_type]
    assert len(found) == 1, f"expected one {run_type} run, got {[r.name for r in found]}"
    return found[0]


def epoch_us(moment: datetime) -> int:
    """A run time as integer microseconds since the Unix epoch (spans count in ns)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def assert_sums_children(parent: Run, carriers: list[Run]) -> None:
    """A chain's token and cost fields are exactly its LLM descendants' sums."""
    for field in ("prompt_tokens", "completion_tokens", "total_tokens"):
        values = [getattr(run, field) for run in carriers]
        assert all(isinstance(v, int) for v in values), (field, values)
        assert getattr(parent, field) == sum(values), field
    for field in ("prompt_cost", "completion_cost", "total_cost"):
        costs = [getattr(run, field) for run in carriers if getattr(run, field) is not None]
        expected = sum(costs, Decimal(0)) if costs else None
        assert getattr(parent, field) == expected, field
