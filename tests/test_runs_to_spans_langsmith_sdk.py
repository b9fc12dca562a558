"""Our spans speak the `langsmith` SDK's own OTel language: for the same runs, every attribute
the SDK's exporter writes is on our span too, with the same meaning.

The runs are made by the SDK (`RunTree`) and serialized as its background thread does; the SDK
spans come from its real `OTELExporter`. Values are compared by meaning: JSON text by its
decoded value, the SDK's Python-repr token details by their literal value.

Named differences (each asserted below, so a change in either exporter shows up):

- `gen_ai.system` on runs with no model: the SDK writes "langchain" (a guess: LangChain is not
  a model provider); we leave the attribute out, since spans -> runs would turn it into
  `ls_provider = "langchain"`.
- token usage on runs that are not model calls: the SDK writes `gen_ai.usage.*` whenever the
  outputs contain usage (here a chain returning a model's output, as LangChain chains do); we
  write usage only on model calls, or spans -> runs would count it twice.
- `gen_ai.operation.name` for retrievers ("retrieval", the GenAI value; the SDK writes
  "embeddings") and prompt runs ("prompt"; the SDK writes "chat", which would make GenAI tools
  count a template step as a model call).
- `gen_ai.usage.*_token_details`: JSON text (the SDK writes a Python repr, which only Python can
  read; LangSmith's JS exporter writes JSON).
- `exception.stacktrace`: the traceback part of the error (the SDK writes a trace of its own
  wrapper exception).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

import pytest
from langsmith._internal._operations import SerializedRunOperation
from opentelemetry.sdk.trace import ReadableSpan

from otel_runs.conventions import genai as g
from otel_runs.conventions import otel
from otel_runs.runs_to_spans import runs_to_spans
from tests.fixtures.runs.langsmith_sdk import sdk_operations, sdk_run_dicts, sdk_spans

OPERATION_NAMES = {"retriever": ("embeddings", "retrieval"), "prompt": ("chat", "prompt")}
"""run type -> (SDK's gen_ai.operation.name, ours)."""
TOKEN_DETAILS = (g.USAGE_INPUT_TOKEN_DETAILS, g.USAGE_OUTPUT_TOKEN_DETAILS)


@pytest.fixture(scope="module")
def operations() -> list[SerializedRunOperation]:
    return sdk_operations()


@pytest.fixture(scope="module")
def runs(operations: list[SerializedRunOperation]) -> list[dict[str, Any]]:
    return sdk_run_dicts(operations)


@pytest.fixture(scope="module")
def pairs(operations: list[SerializedRunOperation]) -> dict[str, tuple[ReadableSpan, ReadableSpan]]:
    theirs = {span.name: span for span in sdk_spans(operations)}
    ours = {span.name: span for span in runs_to_spans(sdk_run_dicts(operations))}
    assert set(theirs) == set(ours)
    return {name: (theirs[name], ours[name]) for name in theirs}


def _meaning(key: str, value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and key in TOKEN_DETAILS:
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return json.loads(value)
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _kind(span: ReadableSpan) -> str:
    return str((span.attributes or {})["langsmith.span.kind"])


def _named_difference(key: str, theirs: ReadableSpan, ours: ReadableSpan) -> bool:
    """Whether a missing or different attribute is one of the module's named differences."""
    attrs = theirs.attributes or {}
    if key == g.SYSTEM and attrs[key] == "langchain":
        return True
    if key.startswith(g.USAGE_PREFIX) and _kind(theirs) not in ("llm", "embedding"):
        return True
    return key == g.OPERATION_NAME and _kind(theirs) in OPERATION_NAMES


def test_every_sdk_attribute_is_on_our_span(
    pairs: dict[str, tuple[ReadableSpan, ReadableSpan]],
) -> None:
    missing = {
        name: sorted(
            key
            for key in (theirs.attributes or {})
            if key not in (ours.attributes or {}) and not _named_difference(key, theirs, ours)
        )
        for name, (theirs, ours) in pairs.items()
    }
    assert missing == {name: [] for name in pairs}


def test_every_shared_attribute_means_the_same(
    pairs: dict[str, tuple[ReadableSpan, ReadableSpan]],
) -> None:
    different = {}
    for name, (theirs, ours) in pairs.items():
        mine = ours.attributes or {}
        for key, value in (theirs.attributes or {}).items():
            if key not in mine or _named_difference(key, theirs, ours):
                continue
            if _meaning(key, value) != _meaning(key, mine[key]):
                different[f"{name}.{key}"] = (value, mine[key])
    assert different == {}


def test_the_named_differences_are_still_there(
    pairs: dict[str, tuple[ReadableSpan, ReadableSpan]],
) -> None:
    pipeline_theirs, pipeline_ours = pairs["pipeline"]
    assert (pipeline_theirs.attributes or {})[g.SYSTEM] == "langchain"
    assert g.SYSTEM not in (pipeline_ours.attributes or {})
    for run_type, name in (("retriever", "docs"), ("prompt", "template")):
        theirs, ours = pairs[name]
        assert (
            (theirs.attributes or {})[g.OPERATION_NAME],
            (ours.attributes or {})[g.OPERATION_NAME],
        ) == OPERATION_NAMES[run_type]
    agent_theirs, agent_ours = pairs["agent"]
    assert (agent_theirs.attributes or {})[g.USAGE_TOTAL_TOKENS] == 70
    assert not any(k.startswith(g.USAGE_PREFIX) for k in agent_ours.attributes or {})
    chat_theirs, chat_ours = pairs["ChatOpenAI"]
    assert (chat_theirs.attributes or {})[g.USAGE_INPUT_TOKEN_DETAILS] == "{'cache_read': 30}"
    assert (chat_ours.attributes or {})[g.USAGE_INPUT_TOKEN_DETAILS] == '{"cache_read":30}'


def test_errors_are_status_and_exception_event_in_both(
    pairs: dict[str, tuple[ReadableSpan, ReadableSpan]],
) -> None:
    theirs, ours = pairs["calculator"]
    assert theirs.status.status_code == ours.status.status_code
    (their_event,) = [e for e in theirs.events if e.name == otel.EVENT_EXCEPTION]
    (our_event,) = [e for e in ours.events if e.name == otel.EVENT_EXCEPTION]
    assert set(their_event.attributes or {}) <= set(our_event.attributes or {})
    for key in (otel.EXCEPTION_MESSAGE, otel.EXCEPTION_ESCAPED):
        assert (their_event.attributes or {})[key] == (our_event.attributes or {})[key]


def test_our_spans_keep_what_the_sdk_drops(
    pairs: dict[str, tuple[ReadableSpan, ReadableSpan]], runs: list[dict[str, Any]]
) -> None:
    """The SDK exports no ids, no events and random span ids; ours carry the run's identity."""
    theirs, ours = pairs["ChatOpenAI"]
    assert [e.name for e in theirs.events] == []
    assert "new_token" in [e.name for e in ours.events]
    run = next(r for r in runs if r["name"] == "ChatOpenAI")
    assert ours.context is not None
    assert ours.context.span_id == int(run["id"].replace("-", "")[16:], 16)
