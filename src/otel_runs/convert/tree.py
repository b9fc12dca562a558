"""Trees from any arrival order: dotted_order, trace ids, parents, roll-ups, trace values.

Orphan policy: a run whose parent is not in the batch becomes the root of its own subtree
(`trace_id` = its own id, `extra.metadata.ls_orphan` names the missing parent), unless it
carries a complete stamped lineage (`langsmith.span.dotted_order` ending in its own id with its
parent penultimate), which is kept as is. No run is ever dropped for a missing parent.

Everything is keyed by the run id's integer value (`RunData.key`); child id lists are made only
where a sink or an API asks for them (`run_data.Batch`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from operator import attrgetter
from typing import Final, NamedTuple

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.identity import Identity, uuid_text
from otel_runs.convert.leftovers import SPAN_NAME
from otel_runs.convert.run_data import RunData
from otel_runs.convert.times import segment_time
from otel_runs.dotted_order import SEGMENT_LEN, last_segment_us, segments_of
from otel_runs.model.ingest import COST_KEYS, COST_SOURCE_KEY, KEPT_COST_SOURCES


class Lineage(NamedTuple):
    """What a child in a later batch needs of a run already emitted: its place and trace values.
    (A tuple: one is kept per emitted run.)"""

    dotted_order: str
    segment_us: int
    thread_id: str | None = None
    user_id: str | None = None
    project: tuple[tuple[str, str], ...] = ()


_NO_PROJECT: Final[tuple[tuple[str, str], ...]] = ()


_new_lineage: Final = tuple.__new__
"""`Lineage(...)` from a tuple of its fields, without the NamedTuple's Python-level __new__."""


def lineage_of(run: RunData) -> Lineage:
    """The lineage of an assembled run: where its children in later batches go."""
    restored = run.restored
    if restored is not None:
        segment_us = last_segment_us(restored.dotted_order)
        if segment_us is not None and restored.dotted_order.endswith(run.id):
            meta = restored.metadata
            names = [
                ("session_name", restored.unmapped.get("session_name")),
                ("session_id", restored.session_id),
            ]
            return Lineage(
                restored.dotted_order, segment_us, meta.get(ls.META_THREAD_ID),
                meta.get(ls.META_USER_ID), tuple((k, str(v)) for k, v in names if v),
            )  # fmt: skip
        # A round trip keeps whatever dotted_order the run had, valid or not; its children
        # go under the place the tree step gave it, which LangSmith accepts.
    meta = run.extra["metadata"]
    name, session = run.session_name, run.session_id
    return _new_lineage(  # one per emitted run: positional, without the NamedTuple's own __new__
        Lineage,
        (
            run.dotted_order,
            run.segment_us,
            meta.get(ls.META_THREAD_ID),
            meta.get(ls.META_USER_ID),
            _NO_PROJECT
            if not (name or session)
            else tuple(
                (k, str(v)) for k, v in (("session_name", name), ("session_id", session)) if v
            ),
        ),
    )


def reparent(identities: dict[int, Identity], kept: set[int]) -> dict[int, Identity]:
    """Identities of kept runs, each parent moved to its nearest kept ancestor in the batch.

    Stamped dotted_orders lose the segments of dropped runs, so they stay valid.
    """
    dropped = set(identities) - kept
    dropped_text = {uuid_text(key) for key in dropped}
    out = {}
    for key in kept:
        ident = identities[key]
        parent = ident.parent
        seen = {key}
        while parent in dropped and parent not in seen:
            seen.add(parent)
            parent = identities[parent].parent
        dotted = ident.dotted_order
        if dotted and dropped:
            dotted = ".".join(s for s in dotted.split(".") if s[-36:] not in dropped_text)
        out[key] = Identity(key, parent, dotted or None)
    return out


def stamped_lineage(key: int, parent: int | None, dotted: str | None) -> tuple[str, int] | None:
    """The declared dotted_order and its last segment time, when it is a consistent lineage."""
    if not dotted:
        return None
    segments = segments_of(dotted)
    if segments is None or segments[-1][1] != key:
        return None
    if parent is None and len(segments) != 1:
        return None
    if parent is not None and (len(segments) < 2 or segments[-2][1] != parent):
        return None
    if any(b[0] < a[0] for a, b in itertools.pairwise(segments)):
        return None
    return dotted, segments[-1][0]


def _stamp_under(run: RunData, parent_dotted: str, parent_us: int) -> tuple[str, int] | None:
    """The child's stamped dotted_order when it is exactly one valid segment below its parent's
    placed one. Stamped times may differ from start times (runs from LangSmith, clamped clock
    skew); keeping the stamp keeps such a tree, and the children placed under it, exact."""
    dotted = run.stamp
    cut = len(parent_dotted)
    if (
        not dotted
        or len(dotted) != cut + 1 + SEGMENT_LEN
        or dotted[cut] != "."
        or not dotted.startswith(parent_dotted)
        or dotted[-36:] != run.id
    ):
        return None
    lineage = run.lineage
    segment_us = lineage[1] if isinstance(lineage, tuple) else last_segment_us(dotted)
    if segment_us is None:
        return None
    return (dotted, segment_us) if segment_us >= parent_us else None


def assemble(
    runs: Iterable[RunData],
    known: Mapping[int, Lineage | None] | None = None,
    first_genai: dict[str, tuple[str, str]] | None = None,
) -> list[RunData]:
    """Fill the tree fields of every run; returns the runs in dotted_order order.

    `known` holds runs emitted in earlier batches: a span whose parent is there continues that
    parent's dotted_order instead of becoming an orphan. `first_genai` keeps, across batches,
    the first GenAI run of each trace whose root is still to come (see `name_roots`).
    """
    known = known or {}
    by_key: dict[int, RunData] = {}
    for run in runs:
        by_key[run.key] = run  # a re-sent span: the last copy wins
    children: dict[int, list[RunData]] = defaultdict(list)
    roots: list[RunData] = []
    for key, run in by_key.items():
        parent = run.parent_key
        if parent is not None and parent in by_key and parent != key:
            children[parent].append(run)
        else:
            roots.append(run)

    placed: set[int] = set()

    def place_root(run: RunData, on_cycle: bool = False) -> None:
        start_us = run.start_ns // 1000
        parent = run.parent_key
        stamped = run.lineage
        if stamped is False:
            stamped = stamped_lineage(run.key, parent, run.stamp) if run.stamp else None
        if stamped is not None:
            run.dotted_order, run.segment_us = stamped
        elif parent is not None and parent in known and known[parent] is None:
            run.dotted_order, run.segment_us = segment_time(start_us) + run.id, start_us
        elif parent is not None and (above := known.get(parent)) is not None:
            segment_us = start_us if start_us >= above.segment_us else above.segment_us
            run.segment_us = segment_us
            run.dotted_order = f"{above.dotted_order}.{segment_time(segment_us)}{run.id}"
        else:
            if parent is not None and not on_cycle:
                run.metadata["ls_orphan"] = {"missing_parent_run_id": uuid_text(parent)}
            run.dotted_order, run.segment_us = segment_time(start_us) + run.id, start_us
        dotted = run.dotted_order
        run.ancestors = (
            tuple([segment[-36:] for segment in dotted.split(".")[:-1]]) if "." in dotted else ()
        )
        placed.add(run.key)

    def place_subtree(root: RunData) -> None:
        stack = [root]
        while stack:
            parent = stack.pop()
            below = children.get(parent.key)
            if not below:
                continue
            parent_dotted, parent_us = parent.dotted_order, parent.segment_us
            lineage = (*parent.ancestors, parent.id)
            for child in below:
                if child.key in placed:
                    continue
                kept = _stamp_under(child, parent_dotted, parent_us) if child.stamp else None
                if kept is not None:
                    child.dotted_order, child.segment_us = kept
                else:
                    start_us = child.start_ns // 1000
                    segment_us = start_us if start_us >= parent_us else parent_us
                    child.segment_us = segment_us
                    child.dotted_order = f"{parent_dotted}.{segment_time(segment_us)}{child.id}"
                child.ancestors = lineage
                placed.add(child.key)
                stack.append(child)

    for root in roots:
        place_root(root)
        place_subtree(root)
    # Whatever is left sits on a parent cycle: break it at its earliest-starting run.
    while len(placed) < len(by_key):
        rest = sorted((r.start_ns, r.id, k) for k, r in by_key.items() if k not in placed)
        root = by_key[rest[0][2]]
        root.metadata["ls_orphan"] = {"parent_cycle": True}
        place_root(root, on_cycle=True)
        place_subtree(root)

    ordered = sorted(by_key.values(), key=_DOTTED)
    _roll_up(ordered)
    _spread_trace_values(ordered, known)
    name_roots(ordered, first_genai)
    return ordered


def name_roots(ordered: list[RunData], first_genai: dict[str, tuple[str, str]] | None) -> None:
    """A trace whose root is an incoming request that is not a GenAI span (a SERVER span: HTTP
    `POST /chat`, gRPC) is named by its first GenAI run in dotted_order (the outermost, earliest
    one: `invoke_agent weather`), else by the root's `{method} {http.route}`. Other roots keep
    their names (an app's own `my pipeline` span is a name the app chose). The span name stays
    in `extra.metadata.otel.span_name`, so runs -> spans gives the span back under its own name.

    `first_genai` maps a trace's root run id to its first GenAI run (dotted_order, name) seen so
    far, for a root that arrives in a later batch than its descendants (stamped spans are
    emitted without waiting for their parent); a named root's entry is dropped.
    """
    firsts = first_genai if first_genai is not None else {}
    roots = []
    for run in ordered:
        ancestors = run.ancestors
        if not ancestors:
            roots.append(run)
        elif run.genai:
            top = ancestors[0]
            held = firsts.get(top)
            if held is None or run.dotted_order < held[0]:
                firsts[top] = (run.dotted_order, run.name)
    for root in roots:
        found = firsts.pop(root.id, None)
        if root.request is None:
            continue
        name = found[1] if found is not None else root.request
        if name and name != root.name:
            space = root.metadata.get(ls.META_OTEL)
            if isinstance(space, dict):
                space.setdefault(SPAN_NAME, root.name)
            root.name = name


_DOTTED: Final = attrgetter("dotted_order")


def _roll_up(ordered: list[RunData]) -> None:
    """Token and cost fields: own usage on leaf LLM calls, descendants' sum everywhere above.

    A run with usage whose descendants also have usage (a framework's LLM span around the
    client's) would count twice: its own usage moves to `ls_aggregated_usage`.
    """
    by_id = {run.id: run for run in ordered}
    carriers_below: dict[str, list[RunData]] = {}
    # By the costs dict's id (each is alive, held by its run, for the whole call): calls
    # priced alike share one dict (`costs._price` is memoized), and its Decimal sums and float
    # forms are worked out once instead of per run (~0.5 us a run).
    forms: dict[int, _CostForms] = {}
    for run in reversed(ordered):
        below = carriers_below.get(run.id)
        own = run.usage
        if own is not None and not below:
            mine = [run]
            run.prompt_tokens = own["input_tokens"]
            run.completion_tokens = own["output_tokens"]
            run.total_tokens = own["total_tokens"]
            costs = run.costs
            if costs:
                found = forms.get(id(costs))
                if found is None:
                    found = forms[id(costs)] = _cost_forms(costs)
                run.prompt_cost, run.completion_cost, run.total_cost, floats = found
                source = run.extra["metadata"].get(COST_SOURCE_KEY)
                if source not in KEPT_COST_SOURCES and COST_KEYS.isdisjoint(own):
                    # The payload leaves them out: kept aside, shared by runs priced alike
                    # (only ever read).
                    run.priced = floats
                    usage = own
                else:
                    usage = {**own, **floats}
            else:
                run.prompt_cost = run.completion_cost = run.total_cost = None
                usage = own
            # (`own` itself when unchanged: from here on only its token counts are read, until
            # `RunData.fold_priced` adds our costs to it for a run that leaves as a `Run`)
            run.extra["metadata"][ls.META_USAGE] = usage
        else:
            mine = below or []
            if run.usage is not None:
                run.metadata[ls.META_AGGREGATED_USAGE] = run.usage
                run.usage = None
            if below:
                _set_tokens(run, below)
            else:
                _no_tokens(run)
        ancestors = run.ancestors
        if ancestors and mine and (parent := ancestors[-1]) in by_id:
            carriers_below.setdefault(parent, []).extend(mine)


_CostForms = tuple[Decimal | None, Decimal | None, Decimal | None, dict[str, float]]
"""A run's prompt, completion and total cost, and its costs as floats."""


def _cost_forms(costs: dict[str, Decimal]) -> _CostForms:
    return (
        _ZERO + costs["input_cost"] if "input_cost" in costs else None,
        _ZERO + costs["output_cost"] if "output_cost" in costs else None,
        _ZERO + costs["total_cost"] if "total_cost" in costs else None,
        {k: float(v) for k, v in costs.items()},
    )


def _no_tokens(run: RunData) -> None:
    run.prompt_tokens = run.completion_tokens = run.total_tokens = None
    run.prompt_cost = run.completion_cost = run.total_cost = None


def _set_tokens(run: RunData, carriers: list[RunData]) -> None:
    usages = [c.usage for c in carriers if c.usage is not None]
    run.prompt_tokens = sum([usage.get("input_tokens", 0) for usage in usages])
    run.completion_tokens = sum([usage.get("output_tokens", 0) for usage in usages])
    run.total_tokens = sum([usage.get("total_tokens", 0) for usage in usages])
    priced = [c.costs for c in carriers if c.costs]
    if not priced:
        run.prompt_cost = run.completion_cost = run.total_cost = None
        return
    run.prompt_cost = _sum(priced, "input_cost")
    run.completion_cost = _sum(priced, "output_cost")
    run.total_cost = _sum(priced, "total_cost")


_ZERO: Final = Decimal(0)


def _sum(priced: list[dict[str, Decimal]], key: str) -> Decimal | None:
    amounts = [costs[key] for costs in priced if key in costs]
    return sum(amounts, _ZERO) if amounts else None


def _spread_trace_values(ordered: list[RunData], known: Mapping[int, Lineage | None]) -> None:
    """Thread id, user id and project: the trace's first value (root first) on every run."""
    firsts: dict[str, dict[str, str]] = defaultdict(dict)
    for run in ordered:
        parent = run.parent_key
        above = known.get(parent) if parent is not None else None
        if above is not None:
            found = firsts[run.trace_id]
            for key, value in (
                (ls.META_THREAD_ID, above.thread_id),
                (ls.META_USER_ID, above.user_id),
                *above.project,
            ):
                if value is not None:
                    found.setdefault(key, value)
    for run in ordered:
        if run.thread_id is None and run.user_id is None and not run.project:
            continue
        found = firsts[run.trace_id]
        for key, value in (
            (ls.META_THREAD_ID, run.thread_id),
            (ls.META_USER_ID, run.user_id),
            ("session_name", run.project.get("session_name")),
            ("session_id", run.project.get("session_id")),
        ):
            if value is not None:
                found.setdefault(key, value)
    if not firsts:
        return
    for run in ordered:
        found = firsts.get(run.trace_id) or {}
        if not found:
            continue
        meta = run.extra["metadata"]
        if ls.META_THREAD_ID in found and meta.keys().isdisjoint(ls.META_THREAD_KEYS):
            meta[ls.META_THREAD_ID] = found[ls.META_THREAD_ID]
        if ls.META_USER_ID in found:
            meta.setdefault(ls.META_USER_ID, found[ls.META_USER_ID])
        if "session_name" in found:
            run.session_name = found["session_name"]
        if "session_id" in found:
            run.session_id = found["session_id"]
