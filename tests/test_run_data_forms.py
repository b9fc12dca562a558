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
