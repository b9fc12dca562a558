"""`RunData`: a converted run, JSON-ready, as the engine hands it to sinks.

Everything in it is already text, numbers or plain containers, so a sink serializes it without
another pass: `ingest()` is the payload LangSmith's ingest endpoints take, `run_dict()` the
run-format record local stores keep (`Run.to_dict()` plus the keys a `Run` keeps in
`unmapped`), and `to_run()` the `Run` object the public API returns. A run that came back from
`runs_to_spans` carries the exact `Run` it was made from (`restored`), and every form is made
from that instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal
from uuid import UUID

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.feedback import from_events, has_evaluations, run_attachments, run_feedback
from otel_runs.convert.times import iso_time_ns
from otel_runs.dotted_order import us_to_datetime
from otel_runs.model.ingest import COST_SOURCE_KEY, KEPT_COST_SOURCES, IngestRun, usage_for_ingest
from otel_runs.model.run import Run, new_run, parse_uuid
from otel_runs.model.span_record import SpanRecord

if TYPE_CHECKING:
    from otel_runs.convert.plan import Plan

_SESSION_NAME: Final = "session_name"


class RunData:
    """One run, converted from one span (see the module docstring)."""

    __slots__ = (
        "ancestors", "attachments", "batch", "completion_cost", "completion_tokens", "costs",
        "dotted_order", "end_ns", "error", "events", "extra", "first_token_ns", "genai", "id",
        "inputs", "key", "lineage", "name",
        "outputs", "parent_key", "plan", "priced", "project", "prompt_cost", "prompt_tokens",
        "record", "reference_example_id", "request", "restored", "run_type", "segment_us",
        "session_id", "session_name", "since", "stamp", "start_ns", "tags", "thread_id",
        "total_cost", "total_tokens", "usage", "user_id",
    )  # fmt: skip

    # Set when the span is checked (`checked`).
    record: SpanRecord | None
    """The span, until it is mapped; kept after only when it was made by runs -> spans (see
    `restored`)."""
    plan: Plan
    key: int
    """The run id's integer value (the tree's key)."""
    parent_key: int | None
    """The declared parent's key; None for roots."""
    stamp: str | None
    """A stamped dotted_order the span carries."""
    lineage: tuple[str, int] | Literal[False] | None
    """The stamp as a complete lineage (dotted_order, last segment time), None when it is not
    one, False when not worked out yet."""
    since: float
    """When the assembler took the span."""
    # Set by the per-span mapping.
    id: str
    name: str
    run_type: str
    start_ns: int
    end_ns: int
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    extra: dict[str, Any]
    error: str | None
    events: Sequence[dict[str, Any]]
    """A list, or a shared empty tuple (never changed in place)."""
    tags: Sequence[str]
    first_token_ns: int | None
    reference_example_id: str | None
    session_id: str | None
    session_name: str | None
    usage: dict[str, Any] | None
    """The run's own usage while it counts as an LLM call."""
    costs: dict[str, Decimal] | None
    priced: dict[str, float] | None
    """Costs we priced ourselves, kept out of `extra.metadata.usage_metadata`: that holds the
    payload's form (LangSmith prices such runs itself), and the run-format forms add them back.
    Runs priced alike share one dict: never changed in place."""
    thread_id: str | None
    user_id: str | None
    project: dict[str, str]
    """Project name/id the span names (`langsmith.trace.session_{name,id}`); read only (runs
    whose shape names none share one empty dict)."""
    attachments: dict[str, dict[str, str]] | None
    """Inline content moved out of inputs and outputs (`convert/attachments.py`): name ->
    {"mime_type", "content" (base64)}; None when the run has none."""
    genai: bool
    """Whether the span is GenAI-related (the keep filter's rule, the identity stamps aside)."""
    request: str | None
    """For a SERVER span that is not GenAI-related (an incoming request): its
    `{method} {http.route}`, or "" without a route; None for any other span. Such a root is
    renamed by `tree.name_roots`."""
    # Set by the tree step.
    dotted_order: str
    segment_us: int
    ancestors: tuple[str, ...]
    """parent_run_ids as text, root first."""
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    prompt_cost: Decimal | None
    completion_cost: Decimal | None
    total_cost: Decimal | None
    restored: Run | None
    """The exact run a span made by runs -> spans carried, once given back."""
    batch: Batch
    """The runs converted together with this one (child id lists are made from them)."""

    @classmethod
    def checked(
        cls, record: SpanRecord, plan: Plan, key: int, parent_key: int | None, stamp: str | None
    ) -> RunData:
        """A valid span with its plan and identity, to be mapped (`map_span`) into this same
        object: one object a span instead of two, for batches of thousands."""
        run = cls()
        run.record = record
        run.plan = plan
        run.key = key
        run.parent_key = parent_key
        run.stamp = stamp
        run.lineage = False
        run.since = 0.0
        return run

    @property
    def metadata(self) -> dict[str, Any]:
        """`extra["metadata"]` (always present on a converted run)."""
        meta: dict[str, Any] = self.extra["metadata"]
        return meta

    @property
    def trace_id(self) -> str:
        return self.ancestors[0] if self.ancestors else self.id

    @property
    def parent_run_id(self) -> str | None:
        return self.ancestors[-1] if self.ancestors else None

    def feedback(self) -> list[dict[str, Any]]:
        """LangSmith feedback of the run: its evaluation events (`convert/feedback.py`)."""
        if self.restored is not None:
            return run_feedback(self.restored)
        events = self.events
        if not events or not has_evaluations(events):
            return []
        return from_events(events, self.id, self.trace_id)

    def attachment_items(self) -> dict[str, Any]:
        """The run's attachments: name -> {"mime_type", "content" (base64)}."""
        if self.restored is not None:
            return run_attachments(self.restored)
        return self.attachments or {}

    def fold_priced(self) -> None:
        """Put the costs we priced into `usage_metadata` itself, for a run that leaves as a
        `Run` only: no payload is made of it any more, and `full_extra` then copies nothing
        (three dicts a priced run, which would live as long as the runs)."""
        priced = self.priced
        if priced is None:
            return
        usage = self.extra["metadata"].get(ls.META_USAGE)
        if isinstance(usage, dict):  # (the run's own dict, no other run's: `tree._roll_up`)
            usage.update(priced)
        self.priced = None

    def full_extra(self) -> dict[str, Any]:
        """`extra` with the costs we priced in `usage_metadata` (see `priced`)."""
        priced = self.priced
        if priced is None:
            return self.extra
        metadata = self.extra["metadata"]
        usage = metadata.get(ls.META_USAGE)
        if not isinstance(usage, dict):
            return self.extra
        return {**self.extra, "metadata": {**metadata, ls.META_USAGE: {**usage, **priced}}}

    # --- the forms runs leave in ----------------------------------------------------------

    def ingest(self, project: str) -> IngestRun:
        """The payload LangSmith's `/runs/multipart` and `/runs/batch` take; `project` names the
        project when the run names none (see `model/ingest.py` for the rules)."""
        if self.restored is not None:
            from otel_runs.model.ingest import encode_ingest_run

            return encode_ingest_run(self.restored, project=project)
        ancestors = self.ancestors
        payload: IngestRun = {
            "id": self.id,
            "name": self.name,
            "run_type": self.run_type,
            "start_time": iso_time_ns(self.start_ns),
            "trace_id": ancestors[0] if ancestors else self.id,
            "dotted_order": self.dotted_order,
            "end_time": iso_time_ns(self.end_ns),
        }
        if ancestors:
            payload["parent_run_id"] = ancestors[-1]
        if self.session_name:
            payload["session_name"] = self.session_name
        elif self.session_id:
            payload["session_id"] = self.session_id
        else:
            payload["session_name"] = project
        extra = self.extra
        outputs = self.outputs
        metadata = extra["metadata"]
        usage = metadata.get(ls.META_USAGE)
        if isinstance(usage, dict):
            if self.priced is None:
                usage = usage_for_ingest(
                    usage, keep_costs=metadata.get(COST_SOURCE_KEY) in KEPT_COST_SOURCES
                )
                extra = {**extra, "metadata": {**metadata, ls.META_USAGE: usage}}
            outputs = {**(outputs or {}), ls.META_USAGE: usage}
        payload["inputs"] = self.inputs
        if outputs is not None:
            payload["outputs"] = outputs
        payload["extra"] = extra
        if self.error is not None:
            payload["error"] = self.error
        payload["events"] = self.events
        payload["tags"] = self.tags
        if self.reference_example_id is not None:
            payload["reference_example_id"] = self.reference_example_id
        return payload

    def run_dict(self) -> dict[str, Any]:
        """`to_dict()` plus the keys a `Run` keeps in `unmapped`, as local stores keep them."""
        out = self.to_dict()
        if self.restored is not None:
            unmapped = self.restored.unmapped
            out.update((key, value) for key, value in unmapped.items() if key not in _RUN_FIELDS)
            return out
        if self.session_name is not None:
            out[_SESSION_NAME] = self.session_name
        if self.attachments:
            out[ls.RUN_ATTACHMENTS] = self.attachments
        return out

    def to_dict(self) -> dict[str, Any]:
        """`Run.to_dict()` of the run: every run-format field, JSON-ready."""
        if self.restored is not None:
            return self.restored.to_dict()
        first_token = self.first_token_ns
        children = self.batch.children(self.id)
        ancestors = self.ancestors
        error = self.error
        # A copy of the template, then the fields set one by one: a 40-key dict display costs
        # 1.3 us (every key inserted and the table grown as it goes), this about 0.5.
        out = _TO_DICT.copy()
        out["id"] = self.id
        out["name"] = self.name
        out["inputs"] = self.inputs
        out["run_type"] = self.run_type
        out["start_time"] = iso_time_ns(self.start_ns)
        out["end_time"] = iso_time_ns(self.end_ns)
        out["extra"] = self.full_extra()
        out["error"] = error
        out["outputs"] = self.outputs
        out["events"] = self.events
        out["tags"] = self.tags
        out["trace_id"] = ancestors[0] if ancestors else self.id
        out["dotted_order"] = self.dotted_order
        out["status"] = "error" if error is not None else "success"
        out["child_run_ids"] = children[0]
        out["direct_child_run_ids"] = children[1]
        out["parent_run_ids"] = ancestors
        out["reference_example_id"] = self.reference_example_id
        out["total_tokens"] = self.total_tokens
        out["prompt_tokens"] = self.prompt_tokens
        out["completion_tokens"] = self.completion_tokens
        out["total_cost"] = _text(self.total_cost)
        out["prompt_cost"] = _text(self.prompt_cost)
        out["completion_cost"] = _text(self.completion_cost)
        out["first_token_time"] = iso_time_ns(first_token) if first_token is not None else None
        out["session_id"] = self.session_id
        out["parent_run_id"] = ancestors[-1] if ancestors else None
        return out

    def to_run(self, uuids: dict[str, UUID] | None = None) -> Run:
        """The run as a `Run` object (for APIs that return them). `uuids` (id text -> UUID),
        shared by the runs of one batch, parses each id once: a trace's id, its runs' parents
        and every ancestor's child lists name the same ids again and again."""
        if self.restored is not None:
            return self.restored
        known = {} if uuids is None else uuids
        first_token = self.first_token_ns
        children = self.batch.children(self.id)
        ancestors = self.ancestors
        run_id = _uuid(self.id, known)
        events = self.events
        tags = self.tags
        # An empty list field or `unmapped` is left None: the run makes it on first read
        # (`new_run`).
        return new_run(
            id=run_id,
            name=self.name,
            run_type=self.run_type,
            start_time=us_to_datetime(self.start_ns // 1000),
            trace_id=_uuid(ancestors[0], known) if ancestors else run_id,
            dotted_order=self.dotted_order,
            inputs=self.inputs,
            end_time=us_to_datetime(self.end_ns // 1000),
            extra=self.full_extra(),
            error=self.error,
            outputs=self.outputs,
            events=(events if type(events) is list else list(events)) if events else None,
            tags=(tags if type(tags) is list else list(tags)) if tags else None,
            status="error" if self.error is not None else "success",
            child_run_ids=[_uuid(text, known) for text in children[0]] if children[0] else None,
            direct_child_run_ids=(
                [_uuid(text, known) for text in children[1]] if children[1] else None
            ),
            parent_run_ids=[_uuid(text, known) for text in ancestors] if ancestors else None,
            reference_example_id=(
                parse_uuid(self.reference_example_id) if self.reference_example_id else None
            ),
            total_tokens=self.total_tokens,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_cost=self.total_cost,
            prompt_cost=self.prompt_cost,
            completion_cost=self.completion_cost,
            first_token_time=(
                us_to_datetime(first_token // 1000) if first_token is not None else None
            ),
            session_id=self.session_id,
            parent_run_id=_uuid(ancestors[-1], known) if ancestors else None,
            unmapped=self._unmapped(),
        )

    def _unmapped(self) -> dict[str, Any] | None:
        """The `Run`'s `unmapped`: None (made on first read) when there is nothing to keep."""
        if self.session_name is None and not self.attachments:
            return None
        unmapped: dict[str, Any] = {}
        if self.session_name is not None:
            unmapped[_SESSION_NAME] = self.session_name
        if self.attachments:
            unmapped[ls.RUN_ATTACHMENTS] = self.attachments
        return unmapped


_RUN_FIELDS: Final = frozenset(Run.__dataclass_fields__) - {"unmapped"}
_TO_DICT: Final[dict[str, Any]] = dict.fromkeys(
    (
        "id", "name", "inputs", "run_type", "start_time", "end_time", "extra", "error",
        "outputs", "events", "tags", "trace_id", "dotted_order", "status", "child_run_ids",
        "direct_child_run_ids", "parent_run_ids", "feedback_stats", "reference_example_id",
        "total_tokens", "prompt_tokens", "completion_tokens", "total_cost", "prompt_cost",
        "completion_cost", "first_token_time", "session_id", "in_dataset", "parent_run_id",
        "execution_order", "serialized", "manifest_id", "manifest_s3_id", "inputs_s3_urls",
        "outputs_s3_urls", "price_model_id", "app_path", "last_queued_at", "share_token",
    )
)  # fmt: skip
"""`to_dict`'s keys in `Run.to_dict()`'s order, every value None (those it does not set stay)."""


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _uuid(text: str, known: dict[str, UUID]) -> UUID:
    """`UUID(text)`, each text parsed once per `known` (UUIDs are immutable: sharing is safe)."""
    found = known.get(text)
    if found is None:
        found = known[text] = parse_uuid(text)
    return found


class Batch:
    """Runs converted together, in dotted_order order: their child id lists, made on demand
    (only local stores and the public API ask for them). It holds the runs' ids and ancestors,
    not the runs, which point to it: a cycle would leave every batch to the garbage collector.
    (Two lists rather than a pair per run: a batch holds thousands of runs, and every object
    it keeps counts towards the next collection.)"""

    __slots__ = ("_ancestors", "_children", "_ids")

    def __init__(self, runs: Sequence[RunData]) -> None:
        self._ids = [run.id for run in runs]
        self._ancestors = [run.ancestors for run in runs]
        self._children: dict[str, tuple[list[str], list[str]]] | None = None

    def children(self, run_id: str) -> tuple[list[str], list[str]]:
        """(child_run_ids, direct_child_run_ids) of a run of the batch, from the batch."""
        found = self._children
        if found is None:
            found = self._children = _children_of(self._ids, self._ancestors)
        return found.get(run_id, ([], []))


def _children_of(
    ids: list[str], lineages: list[tuple[str, ...]]
) -> dict[str, tuple[list[str], list[str]]]:
    # Only runs with children get lists: most runs are leaves, and two empty lists each would
    # live as long as the batch (objects the garbage collector walks).
    members = set(ids)
    found: dict[str, tuple[list[str], list[str]]] = {}
    for run_id, ancestors in zip(ids, lineages, strict=True):
        last = len(ancestors) - 1
        for depth, ancestor in enumerate(ancestors):
            if ancestor not in members:
                continue
            lists = found.get(ancestor)
            if lists is None:
                lists = found[ancestor] = ([], [])
            lists[0].append(run_id)
            if depth == last:
                lists[1].append(run_id)
    return found
