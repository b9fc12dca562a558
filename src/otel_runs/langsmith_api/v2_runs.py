"""Pure: which fields `otel-runs pull` asks the runs query for, and how a v2 run (the
`Run` model of the `langsmith` SDK's generated client, `types/run.py`) becomes a dict in the
run data format that `Run.from_dict` reads.

What differs from the run data format, and what is done about it (as the SDK's own
`_v2_migration_utils._v2_run_to_schema` does, where it does it):

- `run_type` and `status` come in capitals (`LLM`, `SUCCESS`): lowered;
- `project_id` is the run's project: `session_id`;
- `parent_run_ids` lists the ancestors from the root down: the last one is `parent_run_id`;
- token and cost details come wrapped, `{"raw": {...}}`: unwrapped;
- `is_in_dataset` is `in_dataset`.

Every other key is kept as it came (`manifest`, `prompt_token_details`...), so it is written
with the run and travels in runs -> spans' `otel_runs.run_fields`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

SELECTS: Final = (
    "ID",
    "NAME",
    "RUN_TYPE",
    "STATUS",
    "START_TIME",
    "END_TIME",
    "INPUTS",
    "OUTPUTS",
    "ERROR",
    "EXTRA",
    "EVENTS",
    "TAGS",
    "PARENT_RUN_IDS",
    "PROJECT_ID",
    "TRACE_ID",
    "DOTTED_ORDER",
    "REFERENCE_EXAMPLE_ID",
    "FEEDBACK_STATS",
    "FIRST_TOKEN_TIME",
    "APP_PATH",
    "MANIFEST",
    "PRICE_MODEL_ID",
    "IS_IN_DATASET",
    "LAST_QUEUED_AT",
    "PROMPT_TOKENS",
    "COMPLETION_TOKENS",
    "TOTAL_TOKENS",
    "PROMPT_COST",
    "COMPLETION_COST",
    "TOTAL_COST",
    "PROMPT_TOKEN_DETAILS",
    "COMPLETION_TOKEN_DETAILS",
    "PROMPT_COST_DETAILS",
    "COMPLETION_COST_DETAILS",
)
"""`RunSelectField` values: the SDK's own list for whole runs (`_V2_RUN_SELECTS`) plus the
run-format fields it leaves out (manifest, price model, dataset flag, last queued). Left out
on purpose: previews and `LATENCY_SECONDS` (derived), `METADATA` and `THREAD_ID` (read from
`extra`), `ATTACHMENTS` and `SHARE_URL` (pre-signed or secret URLs), `IS_ROOT`."""

_DETAILS: Final = (
    "prompt_token_details",
    "completion_token_details",
    "prompt_cost_details",
    "completion_cost_details",
)


def run_from_v2(item: Mapping[str, Any], *, session_name: str | None = None) -> dict[str, Any]:
    """A run-format dict of one v2 run (a new dict; `item` is not changed). `session_name`,
    the project's name, is added when the run has none."""
    run = dict(item)
    for key in ("run_type", "status"):
        value = run.get(key)
        if isinstance(value, str):
            run[key] = value.lower()
    if "project_id" in run:
        project = run.pop("project_id")
        run.setdefault("session_id", project)
    parents = run.get("parent_run_ids")
    if run.get("parent_run_id") is None and isinstance(parents, list) and parents:
        run["parent_run_id"] = parents[-1]
    for key in _DETAILS:
        value = run.get(key)
        if isinstance(value, dict) and set(value) == {"raw"}:
            run[key] = value["raw"]
    if "is_in_dataset" in run:
        flag = run.pop("is_in_dataset")
        run.setdefault("in_dataset", flag)
    if session_name is not None and not run.get("session_name"):
        run["session_name"] = session_name
    return run
