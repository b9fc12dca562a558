"""otel-runs' attribute names against each convention's own published constants.

`conventions/` vendors the names (STYLE.md); this test says which published source each one
must equal, so a typo there fails here instead of agreeing with itself in a hand-built fixture.
Names a convention publishes nowhere (LangSmith's outside its SDK, deprecated GenAI event names)
are typed out in tests/fixtures/spec_keys.py from the specification text.
"""

from __future__ import annotations

import pytest
from langsmith._internal.otel import _otel_exporter as langsmith_sdk
from openinference.semconv.trace import DocumentAttributes, SpanAttributes
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as semconv
from opentelemetry.semconv_ai import SpanAttributes as Traceloop

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import mcp
from otel_runs.conventions import openinference as oi
from otel_runs.conventions import openllmetry as ol
from otel_runs.conventions import pydantic_ai as pa
from tests.fixtures import spec_keys


def _genai_pairs() -> list[tuple[str, str, str]]:
    """Every GenAI constant whose name, prefixed with GEN_AI_, the semconv package also has."""
    pairs = []
    for name, value in vars(g).items():
        published = getattr(semconv, f"GEN_AI_{name}", None)
        if name.isupper() and isinstance(value, str) and isinstance(published, str):
            pairs.append((f"genai.{name}", value, published))
    return pairs


GENAI = _genai_pairs()
OTHERS = [
    ("openinference.SPAN_KIND", oi.SPAN_KIND, SpanAttributes.OPENINFERENCE_SPAN_KIND),
    ("openinference.INPUT_VALUE", oi.INPUT_VALUE, SpanAttributes.INPUT_VALUE),
    ("openinference.INPUT_MIME_TYPE", oi.INPUT_MIME_TYPE, SpanAttributes.INPUT_MIME_TYPE),
    ("openinference.OUTPUT_VALUE", oi.OUTPUT_VALUE, SpanAttributes.OUTPUT_VALUE),
    ("openinference.OUTPUT_MIME_TYPE", oi.OUTPUT_MIME_TYPE, SpanAttributes.OUTPUT_MIME_TYPE),
    ("openinference.LLM_INPUT_MESSAGES_PREFIX", oi.LLM_INPUT_MESSAGES_PREFIX,
     SpanAttributes.LLM_INPUT_MESSAGES + "."),
    ("openinference.LLM_OUTPUT_MESSAGES_PREFIX", oi.LLM_OUTPUT_MESSAGES_PREFIX,
     SpanAttributes.LLM_OUTPUT_MESSAGES + "."),
    ("openinference.LLM_MODEL_NAME", oi.LLM_MODEL_NAME, SpanAttributes.LLM_MODEL_NAME),
    ("openinference.LLM_PROVIDER", oi.LLM_PROVIDER, SpanAttributes.LLM_PROVIDER),
    ("openinference.LLM_SYSTEM", oi.LLM_SYSTEM, SpanAttributes.LLM_SYSTEM),
    ("openinference.LLM_INVOCATION_PARAMETERS", oi.LLM_INVOCATION_PARAMETERS,
     SpanAttributes.LLM_INVOCATION_PARAMETERS),
    ("openinference.LLM_TOOLS_PREFIX", oi.LLM_TOOLS_PREFIX, SpanAttributes.LLM_TOOLS + "."),
    ("openinference.LLM_PROMPT_TEMPLATE", oi.LLM_PROMPT_TEMPLATE,
     SpanAttributes.LLM_PROMPT_TEMPLATE),
    ("openinference.LLM_PROMPT_TEMPLATE_VARIABLES", oi.LLM_PROMPT_TEMPLATE_VARIABLES,
     SpanAttributes.LLM_PROMPT_TEMPLATE_VARIABLES),
    ("openinference.LLM_PROMPTS", oi.LLM_PROMPTS, SpanAttributes.LLM_PROMPTS),
    ("openinference.LLM_FUNCTION_CALL", oi.LLM_FUNCTION_CALL, SpanAttributes.LLM_FUNCTION_CALL),
    ("openinference.TOKEN_COUNT_PROMPT", oi.TOKEN_COUNT_PROMPT,
     SpanAttributes.LLM_TOKEN_COUNT_PROMPT),
    ("openinference.TOKEN_COUNT_COMPLETION", oi.TOKEN_COUNT_COMPLETION,
     SpanAttributes.LLM_TOKEN_COUNT_COMPLETION),
    ("openinference.TOKEN_COUNT_TOTAL", oi.TOKEN_COUNT_TOTAL, SpanAttributes.LLM_TOKEN_COUNT_TOTAL),
    ("openinference.TOKEN_COUNT_CACHE_READ", oi.TOKEN_COUNT_CACHE_READ,
     SpanAttributes.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ),
    ("openinference.TOKEN_COUNT_CACHE_WRITE", oi.TOKEN_COUNT_CACHE_WRITE,
     SpanAttributes.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_WRITE),
    ("openinference.TOKEN_COUNT_REASONING", oi.TOKEN_COUNT_REASONING,
     SpanAttributes.LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING),
    ("openinference.COST_PROMPT", oi.COST_PROMPT, SpanAttributes.LLM_COST_PROMPT),
    ("openinference.COST_COMPLETION", oi.COST_COMPLETION, SpanAttributes.LLM_COST_COMPLETION),
    ("openinference.COST_TOTAL", oi.COST_TOTAL, SpanAttributes.LLM_COST_TOTAL),
    ("openinference.SESSION_ID", oi.SESSION_ID, SpanAttributes.SESSION_ID),
    ("openinference.USER_ID", oi.USER_ID, SpanAttributes.USER_ID),
    ("openinference.METADATA", oi.METADATA, SpanAttributes.METADATA),
    ("openinference.TAG_TAGS", oi.TAG_TAGS, SpanAttributes.TAG_TAGS),
    ("openinference.TOOL_NAME", oi.TOOL_NAME, SpanAttributes.TOOL_NAME),
    ("openinference.TOOL_DESCRIPTION", oi.TOOL_DESCRIPTION, SpanAttributes.TOOL_DESCRIPTION),
    ("openinference.TOOL_PARAMETERS", oi.TOOL_PARAMETERS, SpanAttributes.TOOL_PARAMETERS),
    ("openinference.RETRIEVAL_DOCUMENTS_PREFIX", oi.RETRIEVAL_DOCUMENTS_PREFIX,
     SpanAttributes.RETRIEVAL_DOCUMENTS + "."),
    ("openinference.EMBEDDING_MODEL_NAME", oi.EMBEDDING_MODEL_NAME,
     SpanAttributes.EMBEDDING_MODEL_NAME),
    ("openinference.EMBEDDING_EMBEDDINGS_PREFIX", oi.EMBEDDING_EMBEDDINGS_PREFIX,
     SpanAttributes.EMBEDDING_EMBEDDINGS + "."),
    ("document content (under retrieval.documents.N.)", "document.content",
     DocumentAttributes.DOCUMENT_CONTENT),
    ("openllmetry.SPAN_KIND", ol.SPAN_KIND, Traceloop.TRACELOOP_SPAN_KIND),
    ("openllmetry.ENTITY_NAME", ol.ENTITY_NAME, Traceloop.TRACELOOP_ENTITY_NAME),
    ("openllmetry.ENTITY_INPUT", ol.ENTITY_INPUT, Traceloop.TRACELOOP_ENTITY_INPUT),
    ("openllmetry.ENTITY_OUTPUT", ol.ENTITY_OUTPUT, Traceloop.TRACELOOP_ENTITY_OUTPUT),
    ("openllmetry.WORKFLOW_NAME", ol.WORKFLOW_NAME, Traceloop.TRACELOOP_WORKFLOW_NAME),
    ("openllmetry.ASSOCIATION_PROPERTIES_PREFIX", ol.ASSOCIATION_PROPERTIES_PREFIX,
     Traceloop.TRACELOOP_ASSOCIATION_PROPERTIES + "."),
    ("openllmetry.REQUEST_TYPE", ol.REQUEST_TYPE, Traceloop.LLM_REQUEST_TYPE),
    ("openllmetry.USAGE_TOTAL_TOKENS", ol.USAGE_TOTAL_TOKENS, Traceloop.LLM_USAGE_TOTAL_TOKENS),
    ("openllmetry.IS_STREAMING", ol.IS_STREAMING, Traceloop.GEN_AI_IS_STREAMING),
    ("openllmetry.IS_STREAMING_OLD", ol.IS_STREAMING_OLD, Traceloop.LLM_IS_STREAMING),
    ("openllmetry.USAGE_REASONING_TOKENS", ol.USAGE_REASONING_TOKENS,
     Traceloop.GEN_AI_USAGE_REASONING_TOKENS),
    ("openllmetry.USAGE_CACHE_READ_INPUT_TOKENS_OLD", ol.USAGE_CACHE_READ_INPUT_TOKENS_OLD,
     Traceloop.LLM_USAGE_CACHE_READ_INPUT_TOKENS),
    ("openllmetry.USAGE_CACHE_CREATION_INPUT_TOKENS_OLD",
     ol.USAGE_CACHE_CREATION_INPUT_TOKENS_OLD, Traceloop.LLM_USAGE_CACHE_CREATION_INPUT_TOKENS),
    ("openllmetry.API_BASE", ol.API_BASE, Traceloop.GEN_AI_OPENAI_API_BASE),
    ("openllmetry.EVENT_COMPLETION_CHUNK", ol.EVENT_COMPLETION_CHUNK,
     Traceloop.GEN_AI_CONTENT_COMPLETION_CHUNK),
    ("openllmetry.EVENT_COMPLETION_CHUNK_OLD", ol.EVENT_COMPLETION_CHUNK_OLD,
     Traceloop.LLM_CONTENT_COMPLETION_CHUNK),
    ("openllmetry.PROMPT_TEMPLATE", ol.PROMPT_TEMPLATE, Traceloop.TRACELOOP_PROMPT_TEMPLATE),
    ("openllmetry.PROMPT_TEMPLATE_VARIABLES", ol.PROMPT_TEMPLATE_VARIABLES,
     Traceloop.TRACELOOP_PROMPT_TEMPLATE_VARIABLES),
    ("openllmetry.TASK_INPUT", ol.TASK_INPUT, Traceloop.GEN_AI_TASK_INPUT),
    ("openllmetry.TASK_OUTPUT", ol.TASK_OUTPUT, Traceloop.GEN_AI_TASK_OUTPUT),
    ("openllmetry.MCP_REQUEST_ARGUMENT", ol.MCP_REQUEST_ARGUMENT, Traceloop.MCP_REQUEST_ARGUMENT),
    ("openllmetry.MCP_RESPONSE_VALUE", ol.MCP_RESPONSE_VALUE, Traceloop.MCP_RESPONSE_VALUE),
    ("langsmith.SPAN_KIND", ls.SPAN_KIND, langsmith_sdk.LANGSMITH_RUN_TYPE),
    ("langsmith.TRACE_NAME", ls.TRACE_NAME, langsmith_sdk.LANGSMITH_NAME),
    ("langsmith.SESSION_ID", ls.SESSION_ID, langsmith_sdk.LANGSMITH_SESSION_ID),
    ("langsmith.SESSION_NAME", ls.SESSION_NAME, langsmith_sdk.LANGSMITH_SESSION_NAME),
    ("langsmith.SPAN_TAGS", ls.SPAN_TAGS, langsmith_sdk.LANGSMITH_TAGS),
    ("langsmith.METADATA_PREFIX", ls.METADATA_PREFIX, langsmith_sdk.LANGSMITH_METADATA + "."),
    ("langsmith.REQUEST_STREAMING", ls.REQUEST_STREAMING,
     langsmith_sdk.LANGSMITH_REQUEST_STREAMING),
    ("langsmith.REQUEST_HEADERS", ls.REQUEST_HEADERS, langsmith_sdk.LANGSMITH_REQUEST_HEADERS),
]  # fmt: skip


def test_the_genai_comparison_is_not_empty() -> None:
    assert len(GENAI) >= 35  # the name rule finds the registry's keys (not a vacuous pass)


@pytest.mark.parametrize(("ours", "value", "published"), GENAI + OTHERS, ids=lambda x: x)
def test_our_name_equals_the_published_one(ours: str, value: str, published: str) -> None:
    assert value == published


@pytest.mark.parametrize(
    ("cls", "module"),
    [(spec_keys.GenAI, g), (spec_keys.LangSmith, ls), (spec_keys.OpenInference, oi)],
)
def test_the_fixture_keys_typed_from_the_spec_match_ours(cls: type, module: object) -> None:
    """The names capture.py uses, from the spec side, equal ours (the golden files and the
    converter read the same keys). OpenLLMetry is left out: the fixture writes the names of
    the releases before 0.5.0, some of which otel-runs keeps under another constant."""
    for name, value in vars(cls).items():
        if name.isupper():
            assert getattr(module, name) == value, name


def test_the_issue_15_names_typed_from_the_spec_match_ours() -> None:
    """The 1.38+ names the issue 15 tests type from the spec (spec_keys.GenAINext, Mcp) equal the
    constants the converter reads."""
    spec = spec_keys.GenAINext
    ours = {name: getattr(g, name) for name in vars(spec) if name.isupper() and hasattr(g, name)}
    assert len(ours) >= 20
    for name, value in ours.items():
        assert value == getattr(spec, name), name
    assert g.OP_SEARCH_MEMORY == spec.OP_SEARCH_MEMORY
    assert {spec.OP_CREATE_MEMORY, spec.OP_UPSERT_MEMORY} <= g.OPS_MEMORY_WRITE
    assert pa.USAGE_DETAILS_REASONING == spec_keys.LangSmithOtel.USAGE_DETAILS_REASONING_TOKENS
    for name in ("METHOD_NAME", "SESSION_ID", "RESOURCE_URI", "PROTOCOL_VERSION", "TOOLS_CALL"):
        assert getattr(mcp, name) == getattr(spec_keys.Mcp, name), name
