"""Python frameworks, set B (issue 14): Logfire, Anthropic + OpenLLMetry, google-genai + the
official OTel instrumentation, Google ADK, the Claude Agent SDK (Claude Code's traces) and MLflow
tracing. What real programs built on each export, converted as `otel-runs convert` does, checked
field by field against expected.json (what the program did and what the fake model answered).

Re-record a fixture with `python tests/fixtures/frameworks/record.py NAME`; see
tests/support/frameworks.py for what expected.json can state.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from otel_runs import spans_to_runs
from otel_runs.dialects import provider_usage
from otel_runs.files.otlp_proto import read_otlp_proto
from otel_runs.files.source import Source
from otel_runs.model.span_record import SpanRecord
from tests.support import frameworks as fw
from tests.support.records import record

FIXTURES = [
    "anthropic_openllmetry",
    "logfire",
    "google_genai",
    "google_adk",
    "google_adk_1",
    "mlflow",
    "claude_agent_sdk",
]


@pytest.mark.parametrize("name", FIXTURES)
def test_recording_converts_to_the_runs_the_program_made(name: str) -> None:
    fw.check_recording(name)


@pytest.mark.parametrize("name", FIXTURES)
def test_every_trace_is_one_tree(name: str) -> None:
    fw.check_one_tree_per_trace(name)


def test_claude_agent_sdk_through_a_real_serve_gives_the_same_runs(tmp_path: Path) -> None:
    fixture = fw.load("claude_agent_sdk")
    fw.check_through_serve(fixture, fw.convert_file(fixture.recording), tmp_path)


def test_anthropic_tool_definitions_read_as_openai_functions() -> None:
    """OpenLLMetry and Logfire pass Anthropic's `input_schema` through; LangSmith renders
    OpenAI's `parameters`. The definition is the one program.py sent."""
    sent = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    for name, selector in (
        ("anthropic_openllmetry", {"name": "anthropic.chat", "nth": 0}),
        ("logfire", {"name": "Message with 'claude-sonnet-4-5'", "nth": 0}),
        ("mlflow", {"name": "Messages.create", "nth": 0}),
    ):
        run = fw.select(fw.convert_file(fw.load(name).recording), selector)
        assert run.inputs["tools"] == [sent], name


def test_claude_code_bare_token_counts_alone_are_read_as_anthropic_counts() -> None:
    """Claude Code versions before the GenAI keys wrote only the bare, Anthropic-style counts
    (input without the cache). The recorded model request with its `gen_ai.usage.*` keys taken
    away must give the same usage the fake reported: 21 + 8 + 5 input, 9 output."""
    with fw.load("claude_agent_sdk").recording.open("rb") as raw:
        records = [r for _, r in read_otlp_proto(Source(raw)) if isinstance(r, SpanRecord)]
    request = next(r for r in records if r.name == "claude_code.llm_request")
    bare = replace(
        request,
        parent_span_id=None,
        attributes={
            k: v for k, v in request.attributes.items() if not k.startswith("gen_ai.usage.")
        },
    )
    [run] = spans_to_runs([bare])
    assert (run.prompt_tokens, run.completion_tokens, run.total_tokens) == (34, 9, 43)
    details = run.metadata["usage_metadata"]["input_token_details"]
    assert details == {"cache_read": 8, "cache_creation": 5}


def test_gemini_usage_object_counts_thoughts_as_output() -> None:
    """Gemini's usage metadata as the API returns it (the fake's answer): the prompt includes
    the cached part, the candidates leave out the thoughts."""
    found = provider_usage.gemini(
        {
            "promptTokenCount": 34,
            "cachedContentTokenCount": 8,
            "candidatesTokenCount": 9,
            "thoughtsTokenCount": 4,
            "totalTokenCount": 47,
        }
    )
    assert found == {
        "input_tokens": 34,
        "output_tokens": 13,
        "total_tokens": 47,
        "input_token_details": {"cache_read": 8},
        "output_token_details": {"reasoning": 4},
    }


_GARBAGE = [
    "",
    "not json",
    "[1, 2]",
    "7",
    "null",
    '{"messages": 5}',
    '{"content": [1, {}]}',
    '{"contents": [{"parts": [1, {"function_call": 2}]}], "config": {"tools": [3]}}',
    '{"content": {"parts": 5}, "usage_metadata": {"prompt_token_count": "x"}}',
]
_SHAPES = [
    pytest.param(
        "",
        {"mlflow.spanType": '"CHAT_MODEL"', "mlflow.message.format": '"anthropic"'},
        ("mlflow.spanInputs", "mlflow.spanOutputs", "mlflow.chat.tokenUsage", "mlflow.chat.tools"),
        id="mlflow",
    ),
    pytest.param(
        "logfire.anthropic",
        {"gen_ai.provider.name": "anthropic", "logfire.msg": "a {b}"},
        ("gen_ai.usage.raw", "logfire.json_schema"),
        id="logfire",
    ),
    pytest.param(
        "com.anthropic.claude_code.tracing",
        {"span.type": "llm_request"},
        ("input_tokens", "output_tokens", "cache_read_tokens", "user_prompt"),
        id="claude-code",
    ),
    pytest.param(
        "gcp.vertex.agent",
        {"gcp.vertex.agent.event_id": "e", "gen_ai.operation.name": "generate_content"},
        (
            "gen_ai.output.messages",
            "gcp.vertex.agent.llm_request",
            "gcp.vertex.agent.llm_response",
            "gcp.vertex.agent.tool_call_args",
            "gcp.vertex.agent.tool_response",
        ),
        id="google-adk",
    ),
]


@pytest.mark.parametrize(("scope", "base", "keys"), _SHAPES)
@pytest.mark.parametrize("value", _GARBAGE)
def test_set_b_dialects_take_malformed_values_without_raising(
    scope: str, base: dict[str, str], keys: tuple[str, ...], value: str
) -> None:
    span = replace(
        record(1, name="a {b}", attributes={**base, **dict.fromkeys(keys, value)}),
        scope_name=scope,
    )
    [run] = spans_to_runs([span])
    assert run.id is not None
