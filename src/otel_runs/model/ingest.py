"""Run -> the run JSON LangSmith's ingest endpoints take (pure: no network, no threads).

The payload is what LangSmith's own SDK posts (`RunLikeDict`): the fields a client writes, never
the ones the server derives (child and parent id lists, token and cost columns, status,
first_token_time, app_path, feedback_stats...).

Usage: LangSmith reads `usage_metadata` from the outputs and from `extra.metadata`, so a run that
has `extra.metadata.usage_metadata` (an LLM call) carries it in both. Explicit costs in
usage_metadata bypass the workspace's price map; they are kept only when the span itself stated
them (`extra.metadata.ls_cost_source == "span"`) or the user's custom prices gave them
(`"custom-prices"`, for models LangSmith's map may not know either). Costs from genai-prices are
stripped, so LangSmith prices the run with the workspace's own prices, as it does for its SDK's
runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypedDict

from otel_runs.conventions import langsmith as ls
from otel_runs.model.run import Run, format_datetime

COST_SOURCE_KEY: Final = ls.META_COST_SOURCE
COST_SOURCE_SPAN: Final = "span"
"""`ls_cost_source` value for costs the span itself carried."""
COST_SOURCE_CUSTOM: Final = "custom-prices"
"""`ls_cost_source` value for costs priced with the user's custom prices (`OTEL_RUNS_PRICES`)."""
KEPT_COST_SOURCES: Final = frozenset({COST_SOURCE_SPAN, COST_SOURCE_CUSTOM})
"""Cost sources whose costs are sent to LangSmith as explicit costs."""
COST_KEYS: Final = frozenset({
    "input_cost", "output_cost", "total_cost", "input_cost_details", "output_cost_details",
})  # fmt: skip
"""usage_metadata keys that hold costs (explicit ones bypass LangSmith's price map)."""


class IngestRun(TypedDict, total=False):
    """One run as posted to `/runs/multipart` or `/runs/batch` (LangSmith's `RunLikeDict`)."""

    id: str
    name: str
    run_type: str
    start_time: str
    end_time: str
    trace_id: str
    dotted_order: str
    parent_run_id: str
    session_name: str
    session_id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    extra: dict[str, Any]
    error: str
    events: Sequence[dict[str, Any]]
    tags: Sequence[str]
    serialized: dict[str, Any]
    reference_example_id: str


def encode_ingest_run(run: Run, *, project: str) -> IngestRun:
    """The ingest payload of one run; `project` names the project when the run names none.

    The run's own project wins: `unmapped["session_name"]` (from the span), else its
    `session_id`. The run is not modified.
    """
    payload: IngestRun = {
        "id": str(run.id),
        "name": run.name,
        "run_type": run.run_type,
        "start_time": format_datetime(run.start_time),
        "trace_id": str(run.trace_id),
        "dotted_order": run.dotted_order,
    }
    if run.end_time is not None:
        payload["end_time"] = format_datetime(run.end_time)
    if run.parent_run_id is not None:
        payload["parent_run_id"] = str(run.parent_run_id)
    session_name = run.unmapped.get("session_name")
    if isinstance(session_name, str) and session_name:
        payload["session_name"] = session_name
    elif run.session_id:
        payload["session_id"] = run.session_id
    else:
        payload["session_name"] = project

    extra = dict(run.extra)
    outputs = dict(run.outputs) if run.outputs is not None else None
    metadata = extra.get("metadata")
    if isinstance(metadata, dict):
        metadata = dict(metadata)
        extra["metadata"] = metadata
        usage = metadata.get(ls.META_USAGE)
        if isinstance(usage, dict):
            keep_costs = metadata.get(COST_SOURCE_KEY) in KEPT_COST_SOURCES
            usage = usage_for_ingest(usage, keep_costs=keep_costs)
            metadata[ls.META_USAGE] = usage
            outputs = {**(outputs or {}), ls.META_USAGE: usage}

    payload["inputs"] = dict(run.inputs)
    if outputs is not None:
        payload["outputs"] = outputs
    payload["extra"] = extra
    if run.error is not None:
        payload["error"] = run.error
    payload["events"] = list(run.events)
    payload["tags"] = list(run.tags)
    if run.serialized is not None:
        payload["serialized"] = dict(run.serialized)
    if run.reference_example_id is not None:
        payload["reference_example_id"] = str(run.reference_example_id)
    return payload


def usage_for_ingest(usage: dict[str, Any], *, keep_costs: bool) -> dict[str, Any]:
    """A copy of a usage_metadata object; costs removed unless `keep_costs`."""
    if keep_costs:
        return dict(usage)
    return {key: value for key, value in usage.items() if key not in COST_KEYS}


