"""runs -> spans: ids, the attributes of each convention, errors, first tokens, threads, usage
only on model calls, and what spans -> runs makes of our spans without the restore step (what
LangSmith's own OTel ingest and other converters see)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from otel_runs import Run, spans_to_runs
from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.conventions import otel
from otel_runs.model.span_record import SpanRecord
from otel_runs.runs_to_spans import runs_to_records, runs_to_spans
from otel_runs.runs_to_spans.messages import input_messages, output_messages
from tests.fixtures.runs.roundtrip import back_to_runs
from tests.support.records import record

ROOT = UUID("0190f1e2-3b4c-7d5e-8f60-718293a4b5c6")
CHAT = UUID("0190f1e2-3b4c-7d5e-9f60-718293a4b5c7")
TOOL = UUID("0190f1e2-3b4c-7d5e-af60-718293a4b5c8")
START = "2024-06-01T12:00:00.100000+00:00"
ROOT_DOTTED = "20240601T120000100000Z" + str(ROOT)
USAGE = {
    "input_tokens": 50,
    "output_tokens": 20,
    "total_tokens": 70,
    "input_token_details": {"cache_read": 30, "cache_creation": 5},
    "output_token_details": {"reasoning": 8},
}


def _run(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": str(ROOT),
        "name": "pipeline",
        "run_type": "chain",
        "start_time": START,
        "end_time": "2024-06-01T12:00:02+00:00",
        "trace_id": str(ROOT),
        "dotted_order": ROOT_DOTTED,
        "inputs": {"question": "hi"},
        "outputs": {"answer": "hello"},
        "session_name": "my-project",
    }
    return {**base, **fields}


def _chat(**fields: Any) -> dict[str, Any]:
    return _run(
        id=str(CHAT),
        name="ChatOpenAI",
        run_type="llm",
        parent_run_id=str(ROOT),
        start_time="2024-06-01T12:00:00.200000+00:00",
        end_time="2024-06-01T12:00:01.500000+00:00",
        dotted_order=ROOT_DOTTED + ".20240601T120000200000Z" + str(CHAT),
        inputs={
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "hi"},
            ],
            "model": "gpt-4o-mini",
        },
        outputs={
            "choices": [
                {"message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}
            ],
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini-2024-07-18",
            "usage_metadata": USAGE,
        },
        extra={
            "metadata": {
                "ls_provider": "openai",
                "ls_model_name": "gpt-4o-mini",
                "thread_id": "th-1",
            },
            "invocation_params": {"temperature": 0.2, "max_tokens": 100, "stop": ["\n"]},
        },
        prompt_tokens=50,
        completion_tokens=20,
        total_tokens=70,
        **fields,
    )


def _span(run: dict[str, Any]) -> SpanRecord:
    (only,) = runs_to_records([run])
    return only


# --- ids ---------------------------------------------------------------------------------------


def test_span_id_is_the_last_8_bytes_and_trace_id_the_16_bytes_of_the_trace_uuid() -> None:
    root, chat = runs_to_records([_run(), _chat()])
    assert root.span_id == int.from_bytes(ROOT.bytes[8:], "big")
    assert chat.span_id == int.from_bytes(CHAT.bytes[8:], "big")
    assert chat.parent_span_id == root.span_id
    assert root.trace_id == chat.trace_id == ROOT.int


def test_a_uuidv7_run_carries_the_four_langsmith_ids() -> None:
    chat = _span(_chat())
    assert chat.attributes[ls.SPAN_ID] == str(CHAT)
    assert chat.attributes[ls.TRACE_ID] == str(ROOT)
    assert chat.attributes[ls.SPAN_PARENT_ID] == str(ROOT)
    assert chat.attributes[ls.SPAN_DOTTED_ORDER] == ROOT_DOTTED + ".20240601T120000200000Z" + str(
        CHAT
    )


def test_a_run_that_came_from_a_span_gets_its_span_and_trace_ids_back() -> None:
    original = record(0xAB, 0xCD, name="op", trace_id=0x1234)
    (run,) = back_to_runs([original])
    (again,) = runs_to_records([run])
    assert (again.trace_id, again.span_id, again.parent_span_id) == (0x1234, 0xAB, 0xCD)
    # Zero-padded ids are LangSmith's own rule: no id attributes are needed.
    assert ls.SPAN_ID not in again.attributes and ls.TRACE_ID not in again.attributes


def test_a_run_id_with_zero_low_bytes_still_gets_a_valid_span_id() -> None:
    odd = UUID(int=0xFFFF << 64)
    span = _span(_run(id=str(odd), trace_id=str(odd), dotted_order=""))
    assert span.span_id != 0
    assert span.attributes[ls.SPAN_ID] == str(odd)


# --- attributes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_type", "operation", "kind"),
    [
        pytest.param("llm", "chat", "LLM", id="llm"),
        pytest.param("embedding", "embeddings", "EMBEDDING", id="embedding"),
        pytest.param("retriever", "retrieval", "RETRIEVER", id="retriever"),
        pytest.param("tool", "execute_tool", "TOOL", id="tool"),
        pytest.param("prompt", "prompt", "PROMPT", id="prompt"),
        pytest.param("chain", "chain", "CHAIN", id="chain"),
        pytest.param("parser", "parser", "CHAIN", id="parser"),
    ],
)
def test_run_type_in_every_convention(run_type: str, operation: str, kind: str) -> None:
    attrs = _span(_run(run_type=run_type)).attributes
    assert attrs[ls.SPAN_KIND] == run_type
    assert attrs[g.OPERATION_NAME] == operation
    assert attrs[oi.SPAN_KIND] == kind


def test_llm_run_in_genai_and_openinference_terms() -> None:
    attrs = _span(_chat()).attributes
    assert attrs[g.PROVIDER_NAME] == attrs[g.SYSTEM] == "openai"
    assert attrs[g.REQUEST_MODEL] == "gpt-4o-mini"
    assert attrs[g.RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert attrs[g.RESPONSE_ID] == "chatcmpl-1"
    assert attrs[g.RESPONSE_FINISH_REASONS] == ["stop"]
    assert (attrs[g.REQUEST_TEMPERATURE], attrs[g.REQUEST_MAX_TOKENS]) == (0.2, 100)
    assert attrs[g.REQUEST_STOP_SEQUENCES] == ["\n"]
    assert json.loads(str(attrs[g.INPUT_MESSAGES])) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
    ]
    assert json.loads(str(attrs[g.OUTPUT_MESSAGES])) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "hello"}],
            "finish_reason": "stop",
        }
    ]
    assert attrs[oi.LLM_MODEL_NAME] == "gpt-4o-mini"
    assert json.loads(str(attrs[oi.INPUT_VALUE])) == json.loads(str(attrs[g.PROMPT]))
    assert attrs[oi.INPUT_MIME_TYPE] == oi.MIME_JSON
    assert json.loads(str(attrs[ls.USAGE_METADATA])) == USAGE
    assert attrs[ls.METADATA_PREFIX + "ls_provider"] == "openai"


def test_request_parameters_are_written_only_as_numbers_otlp_can_carry() -> None:
    params = {
        "temperature": float("nan"), "top_p": float("inf"), "max_tokens": 2**70,
        "seed": True, "top_k": "3", "frequency_penalty": 0.5, "presence_penalty": -(2**63),
    }  # fmt: skip
    chat = {k: v for k, v in _chat().items() if not k.endswith("_tokens")}  # (usage in outputs)
    chat["extra"] = {**chat["extra"], "invocation_params": params}
    for number in range(3):  # the general path, then the shape's mapping (born_mapper)
        run = {**chat, "id": str(UUID(int=CHAT.int + number))}
        attrs = _span(run).attributes
        written = {key: attrs[key] for key in attrs if key.startswith("gen_ai.request.")}
        assert written == {
            g.REQUEST_MODEL: "gpt-4o-mini",
            g.REQUEST_FREQUENCY_PENALTY: 0.5,
            g.REQUEST_PRESENCE_PENALTY: -(2**63),
        }


def test_usage_is_inclusive_with_cache_and_reasoning_counts() -> None:
    attrs = _span(_chat()).attributes
    assert attrs[g.USAGE_INPUT_TOKENS] == 50  # cache reads and writes are inside
    assert attrs[g.USAGE_OUTPUT_TOKENS] == 20  # reasoning is inside
    assert attrs[g.USAGE_CACHE_READ_INPUT_TOKENS] == 30
    assert attrs[g.USAGE_CACHE_CREATION_INPUT_TOKENS] == 5
    assert attrs[g.USAGE_REASONING_OUTPUT_TOKENS] == 8
    assert (attrs[oi.TOKEN_COUNT_PROMPT], attrs[oi.TOKEN_COUNT_CACHE_READ]) == (50, 30)


def test_token_usage_only_on_model_calls_so_nothing_counts_twice() -> None:
    root = _run(prompt_tokens=50, completion_tokens=20, total_tokens=70)
    root_span, chat_span = runs_to_records([root, _chat()])
    assert not any(key.startswith(g.USAGE_PREFIX) for key in root_span.attributes)
    assert ls.USAGE_METADATA not in root_span.attributes
    # Without the restore step, spans -> runs sums the model call into the chain once.
    runs = {run.name: run for run in spans_to_runs([root_span, chat_span])}
    assert runs["pipeline"].total_tokens == runs["ChatOpenAI"].total_tokens == 70


def test_tool_run_attributes() -> None:
    tool = _run(
        id=str(TOOL),
        name="search",
        run_type="tool",
        inputs={"query": "x"},
        outputs={"output": "y"},
        extra={"metadata": {"tool_call_id": "call_1"}},
    )
    attrs = _span(tool).attributes
    assert attrs[g.TOOL_NAME] == "search"
    assert attrs[g.TOOL_CALL_ID] == "call_1"
    assert json.loads(str(attrs[g.TOOL_CALL_ARGUMENTS])) == {"query": "x"}
    assert json.loads(str(attrs[g.TOOL_CALL_RESULT])) == {"output": "y"}


def test_thread_id_becomes_session_and_conversation_id() -> None:
    for key in ls.META_THREAD_KEYS:
        attrs = _span(_run(extra={"metadata": {key: "th-9"}})).attributes
        assert attrs[oi.SESSION_ID] == attrs[g.CONVERSATION_ID] == "th-9"


def test_tags_project_and_reference_example() -> None:
    attrs = _span(
        _run(tags=["a", "b"], reference_example_id=str(TOOL), session_id="p-1")
    ).attributes
    assert attrs[ls.SPAN_TAGS] == "a, b"
    assert attrs[oi.TAG_TAGS] == ["a", "b"]
    assert attrs[ls.SESSION_NAME] == "my-project"
    assert attrs[ls.SESSION_ID] == "p-1"
    assert attrs[ls.REFERENCE_EXAMPLE_ID] == str(TOOL)


def test_server_side_fields_travel_in_one_namespaced_attribute() -> None:
    run = _run(
        feedback_stats={"correct": {"n": 1, "avg": 1.0}},
        app_path="/o/1/r/2",
        share_token="s",
        in_dataset=True,
    )
    residue = json.loads(str(_span(run).attributes[ls.RUN_FIELDS]))
    assert residue["feedback_stats"] == {"correct": {"n": 1, "avg": 1.0}}
    assert (residue["app_path"], residue["share_token"], residue["in_dataset"]) == (
        "/o/1/r/2",
        "s",
        True,
    )


def test_a_plain_run_carries_an_almost_empty_residue() -> None:
    run = _run(parent_run_ids=[], extra={"metadata": {"a": 1}})
    assert json.loads(str(_span(run).attributes[ls.RUN_FIELDS])) == {}


# --- errors, first tokens ------------------------------------------------------------------------


def test_an_error_is_status_error_and_an_exception_event() -> None:
    error = "ValueError('cannot use 4')\n\nTraceback (most recent call last):\n  File \"x\", line 1"
    span = _span(_run(error=error, status="error"))
    assert (span.status_code, span.status_message) == ("ERROR", "ValueError('cannot use 4')")
    (event,) = [e for e in span.events if e.name == otel.EVENT_EXCEPTION]
    assert event.attributes[otel.EXCEPTION_TYPE] == "ValueError"
    assert event.attributes[otel.EXCEPTION_MESSAGE] == error
    assert str(event.attributes[otel.EXCEPTION_STACKTRACE]).startswith("Traceback")


def test_a_successful_run_is_status_ok_and_an_unfinished_one_unset() -> None:
    assert _span(_run()).status_code == "OK"
    assert _span(_run(end_time=None)).status_code == "UNSET"


def test_new_token_events_give_a_first_token_attribute_and_event() -> None:
    events = [
        {
            "name": "new_token",
            "time": "2024-06-01T12:00:00.450000+00:00",
            "kwargs": {"token": "he"},
        },
        {
            "name": "new_token",
            "time": "2024-06-01T12:00:00.500000+00:00",
            "kwargs": {"token": "llo"},
        },
    ]
    span = _span(_chat(events=events))
    assert span.attributes[g.RESPONSE_TIME_TO_FIRST_CHUNK] == pytest.approx(0.25)
    names = [(e.name, e.time_ns) for e in span.events]
    assert names[:2] == [("new_token", 1717243200450000000), ("new_token", 1717243200500000000)]
    assert (oi.EVENT_FIRST_TOKEN, 1717243200450000000) in names
    # A reader without the restore step (the span's otel_runs.run_fields removed, as any
    # other backend would ignore it) finds the first token again from the events.
    plain = [
        replace(r, attributes={k: v for k, v in r.attributes.items() if k != ls.RUN_FIELDS})
        for r in (_span(_run()), span)
    ]
    runs = {r.name: r for r in spans_to_runs(plain)}
    assert runs["ChatOpenAI"].first_token_time is not None
    assert runs["ChatOpenAI"].first_token_time.isoformat() == "2024-06-01T12:00:00.450000+00:00"


# --- what other readers see ---------------------------------------------------------------------


def test_without_the_restore_step_ids_tree_names_and_io_already_match() -> None:
    """LangSmith's OTel ingest and spans -> runs read the langsmith.* attributes alone."""
    originals = [Run.from_dict(_run()), Run.from_dict(_chat())]
    spans = runs_to_spans(originals)
    plain = {run.id: run for run in spans_to_runs(spans)}
    for run in originals:
        got = plain[run.id]
        assert (got.name, got.run_type, got.trace_id, got.parent_run_id, got.dotted_order) == (
            run.name, run.run_type, run.trace_id, run.parent_run_id, run.dotted_order,
        )  # fmt: skip
        assert got.unmapped.get("session_name") == "my-project"
    assert plain[ROOT].inputs == {"question": "hi"}
    chat = plain[CHAT]
    assert chat.inputs["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert (chat.prompt_tokens, chat.completion_tokens, chat.total_tokens) == (50, 20, 70)
    assert chat.metadata["ls_model_name"] == "gpt-4o-mini"


def test_langchain_messages_become_genai_parts() -> None:
    serialized = {
        "messages": [
            [
                {
                    "lc": 1,
                    "type": "constructor",
                    "id": ["langchain", "schema", "messages", "SystemMessage"],
                    "kwargs": {"content": "sys"},
                },
                {
                    "lc": 1,
                    "type": "constructor",
                    "id": ["langchain", "schema", "messages", "HumanMessage"],
                    "kwargs": {
                        "content": [
                            {"type": "text", "text": "look"},
                            {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                        ]
                    },
                },
                {
                    "lc": 1,
                    "type": "constructor",
                    "id": ["langchain", "schema", "messages", "AIMessage"],
                    "kwargs": {
                        "content": "",
                        "tool_calls": [{"name": "f", "args": {"a": 1}, "id": "c1"}],
                    },
                },
                {
                    "lc": 1,
                    "type": "constructor",
                    "id": ["langchain", "schema", "messages", "ToolMessage"],
                    "kwargs": {"content": "42", "tool_call_id": "c1"},
                },
            ]
        ]
    }
    assert input_messages(serialized) == [
        {"role": "system", "parts": [{"type": "text", "content": "sys"}]},
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "look"},
                {"type": "uri", "modality": "image", "uri": "https://x/y.png"},
            ],
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "name": "f", "id": "c1", "arguments": {"a": 1}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "response": "42", "id": "c1"}]},
    ]
    generations = {
        "generations": [
            [
                {
                    "text": "hi",
                    "generation_info": {"finish_reason": "stop"},
                    "message": {
                        "lc": 1,
                        "type": "constructor",
                        "id": ["langchain", "schema", "messages", "AIMessage"],
                        "kwargs": {"content": "hi"},
                    },
                }
            ]
        ]
    }
    assert output_messages(generations) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "hi"}], "finish_reason": "stop"}
    ]


def test_runs_to_spans_imports_no_network_library() -> None:
    code = (
        "import sys, otel_runs.runs_to_spans;"
        "print([m for m in ('httpx', 'requests', 'urllib3', 'grpc') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "residue",
    [
        pytest.param("not json", id="not-json"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param(
            '{"status": 5, "child_run_ids": "x", "_synthetic": 99, "extra": 3}', id="wrong-types"
        ),
        pytest.param('{"end_time": "yesterday"}', id="bad-field"),
        pytest.param("[" * 100_000, id="too-deep"),
    ],
)
def test_a_mangled_residue_never_breaks_the_way_back(residue: str) -> None:
    span = _span(_chat())
    mangled = replace(span, attributes={**span.attributes, ls.RUN_FIELDS: residue})
    (run,) = back_to_runs([mangled])
    assert (run.id, run.name, run.run_type) == (CHAT, "ChatOpenAI", "llm")
    assert run.inputs["model"] == "gpt-4o-mini"


_KEY = UUID(int=7)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"a": [1, 2.5, None, True], "b": {"c": "é"}}, id="text-keys"),
        pytest.param({1: "a", "b": {2.5: [1]}, "c": {True: None}}, id="number-keys"),
        pytest.param({_KEY: "uuid key", "when": _KEY}, id="uuid-key"),
        pytest.param({"big": 1 << 70}, id="past-64-bits"),
        pytest.param({"nan": float("nan"), "inf": float("inf")}, id="non-finite"),
    ],
)
def test_json_attribute_text_is_what_orjson_writes_whichever_path_takes_it(value: Any) -> None:
    """dumps tries orjson without OPT_NON_STR_KEYS first (it costs a third more): the text is
    still orjson's with the option, and the standard library's where orjson refuses."""
    import orjson

    from otel_runs.runs_to_spans.values import dumps

    try:
        expected = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        expected = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode(
            value
        )
    assert dumps(value) == expected
