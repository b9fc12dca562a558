"""Golden OTLP/JSON fixtures, one per convention, and the runs they must become.

Each file under tests/fixtures/otlp/ holds spans with fixed ids and times, written by
tests/fixtures/capture.py: captured from the instrumentation libraries' real runs, or built by
hand from the convention's specification text where capture.py says so, with attribute names
from the convention's own package or typed from its spec (tests/fixtures/spec_keys.py), never
from otel-runs' constants. The tests decode a file with `decode_json_request`, convert it with
`convert_records`, and assert the runs: tree shape and dotted_order, run types, names, inputs
and outputs (OpenAI-style messages and choices for LLM runs), tokens, costs, thread and user
ids on every run of a trace, tags, metadata, errors and first-token times.

Prices come from genai-prices and move with its version, so computed costs are asserted
present and positive; costs a span states itself are asserted exactly.

Runs are named by their run name, with `#n` (in dotted_order order) when a name repeats.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.convert.spans_to_runs import Conversion, convert_records
from otel_runs.model.run import Run
from otel_runs.otlp import decode_json_request, encode_json_request

FIXTURES = Path(__file__).parent / "fixtures" / "otlp"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))
CONVENTIONS = [
    "genai_current",
    "genai_deprecated",
    "langsmith",
    "openinference",
    "openllmetry",
    "pydantic_ai",
]

QUESTION = "What is the weather in Paris?"
SYSTEM_PROMPT = "You are a terse weather assistant."
META = "extra.metadata."
PARAMS = "extra.invocation_params"
LS_ROOT = UUID("0195d7e2-8c4a-7b21-9e3f-1a2b3c4d5e60")
LS_RETRIEVER = UUID("0195d7e2-8c4a-7b21-9e3f-1a2b3c4d5e61")
LS_LLM = UUID("0195d7e2-8c4a-7b21-9e3f-1a2b3c4d5e62")


def convert_fixture(name: str) -> Conversion:
    """Decode the fixture (no span may be rejected) and convert every span."""
    decoded = decode_json_request((FIXTURES / f"{name}.json").read_bytes())
    assert decoded.rejected == []
    conversion = convert_records(decoded.records)
    assert conversion.rejected == []
    return conversion


def labelled(conversion: Conversion) -> dict[str, Run]:
    """Runs by name, `name#n` when a name repeats (n counts in dotted_order order from 1)."""
    counts = Counter(run.name for run in conversion.runs)
    seen: Counter[str] = Counter()
    out = {}
    for run in conversion.runs:
        seen[run.name] += 1
        out[run.name if counts[run.name] == 1 else f"{run.name}#{seen[run.name]}"] = run
    return out


def runs_of(name: str) -> dict[str, Run]:
    return labelled(convert_fixture(name))


def at(data: Any, path: str) -> Any:
    """`data` followed along a dotted path; integer segments index lists."""
    for segment in path.split(".") if path else ():
        data = data[int(segment)] if isinstance(data, list) else data[segment]
    return data


def text_message(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "content": content}


def weather_call(arguments: str, call_id: str = "call_weather_1") -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
        "id": call_id,
    }


def choice(message: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"index": 0, "message": message}
    if finish is not None:
        out["finish_reason"] = finish
    return {"choices": [out]}


# --- the files themselves ----------------------------------------------------------------------


def test_one_fixture_per_convention() -> None:
    assert NAMES == CONVENTIONS


@pytest.mark.parametrize("name", CONVENTIONS)
def test_fixture_is_canonical_otlp_json(name: str) -> None:
    """Each file is exactly what `encode_json_request` writes for its spans (hex ids, string
    int64s, integer enums), so a re-capture diff shows only real changes."""
    text = (FIXTURES / f"{name}.json").read_text(encoding="utf-8")
    records = decode_json_request(text).records
    assert json.dumps(encode_json_request(records), indent=2, ensure_ascii=False) + "\n" == text


# --- tree shape and dotted_order -----------------------------------------------------------------

TREES = [
    pytest.param(
        "langsmith",
        {
            "weather_agent": ("chain", None),
            "get_weather": ("tool", "weather_agent"),
            "get_air_quality": ("tool", "weather_agent"),
            "ChatOpenAI": ("llm", "weather_agent"),
            "RAG pipeline": ("chain", None),
            "retrieve": ("retriever", "RAG pipeline"),
            "ChatAnthropic": ("llm", "RAG pipeline"),
        },
        id="langsmith",
    ),
    pytest.param(
        "genai_current",
        {
            "invoke_agent weather_agent": ("chain", None),
            "chat gpt-4o-mini#1": ("llm", "invoke_agent weather_agent"),
            "get_weather": ("tool", "invoke_agent weather_agent"),
            "chat gpt-4o-mini#2": ("llm", "invoke_agent weather_agent"),
            "chat claude-sonnet-4-20250514": ("llm", None),
            "chat broken": ("llm", None),
        },
        id="genai-current",
    ),
    pytest.param(
        "genai_deprecated",
        {
            "support_session": ("chain", None),
            "openai.chat": ("llm", "support_session"),
            "chat gpt-4o": ("llm", "support_session"),
            "chat gemini-2.0-flash": ("llm", "support_session"),
        },
        id="genai-deprecated",
    ),
    pytest.param(
        "openinference",
        {
            "weather_chain": ("chain", None),
            "retrieve_forecast": ("retriever", "weather_chain"),
            "ChatCompletion#1": ("llm", "weather_chain"),
            "get_weather": ("tool", "weather_chain"),
            "ChatCompletion#2": ("llm", "weather_chain"),
            "ChatCompletion#3": ("llm", "weather_chain"),
            "Messages": ("llm", None),
        },
        id="openinference",
    ),
    pytest.param(
        "openllmetry",
        {
            "weather_report": ("chain", None),
            "ask_model": ("chain", "weather_report"),
            "openai.chat#1": ("llm", "ask_model"),
            "openai.chat#2": ("llm", "ask_model"),
        },
        id="openllmetry",
    ),
    pytest.param(
        "pydantic_ai",
        {
            "invoke_agent weather_agent": ("chain", None),
            "chat test#1": ("llm", "invoke_agent weather_agent"),
            "get_weather": ("tool", "invoke_agent weather_agent"),
            "chat test#2": ("llm", "invoke_agent weather_agent"),
        },
        id="pydantic-ai",
    ),
]


@pytest.mark.parametrize(("name", "tree"), TREES)
def test_tree_shape_and_run_types(name: str, tree: dict[str, tuple[str, str | None]]) -> None:
    runs = runs_of(name)
    label_of = {run.id: label for label, run in runs.items()}
    shape = {
        label: (run.run_type, label_of.get(run.parent_run_id) if run.parent_run_id else None)
        for label, run in runs.items()
    }
    assert shape == tree
    assert list(shape) == list(tree)  # dotted_order order


@pytest.mark.parametrize("name", CONVENTIONS)
def test_dotted_order_invariants(name: str) -> None:
    """Each dotted_order extends its parent's, ends in the run id, and starts at the trace root;
    parent and child lists agree with it."""
    runs = {run.id: run for run in convert_fixture(name).runs}
    for run in runs.values():
        segments = run.dotted_order.split(".")
        assert run.dotted_order.endswith(str(run.id))
        assert segments[0].endswith(str(run.trace_id))
        assert runs[run.trace_id].parent_run_id is None
        if run.parent_run_id is None:
            assert run.trace_id == run.id
            assert len(segments) == 1
        else:
            parent = runs[run.parent_run_id]
            assert run.dotted_order.startswith(parent.dotted_order + ".")
            assert len(segments) == len(parent.dotted_order.split(".")) + 1
            assert run.id in parent.direct_child_run_ids
            assert run.parent_run_ids[-1] == parent.id
        for segment in segments:
            assert len(segment) == 22 + 36  # YYYYmmddTHHMMSSffffffZ, then the UUID


DOTTED_ORDERS = [
    pytest.param(
        "langsmith",
        "ChatOpenAI",
        "20260101T000000000000Z00000000-0000-0000-00f0-67aa0ba90201"
        ".20260101T000001250000Z00000000-0000-0000-00f0-67aa0ba90204",
        id="span-derived-ids",
    ),
    pytest.param(
        "langsmith",
        "ChatAnthropic",
        f"20260101T000000000000Z{LS_ROOT}.20260101T000000400000Z{LS_LLM}",
        id="langsmith-stamped-dotted-order",
    ),
    pytest.param(
        "openllmetry",
        "openai.chat#2",
        "20260101T000000000000Z00000000-0000-0000-00f0-67aa0ba9032d"
        ".20260101T000000100000Z00000000-0000-0000-00f0-67aa0ba9032e"
        ".20260101T000001300000Z00000000-0000-0000-00f0-67aa0ba90330",
        id="three-levels",
    ),
    pytest.param(
        "genai_current",
        "chat broken",
        "20260101T000002000000Z00000000-0000-0000-00f0-67aa0ba90205",
        id="root-of-its-own-trace",
    ),
]


@pytest.mark.parametrize(("name", "label", "dotted_order"), DOTTED_ORDERS)
def test_exact_dotted_orders(name: str, label: str, dotted_order: str) -> None:
    assert runs_of(name)[label].dotted_order == dotted_order


def test_langsmith_identity_overrides_name_the_runs() -> None:
    runs = runs_of("langsmith")
    root, retriever, llm = runs["RAG pipeline"], runs["retrieve"], runs["ChatAnthropic"]
    assert (root.id, retriever.id, llm.id) == (LS_ROOT, LS_RETRIEVER, LS_LLM)
    assert {root.trace_id, retriever.trace_id, llm.trace_id} == {LS_ROOT}
    assert retriever.parent_run_id == llm.parent_run_id == LS_ROOT
    assert root.direct_child_run_ids == [LS_RETRIEVER, LS_LLM]


# --- thread, user and project on every run of a trace ---------------------------------------------

TRACE_VALUES = [
    pytest.param("langsmith", "weather_agent", "thread-7f3a", None, id="langsmith-metadata"),
    pytest.param(
        "langsmith", "RAG pipeline", "conv-991", "user-42", id="langsmith-conversation-id"
    ),
    pytest.param(
        "genai_current", "invoke_agent weather_agent", "conv_5f3a9c", None, id="genai-agent"
    ),
    pytest.param(
        "genai_current", "chat claude-sonnet-4-20250514", "conv_81ab", None, id="genai-chat"
    ),
    pytest.param("genai_current", "chat broken", None, None, id="genai-no-thread"),
    pytest.param("genai_deprecated", "support_session", None, None, id="deprecated-no-thread"),
    pytest.param("openinference", "weather_chain", "session-2f9c", "user-7", id="openinference"),
    pytest.param("openinference", "Messages", "session-costs", None, id="openinference-llm"),
    pytest.param("openllmetry", "weather_report", "sess-42", "user-9", id="openllmetry"),
    pytest.param(
        "pydantic_ai",
        "invoke_agent weather_agent",
        "00000000-0000-7000-8000-000000000002",
        None,
        id="pydantic-ai-conversation-id",
    ),
]


@pytest.mark.parametrize(("name", "root", "thread", "user"), TRACE_VALUES)
def test_thread_and_user_ids_are_on_every_run_of_the_trace(
    name: str, root: str, thread: str | None, user: str | None
) -> None:
    runs = runs_of(name)
    trace = [run for run in runs.values() if run.trace_id == runs[root].id]
    assert len(trace) >= 1
    for run in trace:
        assert run.metadata.get(ls.META_THREAD_ID) == thread, run.name
        assert run.metadata.get(ls.META_USER_ID) == user, run.name


@pytest.mark.parametrize(
    ("root", "project"),
    [
        pytest.param("weather_agent", "weather-prod", id="sdk-exporter"),
        pytest.param("RAG pipeline", "rag-eval", id="identity-trace"),
    ],
)
def test_langsmith_session_name_is_the_project_of_every_run(root: str, project: str) -> None:
    runs = runs_of("langsmith")
    for run in runs.values():
        if run.trace_id == runs[root].id:
            assert run.unmapped["session_name"] == project


# --- per-run fields ------------------------------------------------------------------------------

RUN_FIELDS = [
    # LangSmith: the SDK's own exporter.
    pytest.param(
        "langsmith",
        "weather_agent",
        {
            "inputs": {"question": QUESTION},
            "outputs": {"output": "Paris is sunny."},
            "tags": ["prod", "agent-v2"],
            "status": "success",
            META + "user_tier": "gold",
            META + "ls_method": "traceable",
            META + "revision_id": "v2026.01.0",
            "prompt_tokens": 24,
            "completion_tokens": 6,
            "total_tokens": 30,
        },
        id="langsmith-chain-rolls-up-tokens",
    ),
    pytest.param(
        "langsmith",
        "get_weather",
        {
            "inputs": {"city": "Paris"},
            "outputs": {"city": "Paris", "forecast": "sunny"},
            "tags": ["prod", "agent-v2"],
            "total_tokens": None,
        },
        id="langsmith-tool",
    ),
    pytest.param(
        "langsmith",
        "ChatOpenAI",
        {
            "inputs": {"messages": [text_message("user", QUESTION)]},
            "outputs.choices": [{"message": {"role": "assistant", "content": "Paris is sunny."}}],
            META + ls.META_PROVIDER: "openai",
            META + ls.META_MODEL_NAME: "gpt-4o-mini",
            META + ls.META_MODEL_TYPE: "chat",
            META + ls.META_USAGE + ".input_tokens": 24,
            "prompt_tokens": 24,
            "completion_tokens": 6,
            "total_tokens": 30,
        },
        id="langsmith-llm",
    ),
    # LangSmith: identity overrides and a whole usage_metadata object.
    pytest.param(
        "langsmith",
        "RAG pipeline",
        {
            "run_type": "chain",
            "tags": ["rag", "eval"],
            "inputs": {"question": "What is OTLP?"},
            "outputs": {"answer": "The OpenTelemetry protocol."},
            META + "conversation_id": "conv-991",
            META + "experiment": {"name": "ablation-3", "variant": "b"},
            "prompt_tokens": 350,
            "completion_tokens": 40,
            "total_tokens": 390,
        },
        id="langsmith-metadata-json-and-tags-array",
    ),
    pytest.param(
        "langsmith",
        "retrieve",
        {
            "tags": ["rag", "retrieval"],
            "inputs": {"query": "What is OTLP?"},
            "outputs.documents.0.page_content": "OTLP is the OpenTelemetry protocol.",
        },
        id="langsmith-retriever-comma-tags",
    ),
    pytest.param(
        "langsmith",
        "ChatAnthropic",
        {
            "inputs.messages": [
                text_message("system", "Answer from the documents."),
                text_message("user", "What is OTLP?"),
            ],
            "outputs": choice(
                {"role": "assistant", "content": "The OpenTelemetry protocol."}, "stop"
            ),
            META + ls.META_PROVIDER: "anthropic",
            META + ls.META_USAGE + ".input_token_details": {"cache_read": 300},
            "prompt_tokens": 350,
            "completion_tokens": 40,
            "total_tokens": 390,
        },
        id="langsmith-usage-metadata-object",
    ),
    # OTel GenAI, current.
    pytest.param(
        "genai_current",
        "invoke_agent weather_agent",
        {
            "inputs": {
                "messages": [text_message("system", SYSTEM_PROMPT), text_message("user", QUESTION)]
            },
            "outputs": choice({"role": "assistant", "content": "It is sunny."}, "stop"),
            META + "agent_name": "weather_agent",
            META + ls.META_AGGREGATED_USAGE: {
                "input_tokens": 24,
                "output_tokens": 10,
                "total_tokens": 34,
            },
            "prompt_tokens": 24,
            "completion_tokens": 10,
            "total_tokens": 34,
        },
        id="genai-agent-usage-not-counted-twice",
    ),
    pytest.param(
        "genai_current",
        "chat gpt-4o-mini#1",
        {
            "inputs": {
                "messages": [text_message("system", SYSTEM_PROMPT), text_message("user", QUESTION)]
            },
            "outputs": choice(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [weather_call('{"city":"Paris"}')],
                },
                "tool_calls",
            ),
            META + ls.META_PROVIDER: "openai",
            META + ls.META_MODEL_NAME: "gpt-4o-mini",
            META + ls.META_TEMPERATURE: 0.2,
            META + "response_id": "chatcmpl-fake-1",
            META + "finish_reasons": ["tool_calls"],
            PARAMS: {"model": "gpt-4o-mini", "temperature": 0.2},
            "prompt_tokens": 12,
            "completion_tokens": 5,
            "total_tokens": 17,
        },
        id="genai-chat-tool-call",
    ),
    pytest.param(
        "genai_current",
        "get_weather",
        {
            "inputs": {"city": "Paris"},
            "outputs": {"city": "Paris", "forecast": "sunny", "temp_c": 21},
            "total_tokens": None,
        },
        id="genai-execute-tool",
    ),
    pytest.param(
        "genai_current",
        "chat claude-sonnet-4-20250514",
        {
            "inputs": {
                "messages": [
                    text_message("system", "You are a meteorologist."),
                    text_message("user", "And tomorrow?"),
                ],
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "description": "Current weather for a city",
                            "parameters": {
                                "type": "object",
                                "properties": {"city": {"type": "string"}},
                                "required": ["city"],
                            },
                        },
                    }
                ],
            },
            "outputs.choices.0.message.content": [
                {"type": "reasoning", "reasoning": "The user wants tomorrow's outlook."},
                {"type": "text", "text": "Tomorrow: sunny, 23°C, light wind."},
            ],
            "outputs.choices.0.finish_reason": "stop",
            META + ls.META_PROVIDER: "anthropic",
            META + ls.META_MAX_TOKENS: 1024,
            META + ls.META_USAGE + ".input_token_details": {
                "cache_read": 800,
                "cache_creation": 300,
            },
            META + ls.META_USAGE + ".output_token_details": {"reasoning": 60},
            PARAMS + ".stream": True,
            "prompt_tokens": 1200,
            "completion_tokens": 150,
            "total_tokens": 1350,
        },
        id="genai-chat-full-usage-and-parts",
    ),
    # OTel GenAI, deprecated.
    pytest.param(
        "genai_deprecated",
        "support_session",
        {"inputs": {}, "outputs": None, "prompt_tokens": 82, "completion_tokens": 18},
        id="deprecated-root-rolls-up-three-calls",
    ),
    pytest.param(
        "genai_deprecated",
        "openai.chat",
        {
            "inputs": {
                "messages": [text_message("system", SYSTEM_PROMPT), text_message("user", QUESTION)]
            },
            "outputs": choice({"role": "assistant", "content": "Sunny, 21°C."}, "stop"),
            META + ls.META_PROVIDER: "openai",
            META + ls.META_MODEL_NAME: "gpt-4o-mini-2024-07-18",
            "prompt_tokens": 12,
            "completion_tokens": 5,
            "total_tokens": 17,
        },
        id="deprecated-indexed-prompt-completion",
    ),
    pytest.param(
        "genai_deprecated",
        "chat gpt-4o",
        {
            "inputs": {
                "messages": [
                    text_message("system", SYSTEM_PROMPT),
                    text_message("user", QUESTION),
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [weather_call('{"city":"Paris"}')],
                    },
                    {"role": "tool", "content": "sunny", "tool_call_id": "call_weather_1"},
                ]
            },
            "outputs": choice({"role": "assistant", "content": "It is sunny in Paris."}, "stop"),
            "prompt_tokens": 40,
            "completion_tokens": 9,
        },
        id="deprecated-message-events",
    ),
    pytest.param(
        "genai_deprecated",
        "chat gemini-2.0-flash",
        {
            "inputs": {
                "messages": [
                    text_message("system", "Be brief."),
                    text_message("user", "Summarise the forecast."),
                ]
            },
            "outputs": choice({"role": "assistant", "content": "Sunny all week."}, "stop"),
            META + ls.META_PROVIDER: "google_genai",
            "prompt_tokens": 30,
            "completion_tokens": 4,
        },
        id="details-event",
    ),
    # OpenInference.
    pytest.param(
        "openinference",
        "weather_chain",
        {
            "inputs": {"question": QUESTION},
            "outputs": {"output": "It is sunny."},
            "tags": ["rag", "weather"],
            META + "tenant": "acme",
            META + "release": "2026.01",
            "prompt_tokens": 36,
            "completion_tokens": 12,
            "total_tokens": 48,
        },
        id="openinference-chain",
    ),
    pytest.param(
        "openinference",
        "retrieve_forecast",
        {
            "inputs": {"query": "Paris weather today"},
            "outputs": {
                "documents": [
                    {
                        "page_content": "Paris forecast: sunny, 21°C.",
                        "type": "Document",
                        "metadata": {"source": "meteo.fr"},
                        "id": "doc-17",
                        "score": 0.92,
                    },
                    {
                        "page_content": "Paris is the capital of France.",
                        "type": "Document",
                        "metadata": {"source": "wiki"},
                        "id": "doc-4",
                        "score": 0.41,
                    },
                ]
            },
        },
        id="openinference-retriever",
    ),
    pytest.param(
        "openinference",
        "ChatCompletion#1",
        {
            "inputs.messages": [
                text_message("system", SYSTEM_PROMPT),
                text_message("user", QUESTION),
            ],
            "inputs.tools.0.function.name": "get_weather",
            "outputs": choice(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [weather_call('{"city": "Paris"}')],
                },
                "tool_calls",
            ),
            "tags": ["rag", "weather"],
            META + ls.META_USAGE + ".input_token_details": {"cache_read": 4},
            META + ls.META_USAGE + ".output_token_details": {"reasoning": 2},
            "prompt_tokens": 12,
            "completion_tokens": 5,
        },
        id="openinference-llm-tool-call",
    ),
    pytest.param(
        "openinference",
        "get_weather",
        {"inputs": {"city": "Paris"}, "outputs": {"output": "sunny, 21°C"}},
        id="openinference-tool",
    ),
    pytest.param(
        "openinference",
        "ChatCompletion#2",
        {
            "inputs.messages.3": {
                "role": "tool",
                "content": "sunny, 21°C",
                "tool_call_id": "call_weather_1",
            },
            "outputs": choice({"role": "assistant", "content": "It is sunny."}, "stop"),
        },
        id="openinference-llm-tool-result",
    ),
    pytest.param(
        "openinference",
        "ChatCompletion#3",
        {
            PARAMS + ".stream": True,
            "prompt_tokens": 12,
            "completion_tokens": 2,
            "total_tokens": 14,
        },
        id="openinference-llm-streaming",
    ),
    pytest.param(
        "openinference",
        "Messages",
        {
            "outputs": choice({"role": "assistant", "content": "Seville, Phoenix, Dubai."}),
            META + ls.META_PROVIDER: "anthropic",
            META + ls.META_USAGE + ".input_token_details": {"cache_creation": 100},
            PARAMS: {"max_tokens": 256},
            "prompt_tokens": 120,
            "completion_tokens": 11,
            "total_tokens": 131,
        },
        id="openinference-llm-own-costs",
    ),
    # OpenLLMetry / Traceloop.
    pytest.param(
        "openllmetry",
        "weather_report",
        {
            # the decorator's {"args": [], "kwargs": {"city": "Paris"}}: the call's arguments
            "inputs": {"city": "Paris"},
            META + "traceloop_workflow": "weather_report",
            META + "customer": "acme",
            "prompt_tokens": 37,
            "completion_tokens": 11,
        },
        id="openllmetry-workflow",
    ),
    pytest.param(
        "openllmetry",
        "ask_model",
        {
            # the decorator's {"args": ["Paris"], "kwargs": {}}: its one argument
            "inputs": {"input": "Paris"},
            "outputs": {"answer": "Sunny, 21°C in Paris.", "calls": 2},
        },
        id="openllmetry-task",
    ),
    pytest.param(
        "openllmetry",
        "openai.chat#1",
        {
            "inputs": {
                "messages": [text_message("system", SYSTEM_PROMPT), text_message("user", QUESTION)]
            },
            "outputs": choice(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [weather_call('{"city":"Paris"}')],
                },
                "tool_calls",
            ),
            META + ls.META_PROVIDER: "openai",
            META + ls.META_USAGE + ".input_token_details": {"cache_read": 4},
            PARAMS + ".stream": False,
            "prompt_tokens": 12,
            "completion_tokens": 5,
            "total_tokens": 17,
        },
        id="openllmetry-indexed-tool-call",
    ),
    pytest.param(
        "openllmetry",
        "openai.chat#2",
        {
            "inputs.messages.2": {
                "role": "assistant",
                "content": None,
                "tool_calls": [weather_call('{"city":"Paris"}')],
            },
            "inputs.messages.3": {
                "role": "tool",
                "content": "sunny, 21°C",
                "tool_call_id": "call_weather_1",
            },
            "outputs": choice({"role": "assistant", "content": "Sunny, 21°C in Paris."}, "stop"),
            "prompt_tokens": 25,
            "completion_tokens": 6,
        },
        id="openllmetry-indexed-tool-result",
    ),
    # pydantic-ai.
    pytest.param(
        "pydantic_ai",
        "invoke_agent weather_agent",
        {
            "inputs.messages.0": text_message("system", SYSTEM_PROMPT),
            "inputs.messages.1": text_message("user", QUESTION),
            "outputs.output": "It is sunny in Paris.",
            "outputs.messages.-1": text_message("assistant", "It is sunny in Paris."),
            META + ls.META_AGGREGATED_USAGE: {
                "input_tokens": 115,
                "output_tokens": 16,
                "total_tokens": 131,
            },
            "prompt_tokens": 115,
            "completion_tokens": 16,
            "total_tokens": 131,
        },
        id="pydantic-ai-agent",
    ),
    pytest.param(
        "pydantic_ai",
        "chat test#1",
        {
            "inputs.messages": [
                text_message("system", SYSTEM_PROMPT),
                text_message("user", QUESTION),
            ],
            "inputs.tools.0.function.name": "get_weather",
            "outputs": choice(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        weather_call('{"city":"a"}', "pyd_ai_tool_call_id__get_weather")
                    ],
                }
            ),
            META + "model_request_parameters.output_mode": "text",
            "prompt_tokens": 56,
            "completion_tokens": 5,
        },
        id="pydantic-ai-chat",
    ),
    pytest.param(
        "pydantic_ai",
        "get_weather",
        {"inputs": {"city": "a"}, "outputs": {"output": "sunny in a"}},
        id="pydantic-ai-execute-tool",
    ),
    pytest.param(
        "pydantic_ai",
        "chat test#2",
        {
            "inputs.messages.3": {
                "role": "tool",
                "content": "sunny in a",
                "tool_call_id": "pyd_ai_tool_call_id__get_weather",
            },
            "outputs": choice(text_message("assistant", "It is sunny in Paris.")),
            "prompt_tokens": 59,
            "completion_tokens": 11,
        },
        id="pydantic-ai-chat-result-part",
    ),
]


@pytest.mark.parametrize(("name", "label", "expected"), RUN_FIELDS)
def test_run_fields(name: str, label: str, expected: dict[str, Any]) -> None:
    run = runs_of(name)[label].to_dict()
    actual = {path: _path(run, path) for path in expected}
    assert actual == expected


def _path(run: dict[str, Any], path: str) -> Any:
    """`at` on the run dict; under `extra.metadata.` the first segment is one metadata key."""
    if path.startswith(META):
        rest = path[len(META) :]
        metadata = run["extra"]["metadata"]
        key, _, tail = rest.partition(".")
        return at(metadata[key], tail)
    return at(run, path)


# --- costs ---------------------------------------------------------------------------------------

COSTS = [
    pytest.param("langsmith", "ChatOpenAI", None, id="langsmith-priced"),
    pytest.param(
        "langsmith",
        "ChatAnthropic",
        ("0.00031", "0.00016", "0.00047"),
        id="langsmith-usage-metadata-costs",
    ),
    pytest.param("genai_current", "chat gpt-4o-mini#1", None, id="genai-priced"),
    pytest.param("genai_current", "chat claude-sonnet-4-20250514", None, id="genai-cache-priced"),
    pytest.param("genai_deprecated", "chat gpt-4o", None, id="deprecated-priced"),
    pytest.param("genai_deprecated", "chat gemini-2.0-flash", None, id="gemini-priced"),
    pytest.param("openinference", "ChatCompletion#1", None, id="openinference-priced"),
    pytest.param(
        "openinference", "Messages", ("0.000196", "0.000044", "0.00024"), id="openinference-own"
    ),
    pytest.param("openllmetry", "openai.chat#2", None, id="openllmetry-priced"),
]


@pytest.mark.parametrize(("name", "label", "exact"), COSTS)
def test_llm_costs(name: str, label: str, exact: tuple[str, str, str] | None) -> None:
    run = runs_of(name)[label]
    costs = (run.prompt_cost, run.completion_cost, run.total_cost)
    if exact is not None:
        assert costs == tuple(Decimal(amount) for amount in exact)
        return
    assert run.prompt_cost is not None and run.prompt_cost > 0
    assert run.completion_cost is not None and run.completion_cost > 0
    assert run.total_cost == run.prompt_cost + run.completion_cost
    usage = run.metadata[ls.META_USAGE]
    assert usage["total_cost"] == pytest.approx(float(run.total_cost))


@pytest.mark.parametrize(
    ("name", "root"),
    [
        pytest.param("langsmith", "RAG pipeline", id="langsmith"),
        pytest.param("genai_current", "invoke_agent weather_agent", id="genai"),
        pytest.param("genai_deprecated", "support_session", id="deprecated"),
        pytest.param("openinference", "weather_chain", id="openinference"),
        pytest.param("openllmetry", "weather_report", id="openllmetry"),
    ],
)
def test_parent_costs_are_the_sum_of_their_llm_calls(name: str, root: str) -> None:
    runs = runs_of(name)
    top = runs[root]
    calls = [
        run
        for run in runs.values()
        if run.run_type == "llm" and run.trace_id == top.id and run.total_cost is not None
    ]
    assert calls
    assert top.total_cost == sum((run.total_cost or Decimal(0) for run in calls), Decimal(0))
    assert top.total_tokens == sum(run.total_tokens or 0 for run in calls)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        pytest.param("pydantic_ai", "chat test#1", id="unknown-test-model"),
        pytest.param("genai_current", "chat broken", id="failed-call-without-usage"),
    ],
)
def test_no_cost_without_a_known_price(name: str, label: str) -> None:
    run = runs_of(name)[label]
    assert (run.prompt_cost, run.completion_cost, run.total_cost) == (None, None, None)


# --- errors and first tokens ---------------------------------------------------------------------

ERRORS = [
    pytest.param(
        "langsmith",
        "get_air_quality",
        "Exception: TimeoutError('air quality service timed out for Paris')",
        id="langsmith-exception-event",
    ),
    pytest.param(
        "genai_current",
        "chat broken",
        "<class 'openai.InternalServerError'>: Error code: 500 - the fake model broke",
        id="genai-status-and-error-type",
    ),
]


@pytest.mark.parametrize(("name", "label", "error_start"), ERRORS)
def test_errors(name: str, label: str, error_start: str) -> None:
    runs = runs_of(name)
    run = runs[label]
    assert run.status == "error"
    assert run.error is not None and run.error.startswith(error_start)
    others = [r for r in runs.values() if r is not run and r.trace_id == run.trace_id]
    assert all(r.status == "success" and r.error is None for r in others)


FIRST_TOKENS = [
    pytest.param(
        "genai_current",
        "chat claude-sonnet-4-20250514",
        "2026-01-01T00:00:00.420000+00:00",
        id="genai-time-to-first-chunk",
    ),
    pytest.param(
        "openinference",
        "ChatCompletion#3",
        "2026-01-01T00:00:02.500000+00:00",
        id="openinference-first-token-event",
    ),
]


@pytest.mark.parametrize(("name", "label", "time"), FIRST_TOKENS)
def test_first_token_time_and_new_token_event(name: str, label: str, time: str) -> None:
    run = runs_of(name)[label].to_dict()
    assert run["first_token_time"] == time
    assert {"name": ls.EVENT_NEW_TOKEN, "time": time} in run["events"]


def test_runs_without_streaming_have_no_first_token_time() -> None:
    for name in CONVENTIONS:
        for label, run in runs_of(name).items():
            if (name, label) not in {
                ("genai_current", "chat claude-sonnet-4-20250514"),
                ("openinference", "ChatCompletion#3"),
            }:
                assert run.first_token_time is None, (name, label)


# --- Logfire pending spans -----------------------------------------------------------------------


def test_logfire_pending_spans_never_become_runs() -> None:
    records = decode_json_request((FIXTURES / "pydantic_ai.json").read_bytes()).records
    pending = [r for r in records if r.attributes.get(pa.LOGFIRE_SPAN_TYPE) == pa.PENDING_SPAN]
    assert len(pending) == 2
    conversion = convert_records(records)
    assert conversion.pending == 2
    assert len(conversion.runs) == len(records) - 2
    run_span_ids = {run.metadata[ls.META_OTEL_SPAN_ID] for run in conversion.runs}
    assert not run_span_ids & {f"{r.span_id:016x}" for r in pending}
    for run in conversion.runs:
        assert set(run.child_run_ids) <= {r.id for r in conversion.runs}


# --- behaviours found wrong by these fixtures, now fixed ---------------------------------------


def test_genai_tool_call_response_part_content() -> None:
    message = runs_of("genai_current")["chat gpt-4o-mini#2"].inputs["messages"][3]
    assert message == {
        "role": "tool",
        "content": '{"city":"Paris","forecast":"sunny","temp_c":21}',
        "tool_call_id": "call_weather_1",
    }


def test_openllmetry_entity_output_json_string() -> None:
    assert runs_of("openllmetry")["weather_report"].outputs == {"output": "Sunny, 21°C in Paris."}


@pytest.mark.parametrize(
    ("name", "label", "expected"),
    [
        pytest.param("genai_deprecated", "openai.chat", {"model": "gpt-4o-mini"}, id="deprecated"),
        pytest.param(
            "openllmetry",
            "openai.chat#1",
            {"model": "gpt-4o-mini", "temperature": 0.2, "stream": False},
            id="openllmetry",
        ),
    ],
)
def test_invocation_params_do_not_repeat_the_requested_model(
    name: str, label: str, expected: dict[str, Any]
) -> None:
    """invocation_params are what was sent (LangChain's meaning); the model that answered is
    `ls_model_name`."""
    run = runs_of(name)[label]
    assert run.metadata[ls.META_MODEL_NAME] == "gpt-4o-mini-2024-07-18"
    assert run.extra[ls.META_INVOCATION_PARAMS] == expected


def test_langsmith_stamped_lineage_survives_a_batch_without_the_parent() -> None:
    records = decode_json_request((FIXTURES / "langsmith.json").read_bytes()).records
    alone = [r for r in records if r.attributes.get(ls.SPAN_ID) == str(LS_LLM)]
    [run] = convert_records(alone).runs
    assert run.dotted_order == f"20260101T000000000000Z{LS_ROOT}.20260101T000000400000Z{LS_LLM}"
    assert (run.id, run.trace_id, run.parent_run_id) == (LS_LLM, LS_ROOT, LS_ROOT)
    assert "ls_orphan" not in run.metadata
