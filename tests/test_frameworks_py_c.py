"""Python frameworks, set C (issue 14): LlamaIndex and CrewAI, each traced by its OpenInference
instrumentor. What real programs built on each export, converted as `otel-runs convert` does
(and, for LlamaIndex, as a real `otel-runs serve` stores it), checked field by field against
expected.json: what the program did and what the fake model server answered.

Re-record a fixture with `python tests/fixtures/frameworks/record.py NAME`; see
tests/support/frameworks.py for what expected.json can state. The LlamaIndex fixture adds two
lists this file checks itself: `streamed` (the streamed model calls), `embeddings` (the texts
the fake received, whose vectors it computed) and `retrievals` (the documents a retriever
returned, ranked by the fake's vectors of the texts it received).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest

from otel_runs import Run, spans_to_runs
from tests.support import frameworks as fw
from tests.support.fake_openai import embedding
from tests.support.records import record

FIXTURES = ["llamaindex", "crewai"]


@pytest.mark.parametrize("name", FIXTURES)
def test_recording_converts_to_the_runs_the_program_made(name: str) -> None:
    fw.check_recording(name)


@pytest.mark.parametrize("name", FIXTURES)
def test_every_trace_is_one_tree(name: str) -> None:
    fw.check_one_tree_per_trace(name)


# --- LlamaIndex: embeddings and retrieved documents -------------------------------------------


def _cosine(a: list[float], b: list[float]) -> float:
    """LlamaIndex's default similarity (the in-memory vector store ranks by it)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture(scope="module")
def llamaindex() -> tuple[fw.Fixture, list[Run]]:
    fixture = fw.load("llamaindex")
    return fixture, fw.convert_file(fixture.recording)


def test_llamaindex_streamed_calls_have_a_first_token_time(
    llamaindex: tuple[fw.Fixture, list[Run]],
) -> None:
    """The instrumentation ends a streamed call's span when LlamaIndex hands back the
    generator, so the first token may come after the run's end: only the start bounds it."""
    fixture, runs = llamaindex
    for want in fixture.expected["streamed"]:
        run = fw.select(runs, want["select"])
        assert (run.extra.get("invocation_params") or {}).get("stream") is True
        assert run.first_token_time is not None, run.name
        assert run.first_token_time >= run.start_time


def test_llamaindex_embedding_runs_hold_the_vectors_the_fake_sent(
    llamaindex: tuple[fw.Fixture, list[Run]],
) -> None:
    fixture, runs = llamaindex
    for want in fixture.expected["embeddings"]:
        run = fw.select(runs, want["select"])
        assert run.run_type == "embedding"
        assert run.outputs == {"embeddings": [embedding(text) for text in want["sent"]]}


def test_llamaindex_retriever_runs_return_documents_ranked_by_the_fake_s_vectors(
    llamaindex: tuple[fw.Fixture, list[Run]],
) -> None:
    fixture, runs = llamaindex
    for want in fixture.expected["retrievals"]:
        run = fw.select(runs, want["select"])
        assert run.run_type == "retriever"
        assert run.inputs == {"query": want["query"]}
        assert run.outputs is not None
        documents: list[dict[str, Any]] = run.outputs["documents"]
        assert list(run.outputs) == ["documents"]
        assert len(documents) == len(want["documents"])
        query = embedding(want["query"])
        scores = []
        for got, expected in zip(documents, want["documents"], strict=True):
            assert set(got) == {"page_content", "metadata", "type", "id", "score"}
            assert got["page_content"] == expected["page_content"]
            assert got["metadata"] == expected["metadata"]
            assert got["type"] == "Document"
            assert isinstance(got["id"], str) and got["id"]  # LlamaIndex's random node id
            score = _cosine(query, embedding(expected["sent"]))
            assert got["score"] == pytest.approx(score, rel=1e-9)
            scores.append(score)
        assert scores == sorted(scores, reverse=True), "best match first"


def test_llamaindex_through_a_real_serve_gives_the_same_runs(
    tmp_path: Path, llamaindex: tuple[fw.Fixture, list[Run]]
) -> None:
    fixture, converted = llamaindex
    fw.check_through_serve(fixture, converted, tmp_path)


# --- the same readings on single spans: what the recordings do not reach -------------------------


def _one(attributes: dict[str, Any], scope: str = "") -> Run:
    span = dataclasses.replace(record(1, attributes=attributes), scope_name=scope)
    [run] = spans_to_runs([span])
    return run


LLAMA_INDEX_SCOPE = "openinference.instrumentation.llama_index"
LITELLM_SCOPE = "openinference.instrumentation.litellm"


def test_embedded_texts_are_the_inputs_when_the_span_has_no_input_value() -> None:
    run = _one(
        {
            "openinference.span.kind": "EMBEDDING",
            "embedding.embeddings.0.embedding.text": "hello",
            "embedding.embeddings.0.embedding.vector": (0.5, 0.25),
            "embedding.embeddings.1.embedding.text": "world",
            "embedding.embeddings.1.embedding.vector": (0.125, 1.0),
        }
    )
    assert run.run_type == "embedding"
    assert run.inputs == {"input": ["hello", "world"]}
    assert run.outputs == {"embeddings": [[0.5, 0.25], [0.125, 1.0]]}


@pytest.mark.parametrize(
    ("recorded", "inputs", "scope"),
    [
        pytest.param(
            '{"kwargs": {"city": "Paris"}}', {"city": "Paris"}, LLAMA_INDEX_SCOPE, id="kw"
        ),
        pytest.param('{"args": ["Paris"]}', {"input": "Paris"}, LLAMA_INDEX_SCOPE, id="one-arg"),
        pytest.param(
            '{"args": ["Paris"], "kwargs": {"days": 2}}',
            {"args": ["Paris"], "kwargs": {"days": 2}},
            LLAMA_INDEX_SCOPE,
            id="both-kept",
        ),
        pytest.param(
            '{"kwargs": {"city": "Paris"}}', {"kwargs": {"city": "Paris"}}, "", id="other"
        ),
    ],
)
def test_a_llama_index_tool_call_record_becomes_the_arguments(
    recorded: str, inputs: dict[str, Any], scope: str
) -> None:
    run = _one(
        {"openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": recorded},
        scope,
    )
    assert (run.run_type, run.name, run.inputs) == ("tool", "get_weather", inputs)


@pytest.mark.parametrize(
    ("raw_output", "outputs"),
    [
        pytest.param('"Sunny"', {"output": "Sunny"}, id="text"),
        pytest.param('{"temp": 21}', {"temp": 21}, id="object"),
        pytest.param("null", {"output": None}, id="none"),
    ],
)
def test_a_llama_index_tool_output_becomes_what_the_tool_returned(
    raw_output: str, outputs: dict[str, Any]
) -> None:
    value = (
        '{"blocks": [], "tool_name": "get_weather", "raw_input": {}, '
        f'"raw_output": {raw_output}, "is_error": false}}'
    )
    attributes = {"openinference.span.kind": "TOOL", "tool.name": "t", "output.value": value}
    assert _one(attributes, LLAMA_INDEX_SCOPE).outputs == outputs
    assert _one(attributes).outputs == json.loads(value), "other scopes: as recorded"


@pytest.mark.parametrize(
    ("model", "provider", "scope", "shown"),
    [
        pytest.param("openai/gpt-4o-mini", "openai", LITELLM_SCOPE, "gpt-4o-mini", id="routed"),
        pytest.param("gemini/gemini-2.0-flash", "google", LITELLM_SCOPE, None, id="other-name"),
        pytest.param("gpt-4o-mini", "openai", LITELLM_SCOPE, None, id="no-prefix"),
        pytest.param("openai/gpt-4o-mini", "openai", "", None, id="other-scope"),
    ],
)
def test_a_litellm_model_string_loses_the_prefix_naming_its_provider(
    model: str, provider: str, scope: str, shown: str | None
) -> None:
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.model_name": model,
        "llm.provider": provider,
        "llm.token_count.prompt": 12,
        "llm.token_count.completion": 5,
    }
    run = _one(attributes, scope)
    assert run.metadata["ls_model_name"] == (shown or model)
    if shown == "gpt-4o-mini":
        assert run.total_cost is not None, "priced as the provider's model"
