"""Python frameworks, set A (issue 14): what real programs built on each framework export,
converted as `otel-runs convert` does, checked field by field against expected.json.

Each fixture under tests/fixtures/frameworks/ holds the program, its pinned requirements, the
requests its exporter sent to a loopback collector (re-record with
`python tests/fixtures/frameworks/record.py NAME`) and the facts the program and the fake model
server determine. See tests/support/frameworks.py for what expected.json can state.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otel_runs import Run, spans_to_runs
from tests.support import frameworks as fw
from tests.support.records import record

FIXTURES = ["langfuse", "strands_1_62", "strands_1_10", "openai_agents", "openlit", "traceloop", "smolagents"]


@pytest.mark.parametrize("name", FIXTURES)
def test_recording_converts_to_the_runs_the_program_made(name: str) -> None:
    fw.check_recording(name)


@pytest.mark.parametrize("name", FIXTURES)
def test_every_trace_is_one_tree(name: str) -> None:
    fw.check_one_tree_per_trace(name)


def test_langfuse_through_a_real_serve_gives_the_same_runs(tmp_path: Path) -> None:
    fixture = fw.load("langfuse")
    fw.check_through_serve(fixture, fw.convert_file(fixture.recording), tmp_path)


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


# --- the generic fallbacks: spans no dialect understands -----------------------------------------


def _one(attributes: dict[str, object]) -> Run:
    [run] = spans_to_runs([record(1, attributes=attributes)])
    return run


def test_json_looking_input_and_output_keys_of_an_unknown_emitter_are_found() -> None:
    run = _one({"myapp.request": '{"question": "Weather?"}', "myapp.response": "It is sunny."})
    assert run.inputs == {"question": "Weather?"}
    assert run.outputs == {"output": "It is sunny."}
    assert "myapp.request" not in run.metadata["otel"].get("attributes", {})


def test_a_provider_usage_object_under_a_generic_key_makes_an_llm_run_with_cost() -> None:
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": 5,
        "total_tokens": 17,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 2},
    }
    run = _one({"model": "gpt-4o-mini", "usage": json.dumps(usage)})
    assert run.run_type == "llm"
    assert run.metadata["ls_model_name"] == "gpt-4o-mini"
    assert (run.prompt_tokens, run.completion_tokens, run.total_tokens) == (12, 5, 17)
    assert run.metadata["usage_metadata"]["input_token_details"] == {"cache_read": 4}
    assert run.metadata["usage_metadata"]["output_token_details"] == {"reasoning": 2}
    assert run.total_cost is not None


def test_bare_anthropic_counts_leave_the_cache_outside_input_tokens() -> None:
    run = _one(
        {
            "model": "claude-sonnet-4-5",
            "input_tokens": 10,
            "output_tokens": 3,
            "cache_read_input_tokens": 90,
        }
    )
    assert run.run_type == "llm"
    assert (run.prompt_tokens, run.completion_tokens, run.total_tokens) == (100, 3, 103)


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param(
            {"gen_ai.aggregated_usage.input_tokens": 24, "gen_ai.agent.name": "a"},
            id="pydantic-ai-roll-up-is-not-own-usage",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 7, "myapp.usage.input_tokens": 99},
            id="a-known-token-key-wins",
        ),
    ],
)
def test_generic_tokens_stand_back_for_keys_a_convention_owns(
    attributes: dict[str, object],
) -> None:
    run = _one(attributes)
    assert run.prompt_tokens in (None, 7)
    assert run.metadata.get("usage_metadata", {}).get("input_tokens") in (None, 7)


def test_a_dialect_s_input_wins_over_the_generic_one() -> None:
    run = _one({"openinference.span.kind": "CHAIN", "input.value": "asked", "myapp.input": "x"})
    assert run.inputs == {"input": "asked"}
