"""Posts, patches, feedback and attachments of one run, merged into the run, whatever order and
whichever requests they come in. Pure bookkeeping: no I/O, no threads, time passed in.

A run is **complete** once its post has come and the post or a patch gave it an end time. It
is held `settle_s` more (feedback sent just after the run still joins it), then emitted. What
never completes is emitted or given up at `ttl_s` after its first item arrived:

| came within the TTL            | at the TTL                                    | counted       |
|--------------------------------|-----------------------------------------------|---------------|
| a post, never an end time      | emitted as it is, unfinished (no end time)    | `unfinished`  |
| patches only, enough for a run | emitted from the patches (name, type, start)  | `patch_only`  |
| patches only, not enough       | given up                                      | `incomplete`  |
| feedback / attachments, no run | given up                                      | `*_unjoined`  |

More runs open than `max_open`: the oldest is treated as if its TTL had passed (`evicted`).

Merging: a patch's fields replace the post's (a later patch replaces an earlier one), except
that `null` never replaces anything and `extra` / `extra.metadata` are merged key by key (the
SDKs resend them whole, but a partial one must not drop the post's keys). A post sent again
while the run is open replaces the first (a retried request: last copy wins).

After emission (ids remembered, bounded): a post sent again is a duplicate; a patch of a run
emitted *unfinished* completes it and emits it again, finished (same ids: the store replaces
it, `finished_late`); a patch of a finished run, feedback or an attachment coming after its
run went out cannot be added to what was sent and is counted (`late_updates`,
`feedback_late`, `attachments_late`).

Feedback becomes a `gen_ai.evaluation.result` event of its run (the GenAI conventions'
evaluation event: name = key, score, label = a text value, explanation = comment, and the
whole feedback object as JSON); attachments become the run's `attachments` field, name ->
`{"mime_type", "content"}` (base64), the shape LangSmith's OTel ingest reads.

Runs sent through `POST /runs` may come without `trace_id` / `dotted_order` (LangSmith derives
them); they are derived here from the parent's, remembered as posts arrive.
"""

from __future__ import annotations

import base64
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Final

from otel_runs.convert.feedback import to_event
from otel_runs.dotted_order import (
    child_segment_time,
    datetime_to_us,
    format_segment,
    segment_time_us,
    us_to_datetime,
)
from otel_runs.errors import DottedOrderError
from otel_runs.model.run import format_datetime, parse_datetime
from otel_runs.receiver.forwarder import Loc
from otel_runs.receiver.langsmith_api.items import ATTACHMENT, FEEDBACK, POST, Item

DEFAULT_TTL_S: Final = 600.0
DEFAULT_SETTLE_S: Final = 2.0
DEFAULT_MAX_OPEN: Final = 10_000
_REMEMBERED: Final = 100_000
"""Emitted run ids remembered (to tell a duplicate or a late patch); about 100 bytes each."""
_REMEMBERED_UNFINISHED: Final = 10_000
"""Runs emitted unfinished kept whole, so a late patch can complete them."""
_FINISHED: Final = None

RunDict = dict[str, Any]
_NO_ATTACHMENTS: Final[dict[str, tuple[str, bytes]]] = {}
"""An open run's attachments until it gets one (never added to)."""


@dataclass(slots=True)
class Ready:
    """A run to send, and the spooled items it was made of."""

    run: RunDict
    locs: list[Loc]


@dataclass(slots=True)
class MergeCounts:
    """What the merger did, since it was created."""

    completed: int = 0
    """Runs emitted once complete (post + end time)."""
    unfinished: int = 0
    """Runs emitted at the TTL without an end time (never patched)."""
    finished_late: int = 0
    """Runs emitted unfinished, then emitted again when their patch came."""
    patch_only: int = 0
    """Runs emitted at the TTL from patches alone (their post never came)."""
    incomplete: int = 0
    """Runs given up at the TTL: patches without a post that do not make a run."""
    evicted: int = 0
    """Runs emitted (or given up) before their TTL because too many were open."""
    resent: int = 0
    """Posts received again while their run was open (last copy won)."""
    duplicates: int = 0
    """Posts received again after their run was emitted."""
    late_updates: int = 0
    """Patches of runs already emitted finished (not sent)."""
    feedback_joined: int = 0
    feedback_late: int = 0
    """Feedback that came after its run was emitted (not sent)."""
    feedback_unjoined: int = 0
    """Feedback whose run never came within the TTL."""
    attachments_joined: int = 0
    attachments_late: int = 0
    attachments_unjoined: int = 0


class _Open:
    """Everything received for one run not yet emitted. (A plain class: most runs get a post
    and a patch or two, and no feedback or attachments, whose containers are made on first
    use.)"""

    __slots__ = (
        "attachments", "completed_at", "feedback", "first_seen", "locs", "patch_ended",
        "patches", "post",
    )  # fmt: skip

    def __init__(self, first_seen: float, loc: Loc) -> None:
        self.first_seen = first_seen
        self.post: RunDict | None = None
        self.patches: list[RunDict] = []
        self.patch_ended = False
        """Whether a patch gave the run an end time."""
        self.feedback: list[tuple[RunDict, float]] | tuple[()] = ()
        """Feedback dicts and their arrival times."""
        self.attachments: dict[str, tuple[str, bytes]] = _NO_ATTACHMENTS
        self.locs: list[Loc] = [loc]
        self.completed_at: float | None = None


class RunMerger:
    """Open runs by id; `add` items as they are read, `take` what is ready."""

    def __init__(
        self,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        settle_s: float = DEFAULT_SETTLE_S,
        max_open: int = DEFAULT_MAX_OPEN,
        max_remembered: int = _REMEMBERED,
    ) -> None:
        self.ttl_s = ttl_s
        self.settle_s = settle_s
        self.max_open = max_open
        self.max_remembered = max_remembered
        self.counts = MergeCounts()
        self._open: dict[str, _Open] = {}
        self._by_age: deque[tuple[float, str]] = deque()
        """(first seen, run id) in arrival order: the TTL and eviction queue."""
        self._settling: deque[tuple[float, str]] = deque()
        """(completed at, run id) in completion order."""
        self._emitted: OrderedDict[str, RunDict | None] = OrderedDict()
        """Emitted run ids; a run emitted unfinished keeps its dict (for a late patch)."""
        self._unfinished_kept = 0
        self._lineage: OrderedDict[str, tuple[str, str]] = OrderedDict()
        """run id -> (trace id, dotted_order) of posts seen, to derive a child's."""
        self._late: list[Ready] = []

    @property
    def open(self) -> int:
        """Runs received and not yet emitted."""
        return len(self._open)

    def add(self, item: Item, loc: Loc, received: float) -> list[Loc]:
        """Take one item (arrived at `received`); returns locations resolved at once (a
        duplicate, something arriving after its run was emitted)."""
        kind, run_id, payload = item
        if run_id in self._emitted:
            return self._after_emission(kind, run_id, payload, loc)
        entry = self._open.get(run_id)
        if entry is None:
            entry = self._open[run_id] = _Open(received, loc)
            self._by_age.append((received, run_id))
        else:
            entry.locs.append(loc)
        if kind == POST:
            if entry.post is not None:
                self.counts.resent += 1
            entry.post = self._with_lineage(payload)
        elif kind == FEEDBACK:
            if entry.feedback:
                entry.feedback.append((payload, received))
            else:
                entry.feedback = [(payload, received)]
        elif kind == ATTACHMENT:
            name, media, data = payload
            if entry.attachments is _NO_ATTACHMENTS:
                entry.attachments = {}
            entry.attachments[name] = (media, data)
        else:
            entry.patches.append(payload)
            if payload.get("end_time") is not None:
                entry.patch_ended = True
        if entry.completed_at is None and _complete(entry):
            entry.completed_at = received
            self._settling.append((received, run_id))
        return []

    def take(self, now: float, *, drain: bool = False) -> tuple[list[Ready], list[Loc]]:
        """Runs ready to send, and locations of items given up. With `drain`, complete runs
        go at once (no settle wait); incomplete ones stay open (their items stay spooled)."""
        ready: list[Ready] = self._late
        dropped: list[Loc] = []
        self._late = []
        settled = now - self.settle_s
        while self._settling and (drain or self._settling[0][0] <= settled):
            _, run_id = self._settling.popleft()
            entry = self._open.get(run_id)
            if entry is not None and entry.completed_at is not None:
                ready.append(self._emit(run_id, entry))
                self.counts.completed += 1
        if drain:
            return ready, dropped
        expired = now - self.ttl_s
        while self._by_age and (
            self._by_age[0][0] <= expired or len(self._open) > self.max_open
        ):
            first_seen, run_id = self._by_age.popleft()
            entry = self._open.get(run_id)
            if entry is None or entry.first_seen != first_seen:
                continue  # emitted meanwhile
            if first_seen > expired:
                self.counts.evicted += 1
            if entry.completed_at is not None:  # settling: evicted, so it goes now
                ready.append(self._emit(run_id, entry))
                self.counts.completed += 1
            else:
                self._expire(run_id, entry, ready, dropped)
        return ready, dropped

    def wait_s(self, now: float) -> float | None:
        """Seconds until `take` has something to do by time alone; None: nothing waits."""
        deadlines = []
        if self._settling:
            deadlines.append(self._settling[0][0] + self.settle_s)
        if self._by_age:
            deadlines.append(self._by_age[0][0] + self.ttl_s)
        return max(min(deadlines) - now, 0.0) if deadlines else None

    # --- internals ----------------------------------------------------------------------------

    def _after_emission(self, kind: int, run_id: str, payload: Any, loc: Loc) -> list[Loc]:
        kept = self._emitted[run_id]
        counts = self.counts
        if kind == POST:
            counts.duplicates += 1
        elif kind == FEEDBACK:
            counts.feedback_late += 1
        elif kind == ATTACHMENT:
            counts.attachments_late += 1
        elif kept is _FINISHED:
            counts.late_updates += 1
        else:  # the patch of a run emitted unfinished: it finishes it
            run = _patched(kept, payload)
            if run.get("end_time") is None:
                self._emitted[run_id] = run
                counts.late_updates += 1
                return [loc]
            self._emitted[run_id] = _FINISHED
            self._unfinished_kept -= 1
            counts.finished_late += 1
            self._late.append(Ready(run, [loc]))
            return []
        return [loc]

    def _expire(self, run_id: str, entry: _Open, ready: list[Ready], dropped: list[Loc]) -> None:
        counts = self.counts
        if entry.post is not None:
            item = self._emit(run_id, entry, finished=False)
            counts.unfinished += 1
            ready.append(item)
            return
        if entry.patches:
            run = _merged(None, entry.patches)
            if all(run.get(name) for name in ("name", "run_type", "start_time")):
                ready.append(self._emit(run_id, entry))
                counts.patch_only += 1
                return
            counts.incomplete += 1
        counts.feedback_unjoined += len(entry.feedback)
        counts.attachments_unjoined += len(entry.attachments)
        del self._open[run_id]
        dropped.extend(entry.locs)

    def _emit(self, run_id: str, entry: _Open, *, finished: bool = True) -> Ready:
        del self._open[run_id]
        run = _merged(entry.post, entry.patches)
        if entry.feedback:
            events = [_evaluation_event(*feedback) for feedback in entry.feedback]
            run["events"] = [*(run.get("events") or ()), *events]
            self.counts.feedback_joined += len(entry.feedback)
        if entry.attachments:
            run["attachments"] = {
                name: {"mime_type": media, "content": base64.b64encode(data).decode()}
                for name, (media, data) in entry.attachments.items()
            }
            self.counts.attachments_joined += len(entry.attachments)
        self._remember(run_id, _FINISHED if finished else run)
        return Ready(run, entry.locs)

    def _remember(self, run_id: str, kept: RunDict | None) -> None:
        emitted = self._emitted
        if kept is not None:
            self._unfinished_kept += 1
        emitted[run_id] = kept
        emitted.move_to_end(run_id)
        while len(emitted) > self.max_remembered:
            _, old = emitted.popitem(last=False)
            if old is not None:
                self._unfinished_kept -= 1
        if self._unfinished_kept > _REMEMBERED_UNFINISHED:  # keep the ids, drop the oldest dicts
            for key, value in emitted.items():
                if value is not None:
                    emitted[key] = _FINISHED
                    self._unfinished_kept -= 1
                    if self._unfinished_kept <= _REMEMBERED_UNFINISHED:
                        break

    def _with_lineage(self, post: RunDict) -> RunDict:
        """The post, with `trace_id` / `dotted_order` derived when it came without them; its
        own remembered for its children."""
        run_id = post["id"]
        trace_id, dotted = post.get("trace_id"), post.get("dotted_order")
        if not dotted:
            try:
                start_us = datetime_to_us(parse_datetime(post["start_time"]))
                parent = _text(post.get("parent_run_id"))
                known = self._lineage.get(parent) if parent else None
                if known is not None:
                    trace_id = trace_id or known[0]
                    at = child_segment_time(start_us, segment_time_us(known[1]))
                    dotted = f"{known[1]}.{format_segment(at, run_id)}"
                elif parent is None:
                    trace_id = trace_id or run_id
                    dotted = format_segment(start_us, run_id)
            except (TypeError, ValueError, DottedOrderError):
                dotted = None  # left to the run's own reading (Run.from_dict)
            if dotted:
                post = {**post, "trace_id": trace_id, "dotted_order": dotted}
        if trace_id and dotted:
            lineage = self._lineage
            known_before = run_id in lineage
            lineage[run_id] = (str(trace_id), dotted)
            if known_before:  # (a new key is already the newest)
                lineage.move_to_end(run_id)
            elif len(lineage) > self.max_remembered:
                lineage.popitem(last=False)
        return post


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _complete(entry: _Open) -> bool:
    post = entry.post
    return post is not None and (post.get("end_time") is not None or entry.patch_ended)


def _merged(post: RunDict | None, patches: list[RunDict]) -> RunDict:
    """The post updated by the patches: a new dict, except that a post without patches is
    taken as it is (nothing else holds it once its run is emitted)."""
    if post is not None and not patches:
        return post
    run: RunDict = dict(post) if post is not None else {}
    for patch in patches:
        _apply(run, patch)
    return run


def _patched(run: RunDict, patch: RunDict) -> RunDict:
    """`run` updated by one patch (a new dict; `run` is left as it was)."""
    out = dict(run)
    _apply(out, patch)
    return out


def _apply(out: RunDict, patch: RunDict) -> None:
    """Update `out` by one patch, in place."""
    was = out.get("extra")
    for key, value in patch.items():
        if value is not None:
            out[key] = value
    value = patch.get("extra")
    if type(was) is dict and type(value) is dict:  # key by key: keeps what the post had
        extra = {**was, **value}
        before, after = was.get("metadata"), value.get("metadata")
        if type(before) is dict and type(after) is dict:
            extra["metadata"] = {**before, **after}
        out["extra"] = extra


def _evaluation_event(feedback: RunDict, received: float) -> RunDict:
    """A LangSmith feedback as the run event `gen_ai.evaluation.result` (`convert/feedback.py`),
    at its creation time, else when it arrived."""
    return to_event(feedback, format_datetime(us_to_datetime(int(received * 1_000_000))))
