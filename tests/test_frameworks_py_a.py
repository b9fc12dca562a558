"""Python frameworks, set A (issue 14): what real programs built on each framework export,
converted as `otel-runs convert` does, checked field by field against expected.json.

Each fixture under tests/fixtures/frameworks/ holds the program, its pinned requirements, the
requests its exporter sent to a loopback collector (re-record with
`python tests/fixtures/frameworks/record.py NAME`) and the facts the program and the fake model
server determine. See tests/support/frameworks.py for what expected.json can state.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_runs import spans_to_runs
from tests.support import frameworks as fw
from tests.support.receiver_proc import serving
from tests.support.records import record
from tests.support.run_tree import assert_one_tree

FIXTURES = ["langfuse", "strands_1_62", "strands_1_10", "openai_agents"]


@pytest.mark.parametrize("name", FIXTURES)
def test_recording_converts_to_the_runs_the_program_made(name: str) -> None:
    fixture = fw.load(name)
    runs = fw.convert_file(fixture.recording)
    fw.check(runs, fixture)


@pytest.mark.parametrize("name", FIXTURES)
def test_every_trace_is_one_tree(name: str) -> None:
    runs = fw.convert_file(fw.load(name).recording)
    for trace_id in {run.trace_id for run in runs}:
        assert_one_tree([run for run in runs if run.trace_id == trace_id])


def test_langfuse_through_a_real_serve_gives_the_same_runs(tmp_path: Path) -> None:
    fixture = fw.load("langfuse")
    converted = fw.convert_file(fixture.recording)
    store = tmp_path / "runs.sqlite"
    with serving(store, grpc=False, env={"OTEL_RUNS_LOG_SETTLE_SECONDS": "0.1"}) as served:
        fw.send_recording(fixture.recording, served.http_url)
        stored = fw.wait_for_runs(store, len(converted))
    fw.check(stored, fixture)
    assert sorted(r.to_dict()["id"] for r in stored) == sorted(str(r.id) for r in converted)


@pytest.mark.parametrize(
    ("system", "provider"),
    [
        pytest.param("langchain", None, id="langchain-chain-span"),
        pytest.param("strands-agents", None, id="strands"),
        pytest.param("openai", "openai", id="a-real-provider"),
        pytest.param("az.ai.openai", "azure", id="legacy-azure"),
    ],
)
def test_a_framework_named_as_gen_ai_system_is_no_provider(
    system: str, provider: str | None
) -> None:
    span = record(1, attributes={"gen_ai.system": system, "gen_ai.operation.name": "chain"})
    [run] = spans_to_runs([span])
    assert run.metadata.get("ls_provider") == provider
    if provider is None:  # still kept, with what the span said
        assert run.metadata["otel"]["attributes"]["gen_ai.system"] == system
