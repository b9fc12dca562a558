"""Whole traces from spans that arrive in pieces: children before parents, traces split across
batches, spans without a stamped identity.

A span is *anchored* when its place in the tree is known: it is a root, it carries a complete
stamped lineage, its parent was emitted earlier (its lineage is remembered), or its parent is
itself anchored in the same call. Anchored spans convert at once; the rest wait, per trace, for
their parent. A span that waited `ttl_s` seconds, or that the memory cap pushes out, is emitted
as the root of its own subtree (an orphan) rather than dropped.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.identity import Identity, identity
from otel_runs.convert.spans_to_runs import (
    Conversion,
    Keep,
    _keep_predicate,
    _reject,
    convert_checked,
    is_pending,
)
from otel_runs.convert.tree import Lineage, lineage_of, stamped_lineage
from otel_runs.convert.validate import problem
from otel_runs.model.run import Run
from otel_runs.model.span_record import SpanRecord
from otel_runs.runs_to_spans.restore import finish


@dataclass(slots=True)
class _Totals:
    """Token and cost sums of LLM calls waiting for an ancestor to be emitted."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_cost: Decimal | None = None
    completion_cost: Decimal | None = None
    total_cost: Decimal | None = None


_SUMMED = ("prompt_tokens", "completion_tokens", "total_tokens")
_COSTS = ("prompt_cost", "completion_cost", "total_cost")


def _add_to(totals: _Totals, run: Run) -> None:
    for name in _SUMMED:
        setattr(totals, name, getattr(totals, name) + (getattr(run, name) or 0))
    for name in _COSTS:
        amount = getattr(run, name)
        if amount is not None:
            setattr(totals, name, (getattr(totals, name) or Decimal(0)) + amount)


def _add(run: Run, totals: _Totals, sign: int = 1) -> None:
    for name in _SUMMED:
        setattr(run, name, (getattr(run, name) or 0) + sign * getattr(totals, name))
    for name in _COSTS:
        amount = getattr(totals, name)
        if amount is not None:
            setattr(run, name, (getattr(run, name) or Decimal(0)) + sign * amount)


@dataclass(slots=True)
class _Waiting:
    record: SpanRecord
    ident: Identity
    since: float
    stamped: bool
    """The span carries a complete stamped lineage: it can be placed without its parent."""


@dataclass(slots=True)
class AssemblyCounts:
    """What the assembler did, since it was created."""

    converted: int = 0
    """Spans that became runs."""
    waited: int = 0
    """Of those, spans that had to wait for their parent (and got it)."""
    orphaned: int = 0
    """Spans whose parent never came within the TTL: emitted as roots of their own subtree."""
    evicted: int = 0
    """Spans emitted as orphans early because the waiting room was full."""
    rejected: int = 0
    """Invalid spans (bad ids, impossible times)."""


def _subtree_size(children: dict[UUID, list[UUID]], root: UUID) -> int:
    """How many waiting spans hang below root."""
    count, stack, seen = 0, list(children.get(root, ())), {root}
    while stack:
        run_id = stack.pop()
        if run_id in seen:  # a parent cycle
            continue
        seen.add(run_id)
        count += 1
        stack.extend(children.get(run_id, ()))
    return count


class TraceAssembler:
    """Converts spans batch by batch, holding back those whose parent has not arrived yet."""

    def __init__(
        self,
        *,
        ttl_s: float = 30.0,
        max_waiting: int = 10_000,
        max_known: int = 100_000,
        keep: Keep = "all",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_waiting = max_waiting
        self.max_known = max_known
        self._keep = keep
        self._predicate = _keep_predicate(keep)
        self._clock = clock
        self._waiting: OrderedDict[UUID, _Waiting] = OrderedDict()
        # Emitted runs' lineages; a filtered-out span maps to its nearest kept ancestor's, or to
        # None when it has none (its kept children become roots).
        self._known: OrderedDict[UUID, Lineage | None] = OrderedDict()
        self._below: OrderedDict[UUID, _Totals] = OrderedDict()
        self.counts = AssemblyCounts()

    @property
    def waiting(self) -> int:
        """Spans held back now."""
        return len(self._waiting)

    def add(self, records: Iterable[SpanRecord], *, flush: bool = False) -> Conversion:
        """Take new spans; return the runs that can be emitted now.

        With `flush`, everything still waiting is emitted (orphans become roots).
        """
        now = self._clock()
        rejected = []
        held_before = set(self._waiting)
        pending = 0
        for record in records:
            reason = problem(record)
            if reason is not None:
                rejected.append(_reject(record, reason))
                continue
            if is_pending(record):
                pending += 1
                continue
            ident = identity(record)
            self._waiting.pop(ident.run_id, None)  # a re-sent span replaces the held copy
            stamped = stamped_lineage(ident) is not None
            self._waiting[ident.run_id] = _Waiting(record, ident, now, stamped)
        self.counts.rejected += len(rejected)
        ready = self._anchored()
        expired = now - self.ttl_s
        # Only the top of a waiting subtree becomes an orphan root; its descendants follow it.
        tops = [
            run_id
            for run_id, item in self._waiting.items()
            if run_id not in ready and item.ident.parent_id not in self._waiting
        ]
        orphans = [r for r in tops if flush or self._waiting[r].since <= expired]
        self.counts.orphaned += len(orphans)
        overflow = len(self._waiting) - len(ready) - self.max_waiting
        if overflow > 0:
            chosen = set(orphans)
            children = self._children()
            evicted = []
            for run_id in tops:  # oldest first
                if overflow <= 0:
                    break
                if run_id in chosen:
                    continue
                evicted.append(run_id)
                overflow -= 1 + _subtree_size(children, run_id)
            self.counts.evicted += len(evicted)
            orphans.extend(evicted)
        if orphans:
            ready = self._anchored(extra_roots=set(orphans))
        batch = [self._waiting.pop(run_id) for run_id in list(self._waiting) if run_id in ready]
        self.counts.waited += sum(1 for item in batch if item.ident.run_id in held_before)
        result = convert_checked(
            [(item.record, item.ident) for item in batch],
            Conversion(rejected=rejected, pending=pending),
            keep=self._keep,
            known=self._known,
        )
        self.counts.converted += len(result.runs)
        self._roll_up_across_batches(result.runs)
        self._restore_round_trips(result.runs, batch)
        self._remember(result, batch)
        return result

    @staticmethod
    def _restore_round_trips(runs: list[Run], batch: list[_Waiting]) -> None:
        """Runs that came back from `runs_to_spans` keep their original totals, not roll-ups."""
        records = {
            item.ident.run_id: item.record
            for item in batch
            if ls.RUN_FIELDS in item.record.attributes
        }
        for run in runs if records else ():
            record = records.get(run.id)
            if record is not None:
                finish(record, run)

    def _roll_up_across_batches(self, runs: list[Run]) -> None:
        """Tokens and costs of LLM calls emitted before their ancestors reach those ancestors.

        Children usually end, and so are exported, before their parents; the batch that carries
        a parent then lacks the children the tree step would have summed.
        """
        in_batch = {run.id: run for run in runs}
        for run in runs:  # dotted_order order: ancestors before descendants
            carried = self._below.pop(run.id, None)
            if carried is None:
                continue
            if ls.META_USAGE in run.metadata:  # it wraps LLM calls of earlier batches
                own = _Totals()
                _add_to(own, run)
                for ancestor in run.parent_run_ids:  # the tree step counted it as a leaf
                    if ancestor in in_batch:
                        _add(in_batch[ancestor], own, sign=-1)
                run.metadata[ls.META_AGGREGATED_USAGE] = run.metadata.pop(ls.META_USAGE)
                run.prompt_tokens = run.completion_tokens = run.total_tokens = 0
                run.prompt_cost = run.completion_cost = run.total_cost = None
            _add(run, carried)
        for run in runs:
            if ls.META_USAGE not in run.metadata:
                continue
            for ancestor in run.parent_run_ids:
                if ancestor not in in_batch:
                    _add_to(self._below.setdefault(ancestor, _Totals()), run)
                    self._below.move_to_end(ancestor)
        while len(self._below) > self.max_known:
            self._below.popitem(last=False)

    def _children(self) -> dict[UUID, list[UUID]]:
        """Waiting spans by waiting parent (built once per batch: an orphan flood must not make
        each eviction rescan the whole waiting room)."""
        waiting = self._waiting
        children: dict[UUID, list[UUID]] = {}
        for run_id, item in waiting.items():
            parent = item.ident.parent_id
            if parent is not None and parent in waiting:
                children.setdefault(parent, []).append(run_id)
        return children

    def _anchored(self, extra_roots: set[UUID] | None = None) -> set[UUID]:
        """Run ids of waiting spans whose place in the tree is known."""
        roots = extra_roots or set()
        waiting = self._waiting
        anchored: set[UUID] = set()
        children: dict[UUID, list[UUID]] = {}
        frontier = []
        for run_id, item in waiting.items():
            parent = item.ident.parent_id
            if parent is None or run_id in roots or parent in self._known or item.stamped:
                frontier.append(run_id)
            elif parent in waiting:
                children.setdefault(parent, []).append(run_id)
        while frontier:
            run_id = frontier.pop()
            if run_id in anchored:
                continue
            anchored.add(run_id)
            frontier.extend(children.get(run_id, ()))
        return anchored

    def _remember(self, result: Conversion, batch: list[_Waiting]) -> None:
        """Lineages of emitted runs, and of filtered-out spans (as their nearest kept ancestor)."""
        known = self._known
        for run in result.runs:
            known[run.id] = lineage_of(run)
            known.move_to_end(run.id)
        if self._predicate is not None:
            emitted = {run.id for run in result.runs}
            dropped = [item.ident for item in batch if item.ident.run_id not in emitted]
            changed = True
            while changed:  # parents may come after their children in the batch
                changed = False
                for ident in dropped:
                    if ident.run_id in known:
                        continue
                    if ident.parent_id is None:
                        known[ident.run_id] = None
                    elif ident.parent_id in known:
                        known[ident.run_id] = known[ident.parent_id]
                    else:
                        continue
                    changed = True
        while len(known) > self.max_known:
            known.popitem(last=False)
