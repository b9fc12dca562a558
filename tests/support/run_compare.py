"""Runs of two executions of one program, made comparable: what LangSmith received natively
(the fake's merged run dicts) against what came back from the OTLP spans otel-runs sent.

Ids and times differ between two executions, so each run is keyed by its place in the forest
(`agent#1/chat#0`: names from the root down, with the index among same-named siblings in start
order), every run id inside a value (a parent, LangChain's `lc_run--<id>` message ids) is
replaced by its run's place, a run's end time is compared as present or absent, event times
are dropped, and so are the two things that differ by nature: memory addresses in reprs
(`0x7f...`) and the `LANGSMITH_ENDPOINT` the SDK copies into metadata (the fake's URL, or
otel-runs'). Everything else the program determines is compared as it is: name, type,
inputs, outputs, error, tags, extra (metadata, runtime, invocation params), serialized, project,
events, token usage, attachments. Feedback is compared on its own (by the key of its run).
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from otel_runs import Run
from otel_runs.otlp.decode import decode_request
from tests.fixtures.runs.roundtrip import back_to_runs

EVALUATION_EVENT = "gen_ai.evaluation.result"
_COMPARED = ("name", "run_type", "inputs", "outputs", "error", "tags", "extra", "serialized",
             "session_name", "reference_example_id")  # fmt: skip
VOLATILE_FEEDBACK = ("id", "trace_id", "created_at", "modified_at", "start_time", "run_id")
_ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")
_ENDPOINT_KEY = "LANGSMITH_ENDPOINT"


def runs_at(bodies: Iterable[bytes]) -> list[dict[str, Any]]:
    """What an OTLP collector received (protobuf request bodies), back as run dicts."""
    records = [record for body in bodies for record in decode_request(body).records]
    return from_runs(back_to_runs(records))


def from_runs(runs: Iterable[Run]) -> list[dict[str, Any]]:
    """Run objects as the dicts LangSmith keeps (run format plus the keys outside it)."""
    return [{**run.to_dict(), **run.unmapped} for run in runs]


def _keys(runs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Run id -> its place in the forest."""
    by_id = {str(run["id"]): run for run in runs}
    children: dict[str | None, list[Mapping[str, Any]]] = defaultdict(list)
    for run in runs:
        parent = run.get("parent_run_id")
        children[str(parent) if parent else None].append(run)
    keys: dict[str, str] = {}

    def walk(parent: str | None, prefix: str) -> None:
        counts: dict[str, int] = defaultdict(int)
        for child in sorted(children[parent], key=lambda r: str(r["dotted_order"])):
            name = str(child["name"])
            key = f"{prefix}{name}#{counts[name]}"
            counts[name] += 1
            keys[str(child["id"])] = key
            walk(str(child["id"]), key + "/")

    walk(None, "")
    missing = set(by_id) - set(keys)
    assert not missing, f"runs whose parent is not among the runs: {missing}"
    return keys


def comparable(
    runs: Sequence[Mapping[str, Any]], attachments: Mapping[str, Mapping[str, tuple[str, bytes]]]
) -> dict[str, dict[str, Any]]:
    """`{place: fields}` for every run; `attachments` by run id (the fake keeps them apart;
    for otel-runs' runs pass {} and they are read from the runs' `attachments` field)."""
    keys = _keys(runs)
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        run_id = str(run["id"])
        fields = {name: run.get(name) for name in _COMPARED}
        # LangChain collects tags in a set: their order differs between two executions.
        fields["tags"] = sorted(fields["tags"] or [])
        parent = run.get("parent_run_id")
        fields["parent"] = keys[str(parent)] if parent else None
        fields["finished"] = run.get("end_time") is not None
        fields["events"] = [
            {k: v for k, v in event.items() if k != "time"}
            for event in run.get("events") or []
            if event.get("name") != EVALUATION_EVENT
        ]
        kept = attachments.get(run_id)
        if kept is None and run.get("attachments"):
            kept = {
                name: (item["mime_type"], base64.b64decode(item["content"]))
                for name, item in run["attachments"].items()
            }
        fields["attachments"] = dict(kept or {})
        extra: dict[str, Any] = fields["extra"] or {}
        metadata = extra.get("metadata")
        if isinstance(metadata, dict):
            kept_metadata = {k: v for k, v in metadata.items() if k != _ENDPOINT_KEY}
            fields["extra"] = {**extra, "metadata": kept_metadata}
        out[keys[run_id]] = _placed(fields, keys)
    return out


def _placed(fields: dict[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """`fields` with run ids replaced by places and memory addresses blanked."""
    attachments = fields.pop("attachments")
    text = json.dumps(fields, sort_keys=True, default=str)
    for run_id, place in keys.items():
        text = text.replace(run_id, f"<{place}>")
    out: dict[str, Any] = json.loads(_ADDRESS.sub("0x?", text))
    out["attachments"] = attachments
    return out


def feedback_by_place(
    runs: Sequence[Mapping[str, Any]], feedback: Iterable[Mapping[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Feedback (without its volatile fields) by the place of the run it is about."""
    keys = _keys(runs)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in feedback:
        place = keys[str(item["run_id"])]
        out[place].append({k: v for k, v in item.items() if k not in VOLATILE_FEEDBACK})
    return dict(out)


def feedback_in_runs(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The feedback otel-runs kept as evaluation events, as the feedback objects sent."""
    found = []
    for run in runs:
        for event in run.get("events") or []:
            if event.get("name") == EVALUATION_EVENT:
                found.append(event["kwargs"]["langsmith.feedback"])
    return found
