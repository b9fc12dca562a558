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
from typing import Any

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.run_data import RunData
from otel_runs.convert.spans_to_runs import (
    Conversion,
    Converted,
    Keep,
    check,
    convert_batch,
    keep_predicate,
    restore,
)
from otel_runs.convert.tree import Lineage, lineage_of, stamped_lineage
from otel_runs.model.span_record import SpanRecord


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


def _add_to(totals: _Totals, run: Any) -> None:
    for name in _SUMMED:
        setattr(totals, name, getattr(totals, name) + (getattr(run, name) or 0))
    for name in _COSTS:
        amount = getattr(run, name)
        if amount is not None:
            setattr(totals, name, (getattr(totals, name) or Decimal(0)) + amount)


def _add(run: Any, totals: _Totals, sign: int = 1) -> None:
    for name in _SUMMED:
        setattr(run, name, (getattr(run, name) or 0) + sign * getattr(totals, name))
    for name in _COSTS:
        amount = getattr(totals, name)
        if amount is not None:
            setattr(run, name, (getattr(run, name) or Decimal(0)) + sign * amount)


def _tokens_of(run: RunData) -> Any:
    """Where a run's token and cost fields live: its restored `Run`, when it has one."""
    return run.restored if run.restored is not None else run


def _ancestors(run: RunData) -> tuple[str, ...]:
    restored = run.restored
    if restored is not None:
        return tuple(str(ancestor) for ancestor in restored.parent_run_ids)
    return run.ancestors


@dataclass(slots=True)
class AssemblyCounts:
    """What the assembler did, since it was created."""

    converted: int = 0
    """Spans that became runs."""
    waited: int = 0
    """Of those, spans that had to wait for their parent (and got it)."""
    orphaned: int = 0
    """Spans whose parent never came within the TTL (or that sat on a parent cycle): emitted as
    roots of their own subtree."""
    evicted: int = 0
    """Spans emitted as orphans early because the waiting room was full."""
    rejected: int = 0
    """Invalid spans (bad ids, impossible times)."""


def _subtree_size(children: dict[int, list[int]], root: int) -> int:
    """How many waiting spans hang below root."""
    count, stack, seen = 0, list(children.get(root, ())), {root}
    while stack:
        key = stack.pop()
        if key in seen:  # a parent cycle
            continue
        seen.add(key)
        count += 1
        stack.extend(children.get(key, ()))
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
        self._filtering = keep_predicate(keep) is not None
        self._clock = clock
        self._waiting: OrderedDict[int, RunData] = OrderedDict()
        # Emitted runs' lineages; a filtered-out span maps to its nearest kept ancestor's, or to
        # None when it has none (its kept children become roots).
        self._known: OrderedDict[int, Lineage | None] = OrderedDict()
        self._below: OrderedDict[str, _Totals] = OrderedDict()
        # Per trace root id: its first GenAI run so far, to name a root that comes later.
        self._first_genai: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.counts = AssemblyCounts()

    @property
    def waiting(self) -> int:
        """Spans held back now."""
        return len(self._waiting)

    def waiting_keys(self) -> Iterable[int]:
        """Keys (run id integers) of the spans held back now."""
        return self._waiting.keys()

    def lineage(self, key: int) -> Lineage | None:
        """The lineage remembered for an emitted run (`lineage_of` it when `take` returned it);
        None once forgotten (past `max_known`)."""
        return self._known.get(key)

    def remember(self, key: int, lineage: Lineage) -> None:
        """A run emitted before (by an earlier process), so its children are not orphans."""
        known = self._known
        known[key] = lineage
        known.move_to_end(key)
        while len(known) > self.max_known:
            known.popitem(last=False)

    def add(self, records: Iterable[SpanRecord], *, flush: bool = False) -> Conversion:
        """`take`, with `Run` objects (as the public API returns them)."""
        return self.take(records, flush=flush).public()

    def take(
        self, records: Iterable[SpanRecord], *, flush: bool = False, flush_most: int | None = None
    ) -> Converted:
        """Take new spans; return the runs that can be emitted now.

        With `flush`, everything still waiting is emitted (orphans become roots); with
        `flush_most` too, only the oldest waiting subtrees of about that many spans in all (at
        least one subtree), so that a caller draining a full waiting room in steps never holds
        the runs of all of it at once.
        """
        now = self._clock()
        result = Converted()
        held_before = set(self._waiting)
        waiting = self._waiting
        for record in records:
            item = check(record, result)
            if item is None:
                continue
            waiting.pop(item.key, None)  # a re-sent span replaces the held copy
            item.since = now
            item.lineage = (
                stamped_lineage(item.key, item.parent_key, item.stamp) if item.stamp else None
            )
            waiting[item.key] = item
        self.counts.rejected += len(result.rejected)
        ready = self._anchored()
        expired = now - self.ttl_s
        # Only the top of a waiting subtree becomes an orphan root; its descendants follow it.
        tops = [
            key
            for key, item in waiting.items()
            if key not in ready and item.parent_key not in waiting
        ]
        orphans = [k for k in tops if flush or waiting[k].since <= expired]
        if len(ready) + len(tops) < len(waiting):
            # Spans on a parent cycle (or below one) have no top: they leave with their TTL
            # too, and the tree step breaks the cycle at its earliest span.
            stuck = set(waiting) - ready - self._below_any(tops)
            orphans += [k for k in stuck if flush or waiting[k].since <= expired]
        if flush and flush_most is not None and len(waiting) - len(ready) > flush_most:
            orphans = self._first_subtrees(orphans, flush_most)
        self.counts.orphaned += len(orphans)
        overflow = len(waiting) - len(ready) - self.max_waiting
        if overflow > 0:
            chosen = set(orphans)
            children = self._children()
            evicted = []
            for key in tops:  # oldest first
                if overflow <= 0:
                    break
                if key in chosen:
                    continue
                evicted.append(key)
                overflow -= 1 + _subtree_size(children, key)
            self.counts.evicted += len(evicted)
            orphans.extend(evicted)
        if orphans:
            ready = self._anchored(extra_roots=set(orphans))
        if len(ready) == len(waiting):
            batch = list(waiting.values())
            waiting.clear()
        else:
            batch = [waiting.pop(key) for key in list(waiting) if key in ready]
        if held_before:
            self.counts.waited += sum(1 for item in batch if item.key in held_before)
        convert_batch(
            batch,
            result,
            keep=self._keep,
            known=self._known,
            first_genai=self._first_genai,
        )
        while len(self._first_genai) > self.max_known:
            self._first_genai.popitem(last=False)
        self.counts.converted += len(result.runs)
        if self._below or any(ls.META_USAGE in run.metadata for run in result.runs):
            self._roll_up_across_batches(result.runs)
        for run in result.runs:  # runs that came back from runs -> spans keep their totals
            if run.record is not None:
                restore(run)
        self._remember(result, batch)
        return result

    def _roll_up_across_batches(self, runs: list[RunData]) -> None:
        """Tokens and costs of LLM calls emitted before their ancestors reach those ancestors.

        Children usually end, and so are exported, before their parents; the batch that carries
        a parent then lacks the children the tree step would have summed.
        """
        in_batch = {run.id: run if run.restored is None else run.restored for run in runs}
        below = self._below
        for run in runs if below else ():  # dotted_order order: ancestors before descendants
            carried = below.pop(run.id, None)
            if carried is None:
                continue
            target = _tokens_of(run)
            metadata = target.metadata
            if ls.META_USAGE in metadata:  # it wraps LLM calls of earlier batches
                own = _Totals()
                _add_to(own, target)
                for ancestor in _ancestors(run):  # the tree step counted it as a leaf
                    if ancestor in in_batch:
                        _add(in_batch[ancestor], own, sign=-1)
                moved = metadata.pop(ls.META_USAGE)
                if target is run and run.priced is not None:  # the full usage moves
                    moved, run.priced = {**moved, **run.priced}, None
                metadata[ls.META_AGGREGATED_USAGE] = moved
                target.prompt_tokens = target.completion_tokens = target.total_tokens = 0
                target.prompt_cost = target.completion_cost = target.total_cost = None
            _add(target, carried)
        for run in runs:
            restored = run.restored
            if restored is None:  # (the usual run: its metadata without the property call)
                if ls.META_USAGE not in run.extra["metadata"]:
                    continue
                ancestors = run.ancestors
                target = run
            else:
                if ls.META_USAGE not in restored.metadata:
                    continue
                ancestors = _ancestors(run)
                target = restored
            for ancestor in ancestors:
                if ancestor not in in_batch:
                    _add_to(below.setdefault(ancestor, _Totals()), target)
                    below.move_to_end(ancestor)
        while len(below) > self.max_known:
            below.popitem(last=False)

    def _first_subtrees(self, tops: list[int], most: int) -> list[int]:
        """The first of `tops` whose subtrees hold about `most` waiting spans in all."""
        children = self._children()
        chosen: list[int] = []
        size = 0
        for key in tops:
            if size >= most:
                break
            chosen.append(key)
            size += 1 + _subtree_size(children, key)
        return chosen

    def _children(self) -> dict[int, list[int]]:
        """Waiting spans by waiting parent (built once per batch: an orphan flood must not make
        each eviction rescan the whole waiting room)."""
        waiting = self._waiting
        children: dict[int, list[int]] = {}
        for key, item in waiting.items():
            parent = item.parent_key
            if parent is not None and parent in waiting:
                children.setdefault(parent, []).append(key)
        return children

    def _below_any(self, tops: list[int]) -> set[int]:
        """The waiting spans in the subtrees of `tops`, tops included."""
        children = self._children()
        found: set[int] = set()
        stack = list(tops)
        while stack:
            key = stack.pop()
            if key not in found:
                found.add(key)
                stack.extend(children.get(key, ()))
        return found

    def _anchored(self, extra_roots: set[int] | None = None) -> set[int]:
        """Keys of waiting spans whose place in the tree is known."""
        roots = extra_roots or set()
        waiting = self._waiting
        known = self._known
        anchored: set[int] = set()
        children: dict[int, list[int]] = {}
        frontier = []
        for key, item in waiting.items():
            parent = item.parent_key
            if parent is None or key in roots or parent in known or item.lineage:
                frontier.append(key)
            elif parent in waiting:
                children.setdefault(parent, []).append(key)
        while frontier:
            key = frontier.pop()
            if key in anchored:
                continue
            anchored.add(key)
            frontier.extend(children.get(key, ()))
        return anchored

    def _remember(self, result: Converted, batch: list[RunData]) -> None:
        """Lineages of emitted runs, and of filtered-out spans (as their nearest kept ancestor)."""
        known = self._known
        for run in result.runs:
            known[run.key] = lineage_of(run)
            known.move_to_end(run.key)
        if self._filtering:
            emitted = {run.key for run in result.runs}
            dropped = [(item.key, item.parent_key) for item in batch if item.key not in emitted]
            changed = True
            while changed:  # parents may come after their children in the batch
                changed = False
                for key, parent in dropped:
                    if key in known:
                        continue
                    if parent is None:
                        known[key] = None
                    elif parent in known:
                        known[key] = known[parent]
                    else:
                        continue
                    changed = True
        while len(known) > self.max_known:
            known.popitem(last=False)
