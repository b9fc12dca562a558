"""`RunData`'s run-format forms equal those of the `Run` it stands for.

Local stores keep `RunData.run_dict()` (built without a `Run`); what they read back must be
what the public API's `Run.to_dict()` says, key for key and in the same order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.assembler import TraceAssembler
from otel_runs.otlp import decode_json_request
from tests.support.records import record

FIXTURES = Path(__file__).parent / "fixtures" / "otlp"


def _json(value: dict[str, Any]) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_to_dict_is_the_run_s_to_dict(fixture: Path) -> None:
    records = decode_json_request(fixture.read_bytes()).records
    runs = TraceAssembler().take(records).runs
    assert runs
    for run in runs:
        ours, theirs = run.to_dict(), run.to_run().to_dict()
        assert list(ours) == list(theirs)
        assert _json(ours) == _json(theirs)


def test_to_dict_carries_the_fields_the_fixtures_leave_unset() -> None:
    project = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    example = "0b7f4c9e-3f7a-4b8e-9d2c-1a2b3c4d5e6f"
    spans = [
        record(1, attributes={ls.SESSION_ID: project, ls.REFERENCE_EXAMPLE_ID: example}),
        record(2, 1, name="child"),
    ]
    runs = TraceAssembler().take(spans).runs
    root = next(run for run in runs if run.to_dict()["parent_run_id"] is None)
    assert root.to_dict()["session_id"] == project
    assert root.to_dict()["reference_example_id"] == example
    for run in runs:
        assert _json(run.to_dict()) == _json(run.to_run().to_dict())


_CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 200,
}


def _two_calls_priced_alike() -> list[Any]:
    return [
        record(1, name="agent"),
        record(2, 1, name="chat a", attributes=_CHAT),
        record(3, 1, name="chat b", start=2_000_000, attributes=_CHAT),
    ]


def test_runs_priced_alike_share_their_costs_and_every_form_keeps_its_own() -> None:
    runs = TraceAssembler().take(_two_calls_priced_alike()).runs
    a, b = (run for run in runs if run.priced is not None)
    assert a.priced is not None and a.priced is b.priced  # one dict for calls priced alike
    shared = dict(a.priced)
    for run in (a, b):
        usage = run.ingest("p")["extra"]["metadata"][ls.META_USAGE]
        assert "total_cost" not in usage  # the payload leaves our prices out
        full = run.to_dict()["extra"]["metadata"][ls.META_USAGE]
        assert full["total_cost"] == shared["total_cost"] > 0
    assert a.priced == shared


def test_the_public_api_s_runs_carry_the_costs_in_usage_of_their_own() -> None:
    result = TraceAssembler().take(_two_calls_priced_alike())
    shared = next(run.priced for run in result.runs if run.priced is not None)
    before = dict(shared)
    expected = {run.id: _json(run.to_dict()) for run in result.runs}
    runs = result.public().runs
    assert shared == before  # folding the costs in left the shared dict alone
    usages = [run.metadata[ls.META_USAGE] for run in runs if ls.META_USAGE in run.metadata]
    assert len(usages) == 2 and usages[0] is not usages[1]
    assert all(usage["total_cost"] == before["total_cost"] for usage in usages)
    assert {str(run.id): _json(run.to_dict()) for run in runs} == expected
    usages[0]["total_cost"] = -1.0  # a caller's change stays with its run
    assert usages[1]["total_cost"] == before["total_cost"]


def test_only_runs_with_children_hold_child_lists_in_their_batch() -> None:
    runs = TraceAssembler().take(_two_calls_priced_alike()).runs
    root = next(run for run in runs if not run.ancestors)
    leaves = [run for run in runs if run.ancestors]
    children = root.batch.children(root.id)
    assert children == ([run.id for run in leaves], [run.id for run in leaves])
    for leaf in leaves:
        assert leaf.batch.children(leaf.id) == ([], [])
    assert list(root.batch._children or ()) == [root.id]
