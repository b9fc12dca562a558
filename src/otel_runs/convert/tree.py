"""Trees from any arrival order: dotted_order, trace ids, child lists, roll-ups, trace values.

Orphan policy: a run whose parent is not in the batch becomes the root of its own subtree
(`trace_id` = its own id, `extra.metadata.ls_orphan` names the missing parent), unless it
carries a complete stamped lineage (`langsmith.span.dotted_order` ending in its own id with its
parent penultimate), which is kept as is. No run is ever dropped for a missing parent.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.identity import Identity
from otel_runs.convert.span_to_run import RunDraft
from otel_runs.convert.usage import aggregate
from otel_runs.dotted_order import (
    SEGMENT_LEN,
    child_segment_time,
    datetime_to_us,
    format_segment,
    ns_to_us,
    parse,
    segment_time_us,
)
from otel_runs.errors import DottedOrderError
from otel_runs.model.run import Run


@dataclass(frozen=True, slots=True)
class Lineage:
    """What a child in a later batch needs of a run already emitted: its place and trace values."""

    dotted_order: str
    segment_us: int
    thread_id: str | None = None
    user_id: str | None = None
    project: tuple[tuple[str, str], ...] = ()


def lineage_of(run: Run) -> Lineage:
    """The lineage of an assembled run."""
    meta = run.metadata
    project = [("session_name", run.unmapped.get("session_name")), ("session_id", run.session_id)]
    return Lineage(
        dotted_order=run.dotted_order,
        segment_us=segment_time_us(run.dotted_order),
        thread_id=meta.get(ls.META_THREAD_ID),
        user_id=meta.get(ls.META_USER_ID),
        project=tuple((k, str(v)) for k, v in project if v),
    )


_COST_FIELDS = (
    ("input_cost", "prompt_cost"),
    ("output_cost", "completion_cost"),
    ("total_cost", "total_cost"),
)


def reparent(identities: dict[UUID, Identity], kept: set[UUID]) -> dict[UUID, Identity]:
    """Identities of kept runs, each parent moved to its nearest kept ancestor in the batch.

    Stamped dotted_orders lose the segments of dropped runs, so they stay valid.
    """
    dropped = set(identities) - kept
    dropped_text = {str(run_id) for run_id in dropped}
    out = {}
    for run_id in kept:
        ident = identities[run_id]
        parent = ident.parent_id
        seen = {run_id}
        while parent in dropped and parent not in seen:
            seen.add(parent)
            parent = identities[parent].parent_id
        dotted = ident.dotted_order
        if dotted and dropped:
            dotted = ".".join(s for s in dotted.split(".") if s[-36:] not in dropped_text)
        out[run_id] = Identity(run_id, parent, ident.forced_root, ident.trace_id, dotted or None)
    return out


def stamped_lineage(ident: Identity) -> tuple[str, int] | None:
    """The declared dotted_order and its last segment time, when it is a consistent lineage."""
    if not ident.dotted_order:
        return None
    try:
        segments = parse(ident.dotted_order)
    except DottedOrderError:
        return None
    if segments[-1].run_id != ident.run_id:
        return None
    if ident.parent_id is None and len(segments) != 1:
        return None
    if ident.parent_id is not None and (
        len(segments) < 2 or segments[-2].run_id != ident.parent_id
    ):
        return None
    if any(b.time_us < a.time_us for a, b in itertools.pairwise(segments)):
        return None
    return ident.dotted_order, segments[-1].time_us


def _stamp_under(ident: Identity, parent_dotted: str, parent_us: int) -> tuple[str, int] | None:
    """The child's stamped dotted_order when it is exactly one valid segment below its parent's
    placed one. Stamped times may differ from start times (runs from LangSmith, clamped clock
    skew); keeping the stamp keeps such a tree, and the children placed under it, exact."""
    dotted = ident.dotted_order
    cut = len(parent_dotted)
    if (
        not dotted
        or len(dotted) != cut + 1 + SEGMENT_LEN
        or dotted[cut] != "."
        or not dotted.startswith(parent_dotted)
        or dotted[-36:] != str(ident.run_id)
    ):
        return None
    try:
        segment_us = segment_time_us(dotted)
    except DottedOrderError:
        return None
    return (dotted, segment_us) if segment_us >= parent_us else None


def assemble(
    drafts: Iterable[RunDraft], known: Mapping[UUID, Lineage | None] | None = None
) -> list[RunDraft]:
    """Fill tree fields of every draft's run; returns drafts in dotted_order order.

    `known` holds runs emitted in earlier batches: a span whose parent is there continues that
    parent's dotted_order instead of becoming an orphan.
    """
    known = known or {}
    by_id: dict[UUID, RunDraft] = {}
    for draft in drafts:
        by_id[draft.run.id] = draft  # a re-sent span: the last copy wins
    children: dict[UUID, list[UUID]] = defaultdict(list)
    roots: list[UUID] = []
    seg_time: dict[UUID, int] = {}
    for run_id, draft in by_id.items():
        parent = draft.ident.parent_id
        if parent is not None and parent in by_id and parent != run_id:
            children[parent].append(run_id)
        else:
            roots.append(run_id)

    placed: set[UUID] = set()

    def place_root(run_id: UUID) -> None:
        draft = by_id[run_id]
        run = draft.run
        start_us = datetime_to_us(run.start_time)
        stamped = stamped_lineage(draft.ident)
        parent = draft.ident.parent_id
        if stamped is not None:
            run.dotted_order, seg_time[run_id] = stamped
        elif parent is not None and parent in known and known[parent] is None:
            run.dotted_order, seg_time[run_id] = format_segment(start_us, run_id), start_us
        elif parent is not None and (above := known.get(parent)) is not None:
            seg_time[run_id] = child_segment_time(start_us, above.segment_us)
            run.dotted_order = above.dotted_order + "." + format_segment(seg_time[run_id], run_id)
        else:
            if draft.ident.parent_id is not None:
                run.metadata["ls_orphan"] = {"missing_parent_run_id": str(draft.ident.parent_id)}
            run.dotted_order, seg_time[run_id] = format_segment(start_us, run_id), start_us
        placed.add(run_id)

    def place_subtree(root: UUID) -> None:
        stack = [root]
        while stack:
            parent = stack.pop()
            parent_run = by_id[parent].run
            for child in children.get(parent, ()):
                if child in placed:
                    continue
                draft = by_id[child]
                run = draft.run
                kept = _stamp_under(draft.ident, parent_run.dotted_order, seg_time[parent])
                if kept is not None:
                    run.dotted_order, seg_time[child] = kept
                else:
                    start_us = ns_to_us(draft.record.start_ns)
                    seg_time[child] = child_segment_time(start_us, seg_time[parent])
                    run.dotted_order = (
                        parent_run.dotted_order + "." + format_segment(seg_time[child], child)
                    )
                placed.add(child)
                stack.append(child)

    for root in roots:
        place_root(root)
        place_subtree(root)
    # Whatever is left sits on a parent cycle: break it at its earliest-starting run.
    while len(placed) < len(by_id):
        rest = sorted((by_id[r].record.start_ns, str(r), r) for r in by_id if r not in placed)
        root = rest[0][2]
        by_id[root].run.metadata["ls_orphan"] = {"parent_cycle": True}
        place_root(root)
        place_subtree(root)

    ordered = sorted(by_id.values(), key=lambda d: d.run.dotted_order)
    _link(ordered)
    _roll_up(ordered)
    _spread_trace_values(ordered, known)
    return ordered


def _link(ordered: list[RunDraft]) -> None:
    """trace_id, parent_run_id and the parent/child id lists, from the dotted orders."""
    index = {d.run.id: d.run for d in ordered}
    for draft in ordered:  # dotted_order order: a parent in the batch comes before its children
        run = draft.run
        dotted = run.dotted_order
        parent_id = UUID(dotted[-SEGMENT_LEN - 37 : -SEGMENT_LEN - 1]) if "." in dotted else None
        parent = index.get(parent_id) if parent_id is not None else None
        if parent is not None:
            ids = [*parent.parent_run_ids, parent.id, run.id]
        else:
            ids = [UUID(seg[-36:]) for seg in dotted.split(".")]
        run.trace_id = ids[0]
        run.parent_run_id = ids[-2] if len(ids) > 1 else None
        run.parent_run_ids = ids[:-1]
        for depth, ancestor in enumerate(ids[:-1]):
            anc_run = index.get(ancestor)
            if anc_run is not None:
                anc_run.child_run_ids.append(run.id)
                if depth == len(ids) - 2:
                    anc_run.direct_child_run_ids.append(run.id)


def _roll_up(ordered: list[RunDraft]) -> None:
    """Token and cost fields: own usage on leaf LLM calls, descendants' sum everywhere above.

    A run with usage whose descendants also have usage (a framework's LLM span around the
    client's) would count twice: its own usage moves to `ls_aggregated_usage`.
    """
    by_id = {d.run.id: d for d in ordered}
    carriers_below: dict[UUID, list[RunDraft]] = defaultdict(list)
    for draft in reversed(ordered):
        run = draft.run
        below = carriers_below.get(run.id, [])
        if draft.usage is not None and not below:
            mine = [draft]
            _set_tokens(draft, [draft])
            usage = dict(draft.usage)
            if draft.costs:
                usage.update({k: float(v) for k, v in draft.costs.items()})
            run.metadata[ls.META_USAGE] = usage
        else:
            mine = below
            if draft.usage is not None:
                run.metadata[ls.META_AGGREGATED_USAGE] = draft.usage
                draft.usage = None
            if below:
                _set_tokens(draft, below)
        parent = run.parent_run_id
        if parent is not None and parent in by_id and mine:
            carriers_below[parent].extend(mine)


def _set_tokens(draft: RunDraft, carriers: list[RunDraft]) -> None:
    run = draft.run
    total = aggregate([c.usage for c in carriers if c.usage is not None])
    run.prompt_tokens = total["input_tokens"]
    run.completion_tokens = total["output_tokens"]
    run.total_tokens = total["total_tokens"]
    priced = [c.costs for c in carriers if c.costs]
    for usage_key, field in _COST_FIELDS:
        amounts = [costs[usage_key] for costs in priced if usage_key in costs]
        setattr(run, field, sum(amounts, Decimal(0)) if amounts else None)


def _spread_trace_values(ordered: list[RunDraft], known: Mapping[UUID, Lineage | None]) -> None:
    """Thread id, user id and project: the trace's first value (root first) on every run."""
    firsts: dict[UUID, dict[str, str]] = defaultdict(dict)
    for draft in ordered:
        above = known.get(draft.ident.parent_id) if draft.ident.parent_id else None
        if above is not None:
            found = firsts[draft.run.trace_id]
            for key, value in (
                (ls.META_THREAD_ID, above.thread_id),
                (ls.META_USER_ID, above.user_id),
                *above.project,
            ):
                if value is not None:
                    found.setdefault(key, value)
    for draft in ordered:
        found = firsts[draft.run.trace_id]
        for key, value in (
            (ls.META_THREAD_ID, draft.thread_id),
            (ls.META_USER_ID, draft.user_id),
            ("session_name", draft.project.get("session_name")),
            ("session_id", draft.project.get("session_id")),
        ):
            if value is not None:
                found.setdefault(key, value)
    for draft in ordered:
        run = draft.run
        found = firsts[run.trace_id]
        meta = run.metadata
        if ls.META_THREAD_ID in found and meta.keys().isdisjoint(ls.META_THREAD_KEYS):
            meta[ls.META_THREAD_ID] = found[ls.META_THREAD_ID]
        if ls.META_USER_ID in found:
            meta.setdefault(ls.META_USER_ID, found[ls.META_USER_ID])
        if "session_name" in found:
            run.unmapped["session_name"] = found["session_name"]
        if "session_id" in found:
            run.session_id = found["session_id"]
