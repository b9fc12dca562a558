"""Which convention wins for each run field: one table per field, first non-empty value wins.

Rule of thumb: LangSmith's own attributes, then the structured GenAI semantic conventions, then
OpenInference, then OpenLLMetry's flattened forms, then framework specifics, then heuristics.
`docs/mapping.md` embeds `render_markdown()`'s output and a test keeps the two identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from otel_runs.conventions import claude_code as cc
from otel_runs.conventions import genai as g
from otel_runs.conventions import google_adk as adk
from otel_runs.conventions import langfuse as lf
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import litellm as lt
from otel_runs.conventions import llama_index as li
from otel_runs.conventions import logfire as lgf
from otel_runs.conventions import mastra as ma
from otel_runs.conventions import mcp as mc
from otel_runs.conventions import mlflow as ml
from otel_runs.conventions import openinference as oi
from otel_runs.conventions import openlit as olt
from otel_runs.conventions import openllmetry as ol
from otel_runs.conventions import others as o
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.conventions import strands as st
from otel_runs.conventions import vercel_ai as ai
from otel_runs.dialects import (
    claude_code,
    genai,
    generic,
    google_adk,
    heuristics,
    langfuse,
    langsmith,
    litellm,
    llama_index,
    logfire,
    mastra,
    mcp,
    mlflow,
    openinference,
    openlit,
    openllmetry,
    pydantic_ai,
    strands,
    timing,
    vercel_ai,
)
from otel_runs.dialects.view import Shape, SpanView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Source(Generic[T]):
    """One way to get a field: the convention, the keys it reads, the getter."""

    dialect: str
    reads: tuple[str, ...]
    get: Callable[[SpanView], T | None]
    when: str = ""
    gating: str = "auto"
    """How to tell cheaply that the source cannot apply: "keys" (none of `reads` is an
    attribute), "family" (no key starts like one of `reads`: for prefixes),
    "events" (no event has one of the names in `reads`), "always" (never skipped); "auto" picks
    keys or family."""
    gate: frozenset[str] = frozenset()
    gate_key: Callable[[str], bool] | None = None
    """For sources that pick keys by a rule rather than by name (heuristics, generic
    fallbacks): the rule, per key. Such a source applies to a span shape only when one of its
    keys passes it (decided once per shape, by a plan)."""
    prefixes: tuple[str, ...] = ()
    """For "family" gating: the literal start of each of `reads` (up to `*` or `{`)."""

    def __post_init__(self) -> None:
        gating = self.gating
        if gating == "auto":
            gating = "family" if any("*" in r or "{" in r for r in self.reads) else "keys"
        object.__setattr__(self, "gating", gating)
        if gating == "family":
            gate = frozenset(r.partition(".")[0] for r in self.reads)
            starts = tuple(r.split("*")[0].split("{")[0] for r in self.reads)
            object.__setattr__(self, "prefixes", starts)
        else:
            gate = frozenset(self.reads)
        object.__setattr__(self, "gate", gate)

    def applies_to(self, shape: Shape, keys: AbstractSet[str]) -> bool:
        """Whether spans of this shape (with these attribute keys) may have anything it reads."""
        if self.gate_key is not None:
            return any(map(self.gate_key, keys))
        if self.gating == "keys":
            return not self.gate.isdisjoint(keys)
        if self.gating == "family":
            return not self.gate.isdisjoint(shape.families) and any(
                key.startswith(self.prefixes) for key in keys
            )
        if self.gating == "events":
            return not self.gate.isdisjoint(shape.event_names)
        return True


RUN_TYPE: Final[tuple[Source[str], ...]] = (
    Source("langsmith", (ls.SPAN_KIND,), langsmith.run_type),
    Source("openinference", (oi.SPAN_KIND,), openinference.run_type),
    # i14pyb: Python frameworks, set B (issue 14)
    Source("mlflow", (ml.SPAN_TYPE,), mlflow.run_type),
    Source(
        "claude-code",
        (cc.SPAN_TYPE,),
        claude_code.run_type,
        f"`{cc.SCOPE_PREFIX}*` scope; before genai: its tool steps carry the tool's keys too",
    ),
    Source(
        "google-adk",
        (),
        google_adk.run_type,
        f"no key: span name `{adk.CALL_LLM_SPAN}` in scope `{adk.SCOPE}` (ADK 1) -> llm",
        "always",
    ),
    Source("genai", (g.OPERATION_NAME,), genai.run_type),
    Source("mcp", (mc.METHOD_NAME,), mcp.run_type, f"`{mc.TOOLS_CALL}` -> tool"),
    Source("openllmetry", (ol.SPAN_KIND, ol.REQUEST_TYPE), openllmetry.run_type),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source(
        "vercel-ai",
        (ai.OPERATION_ID,),
        vercel_ai.run_type,
        "doGenerate/doStream -> llm, doEmbed -> embedding, toolCall -> tool",
    ),
    # --- end JavaScript frameworks ---
    # i14pya: Python frameworks, set A (issue 14)
    Source("langfuse", (lf.OBSERVATION_TYPE,), langfuse.run_type, "agent, span, event -> chain"),
    Source(
        "heuristic",
        (g.TOOL_NAME, g.TOOL_CALL_ID, oi.TOOL_NAME, oi.LLM_PROMPT_TEMPLATE_VARIABLES),
        heuristics.run_type,
        "tool keys -> tool; template variables -> prompt; model with usage or messages -> llm",
        "always",
        gate_key=heuristics.may_apply,
    ),
    # i14pya: generic fallback (issue 14)
    Source(
        "generic",
        ("*.model", "*.input_tokens", "*.usage"),
        lambda v: generic.run_type(v, _TABLE_TOKEN_KEYS),
        "a `model`-named key with token counts or a usage object under generic names -> llm",
        "always",
        gate_key=generic.named(generic.MODEL_NAMES),
    ),
)
"""run_type; when nothing matches the run is a chain."""

NAME: Final[tuple[Source[str], ...]] = (
    Source("langsmith", (ls.TRACE_NAME,), langsmith.name),
    Source("genai", (g.TOOL_NAME,), genai.tool_name, "tool runs"),
    Source(
        "mcp",
        (mc.METHOD_NAME,),
        mcp.tool_name,
        "tool runs: the target after the method in the span name (a client span has no tool key)",
    ),
    Source("openinference", (oi.TOOL_NAME,), openinference.tool_name, "tool runs"),
    Source("openllmetry", (ol.ENTITY_NAME,), openllmetry.name),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("vercel-ai", (ai.TOOL_CALL_NAME,), vercel_ai.tool_name, "tool runs"),
    Source(
        "vercel-ai", (ai.TELEMETRY_FUNCTION_ID,), vercel_ai.function_name, "the call the app made"
    ),
    # --- end JavaScript frameworks ---
    # i14pyb: Python frameworks, set B (issue 14)
    Source(
        "logfire",
        (pa.LOGFIRE_MSG,),
        logfire.rendered_name,
        "when the span name is the unrendered message template",
    ),
)
"""name; the span name otherwise."""

INPUTS: Final[tuple[Source[dict[str, Any]], ...]] = (
    Source(
        "genai", (g.INPUT_MESSAGES, g.SYSTEM_INSTRUCTIONS, g.TOOL_DEFINITIONS), genai.input_messages
    ),
    # i14pya: Python frameworks, set A (issue 14)
    Source("openlit", (g.TOOL_CALL_ARGUMENTS,), openlit.tool_arguments, "OpenLIT: a Python repr"),
    Source("genai", (g.TOOL_CALL_ARGUMENTS,), genai.tool_arguments),
    Source(
        "genai",
        (g.RETRIEVAL_QUERY_TEXT, g.MEMORY_QUERY_TEXT),
        genai.query,
        'retrieval, search_memory: `{"query": text}`',
    ),
    Source(
        "genai",
        (g.MEMORY_RECORDS,),
        genai.memory_written,
        'create/update/upsert_memory: `{"records": [...]}`',
    ),
    Source("genai", (g.EVENT_INFERENCE_DETAILS,), genai.details_event_inputs, "events", "events"),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "strands",
        (
            g.EVENT_SYSTEM_MESSAGE,
            g.EVENT_USER_MESSAGE,
            g.EVENT_ASSISTANT_MESSAGE,
            g.EVENT_TOOL_MESSAGE,
        ),
        strands.message_events_inputs,
        f"`{st.SCOPE}` scope: Converse content blocks; a tool's arguments",
        "events",
    ),
    Source(
        "genai",
        (
            g.EVENT_SYSTEM_MESSAGE,
            g.EVENT_USER_MESSAGE,
            g.EVENT_ASSISTANT_MESSAGE,
            g.EVENT_TOOL_MESSAGE,
            g.EVENT_CONTENT_PROMPT,
        ),
        genai.message_events_inputs,
        "deprecated events",
        "events",
    ),
    Source(
        "openinference",
        (oi.LLM_INPUT_MESSAGES_PREFIX + "*", oi.LLM_TOOLS_PREFIX + "*"),
        openinference.input_messages,
    ),
    # i14c: LlamaIndex (issue 14)
    Source(
        "llama-index",
        (oi.INPUT_VALUE,),
        llama_index.tool_arguments,
        f'`{li.SCOPE}` tool runs: `{{"kwargs": {{...}}}}` -> the arguments',
    ),
    Source(
        "openinference", (oi.INPUT_VALUE,), openinference.input_value, "retriever text -> query"
    ),
    Source(
        "openinference",
        (oi.EMBEDDING_EMBEDDINGS_PREFIX + "*",),
        openinference.embedding_texts,
        'embedded texts as `{"input": [...]}`',
    ),
    Source("openllmetry", (g.PROMPT_PREFIX + "{i}.*",), openllmetry.input_messages),
    Source("openllmetry", (ol.ENTITY_INPUT,), openllmetry.entity_input),
    Source("pydantic-ai", (pa.ALL_MESSAGES,), pydantic_ai.agent_inputs),
    Source("pydantic-ai", (pa.TOOL_ARGUMENTS,), pydantic_ai.tool_arguments),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("vercel-ai", (ai.PROMPT_MESSAGES, ai.PROMPT_TOOLS), vercel_ai.prompt_messages),
    Source("vercel-ai", (ai.TOOL_CALL_ARGS, ai.TOOL_CALL_INPUT), vercel_ai.tool_args),
    Source("vercel-ai", (ai.PROMPT,), vercel_ai.prompt),
    Source("vercel-ai", (ai.VALUE, ai.VALUES), vercel_ai.embed_values),
    Source("mastra", (ma.PREFIX + "{span_type}" + ma.INPUT_SUFFIX,), mastra.inputs),
    # --- end JavaScript frameworks ---
    # i14pyb: Python frameworks, set B (issue 14)
    Source(
        "mlflow",
        (ml.SPAN_INPUTS, ml.MESSAGE_FORMAT, ml.CHAT_TOOLS),
        mlflow.inputs,
        "a model call's Anthropic/OpenAI request as messages; else as is",
    ),
    Source("claude-code", (cc.USER_PROMPT,), claude_code.prompt, "an interaction's prompt"),
    Source(
        "google-adk",
        (adk.LLM_REQUEST,),
        google_adk.llm_request,
        "ADK 1's `call_llm`: the Gemini request as messages",
    ),
    Source("google-adk", (adk.TOOL_CALL_ARGS,), google_adk.tool_arguments, "ADK 1's tool spans"),
    Source(
        "logfire",
        (pa.LOGFIRE_JSON_SCHEMA,),
        logfire.arguments,
        "a plain span's own attributes, as its schema lists them",
    ),
    # i14pya: Python frameworks, set A (issue 14)
    Source("openlit", (olt.WORKFLOW_INPUT,), openlit.workflow_input),
    Source(
        "langfuse",
        (lf.OBSERVATION_INPUT,),
        langfuse.inputs,
        "generations: OpenAI messages; `@observe`'s args/kwargs unwrapped",
    ),
    Source("genai", (g.PROMPT,), genai.prompt_text, "deprecated; LangSmith's exporter"),
    Source(
        "genai",
        (g.TOOL_DEFINITIONS, g.SYSTEM_INSTRUCTIONS),
        genai.tools_only,
        "llm runs whose messages were not recorded: the tools and system instructions",
    ),
    # i14pya: generic fallback (issue 14)
    Source(
        "generic",
        tuple(f"*.{name}" for name in sorted(generic.INPUT_NAMES)),
        generic.inputs,
        "any unread key so named, outside the conventions' families; JSON decoded",
        "always",
        gate_key=generic.named(generic.INPUT_NAMES),
    ),
)
"""inputs; `{}` otherwise. Text is wrapped as `{"input": text}`."""

OUTPUTS: Final[tuple[Source[dict[str, Any]], ...]] = (
    # i14pyb: Python frameworks, set B (issue 14)
    Source(
        "google-adk",
        (adk.EVENT_ID,),
        google_adk.streamed_output,
        "`gen_ai.output.messages` of a streamed call: one message per chunk, joined",
    ),
    Source("genai", (g.OUTPUT_MESSAGES,), genai.output_messages),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "strands", (g.TOOL_CALL_RESULT,), strands.tool_result, f"`{st.SCOPE}`: Converse text blocks"
    ),
    Source("openlit", (g.TOOL_CALL_RESULT,), openlit.tool_result, "OpenLIT scopes: a ToolMessage"),
    Source("genai", (g.TOOL_CALL_RESULT,), genai.tool_result),
    Source(
        "genai",
        (g.RETRIEVAL_DOCUMENTS, g.MEMORY_RECORDS),
        genai.documents,
        'retrieval, search_memory: `{"documents": [{"page_content", "metadata"}]}`',
    ),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "strands",
        (g.EVENT_INFERENCE_DETAILS,),
        strands.tool_details_result,
        "a tool's `tool_call_response` event part",
        "events",
    ),
    Source("genai", (g.EVENT_INFERENCE_DETAILS,), genai.details_event_outputs, "events", "events"),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "strands",
        (g.EVENT_CHOICE,),
        strands.choice_outputs,
        f"`{st.SCOPE}`: Converse blocks or text; a cycle's tool results",
        "events",
    ),
    Source(
        "genai",
        (g.EVENT_CHOICE, g.EVENT_CONTENT_COMPLETION),
        genai.choice_events_outputs,
        "deprecated events",
        "events",
    ),
    Source(
        "openinference",
        (oi.LLM_OUTPUT_MESSAGES_PREFIX + "*", oi.LLM_FINISH_REASON),
        openinference.output_messages,
    ),
    Source("openinference", (oi.RETRIEVAL_DOCUMENTS_PREFIX + "*",), openinference.documents),
    # i14c: LlamaIndex (issue 14)
    Source(
        "llama-index",
        (oi.OUTPUT_VALUE,),
        llama_index.tool_output,
        f"`{li.SCOPE}` tool runs: a `ToolOutput`'s `{li.TOOL_RAW_OUTPUT}`",
    ),
    Source("openinference", (oi.OUTPUT_VALUE,), openinference.output_value),
    Source(
        "openinference",
        (oi.EMBEDDING_EMBEDDINGS_PREFIX + "*",),
        openinference.embeddings,
        'vectors as `{"embeddings": [...]}`',
    ),
    Source("openllmetry", (g.COMPLETION_PREFIX + "{i}.*",), openllmetry.output_messages),
    Source("openllmetry", (ol.ENTITY_OUTPUT,), openllmetry.entity_output),
    Source("pydantic-ai", (pa.FINAL_RESULT, pa.ALL_MESSAGES), pydantic_ai.agent_outputs),
    Source("pydantic-ai", (pa.TOOL_RESPONSE,), pydantic_ai.tool_response),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source(
        "vercel-ai",
        (
            ai.RESPONSE_TEXT,
            ai.RESPONSE_TOOL_CALLS,
            ai.RESPONSE_OBJECT,
            ai.RESULT_TEXT,
            ai.RESULT_TOOL_CALLS,
            ai.RESULT_OBJECT,
        ),
        vercel_ai.response,
        "llm runs: an OpenAI choice",
    ),
    Source("vercel-ai", (ai.TOOL_CALL_RESULT, ai.TOOL_CALL_OUTPUT), vercel_ai.tool_result),
    Source("vercel-ai", (ai.EMBEDDING, ai.EMBEDDINGS), vercel_ai.embeddings),
    Source("mastra", (ma.PREFIX + "{span_type}" + ma.OUTPUT_SUFFIX,), mastra.outputs),
    # --- end JavaScript frameworks ---
    # i14pyb: Python frameworks, set B (issue 14)
    Source(
        "mlflow",
        (ml.SPAN_OUTPUTS,),
        mlflow.outputs,
        "a model call's Anthropic/OpenAI response as choices; else as is",
    ),
    Source(
        "claude-code",
        (cc.EVENT_TOOL_OUTPUT,),
        claude_code.tool_output,
        "a tool's `tool.output` event",
        "events",
    ),
    Source(
        "google-adk",
        (adk.LLM_RESPONSE,),
        google_adk.llm_response,
        "ADK 1's `call_llm`: the Gemini response as choices",
    ),
    Source("google-adk", (adk.TOOL_RESPONSE,), google_adk.tool_response, "ADK 1's tool spans"),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "openlit",
        (olt.WORKFLOW_OUTPUT,),
        openlit.workflow_output,
        "LangChain message reprs -> role and content",
    ),
    Source(
        "langfuse",
        (lf.OBSERVATION_OUTPUT,),
        langfuse.outputs,
        "generations: OpenAI choices; retrievers: documents",
    ),
    Source("genai", (g.COMPLETION,), genai.completion_text, "deprecated; LangSmith's exporter"),
    # i14pya: generic fallback (issue 14)
    Source(
        "generic",
        tuple(f"*.{name}" for name in sorted(generic.OUTPUT_NAMES)),
        generic.outputs,
        "any unread key so named, outside the conventions' families; JSON decoded",
        "always",
        gate_key=generic.named(generic.OUTPUT_NAMES),
    ),
)
"""outputs; None otherwise. Text is wrapped as `{"output": text}`."""

MODEL: Final[tuple[Source[str], ...]] = (
    Source(
        "genai",
        (g.RESPONSE_MODEL, g.REQUEST_MODEL),
        genai.model,
        "response model first: it is what was billed",
    ),
    # i14c: LiteLLM via OpenInference (issue 14)
    Source(
        "litellm",
        (oi.LLM_MODEL_NAME, oi.LLM_PROVIDER),
        litellm.model,
        f"`{lt.SCOPE}` scope: `openai/gpt-4o-mini` -> `gpt-4o-mini` when `openai` is the provider",
    ),
    Source("openinference", (oi.LLM_MODEL_NAME, oi.EMBEDDING_MODEL_NAME), openinference.model),
    Source(
        "openinference", (oi.LLM_INVOCATION_PARAMETERS,), openinference.requested_model, "`model`"
    ),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("vercel-ai", (ai.RESPONSE_MODEL, ai.MODEL_ID), vercel_ai.model),
    # --- end JavaScript frameworks ---
    # i14pyb: Python frameworks, set B (issue 14)
    Source("mlflow", (ml.LLM_MODEL,), mlflow.model),
    # i14pya: Python frameworks, set A (issue 14)
    Source("langfuse", (lf.OBSERVATION_MODEL,), langfuse.model),
    # i14pya: generic fallback (issue 14)
    Source(
        "generic",
        tuple(f"*.{name}" for name in sorted(generic.MODEL_NAMES)),
        lambda v: generic.model(v) if v.run_type in ("llm", "embedding") else None,
        "LLM runs only",
        "always",
        gate_key=generic.named(generic.MODEL_NAMES),
    ),
)
"""`extra.metadata.ls_model_name` (an explicit `langsmith.metadata.ls_model_name` wins)."""

PROVIDER: Final[tuple[Source[str], ...]] = (
    Source("genai", (g.PROVIDER_NAME, g.SYSTEM), genai.provider),
    Source("openinference", (oi.LLM_PROVIDER, oi.LLM_SYSTEM), openinference.provider),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("vercel-ai", (ai.MODEL_PROVIDER,), vercel_ai.provider, "`openai.chat` -> openai"),
    # --- end JavaScript frameworks ---
    # i14pyb: Python frameworks, set B (issue 14)
    Source("mlflow", (ml.LLM_PROVIDER,), mlflow.provider),
)
"""`extra.metadata.ls_provider`, in LangChain's provider vocabulary."""

THREAD_ID: Final[tuple[Source[str], ...]] = (
    Source(
        "langsmith", tuple(ls.METADATA_PREFIX + k for k in ls.META_THREAD_KEYS), langsmith.thread_id
    ),
    Source("openinference", (oi.SESSION_ID,), openinference.thread_id),
    Source("genai", (g.CONVERSATION_ID,), genai.thread_id),
    Source(
        "openllmetry", (ol.ASSOCIATION_PROPERTIES_PREFIX + "session_id",), openllmetry.thread_id
    ),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source(
        "vercel-ai",
        (
            ai.TELEMETRY_METADATA_PREFIX
            + "{thread_id,session_id,conversation_id,threadId,sessionId}",
        ),
        vercel_ai.thread_id,
    ),
    # --- end JavaScript frameworks ---
    # i14pya: Python frameworks, set A (issue 14)
    Source("langfuse", (lf.SESSION_ID,), langfuse.thread_id, "older SDKs; v3+ write `session.id`"),
)
"""`extra.metadata.thread_id`, then copied to every run of the trace."""

USER_ID: Final[tuple[Source[str], ...]] = (
    Source("langsmith", (ls.METADATA_PREFIX + ls.META_USER_ID,), langsmith.user_id),
    Source("openinference", (oi.USER_ID,), openinference.user_id),
    Source("openllmetry", (ol.ASSOCIATION_PROPERTIES_PREFIX + "user_id",), openllmetry.user_id),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("vercel-ai", (ai.TELEMETRY_METADATA_PREFIX + "{user_id,userId}",), vercel_ai.user_id),
    # --- end JavaScript frameworks ---
    # i14pya: Python frameworks, set A (issue 14)
    Source("langfuse", (lf.USER_ID,), langfuse.user_id, "older SDKs; v3+ write `user.id`"),
)
"""`extra.metadata.user_id`, then copied to every run of the trace."""

STREAMING: Final[tuple[Source[bool], ...]] = (
    Source("langsmith", (ls.REQUEST_STREAMING,), langsmith.streaming),
    Source("genai", (g.REQUEST_STREAM,), genai.streaming),
    Source("openllmetry", (ol.IS_STREAMING, ol.IS_STREAMING_OLD), openllmetry.streaming),
    # i14c: LlamaIndex (issue 14)
    Source(
        "openinference",
        (oi.EVENT_FIRST_TOKEN,),
        openinference.streaming,
        "llm runs: a first-token event",
        "events",
    ),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("vercel-ai", (ai.OPERATION_ID,), vercel_ai.streaming, "streamText/streamObject"),
    # --- end JavaScript frameworks ---
)
"""`extra.invocation_params.stream`."""

METADATA_LAYERS: Final[tuple[Source[dict[str, Any]], ...]] = (
    Source("genai", (g.WORKFLOW_NAME,), genai.names, "`workflow_name`"),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("vercel-ai", (ai.TELEMETRY_METADATA_PREFIX + "*",), vercel_ai.metadata),
    Source("mastra", (ma.METADATA_PREFIX + "*",), mastra.metadata),
    # --- end JavaScript frameworks ---
    Source(
        "openllmetry", (ol.ASSOCIATION_PROPERTIES_PREFIX + "*",), openllmetry.association_properties
    ),
    Source("openinference", (oi.METADATA,), openinference.metadata),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "langfuse",
        (
            lf.TRACE_METADATA_PREFIX + "*",
            lf.OBSERVATION_METADATA_PREFIX + "*",
            lf.TRACE_METADATA,
            lf.OBSERVATION_METADATA,
            lf.OBSERVATION_LEVEL,
        ),
        langfuse.metadata,
        "values JSON-decoded; level and status message unless the span status has the error",
    ),
    Source("langsmith", (ls.METADATA_PREFIX + "*",), langsmith.metadata),
)
"""`extra.metadata`: merged in this order, so later layers win key by key."""

TAG_SOURCES: Final[tuple[Source[list[str]], ...]] = (
    Source("langsmith", (ls.SPAN_TAGS,), langsmith.tags, "array, JSON array or comma-separated"),
    Source("openinference", (oi.TAG_TAGS,), openinference.tags),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("mastra", (ma.TAGS,), mastra.tags, "JSON array"),
    # --- end JavaScript frameworks ---
    # i14pya: Python frameworks, set A (issue 14)
    Source("langfuse", (lf.TRACE_TAGS,), langfuse.tags),
)
"""tags: the union, in this order, without repeats."""

PARAM_LAYERS: Final[tuple[Source[dict[str, Any]], ...]] = (
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source(
        "vercel-ai",
        (ai.SETTINGS_PREFIX + "*",),
        vercel_ai.settings,
        "maxOutputTokens -> max_tokens",
    ),
    # --- end JavaScript frameworks ---
    Source("genai", (g.REQUEST_PREFIX + "*",), genai.request_params, "stop_sequences -> stop"),
    Source("openinference", (oi.LLM_INVOCATION_PARAMETERS,), openinference.invocation_params),
    # i14pya: Python frameworks, set A (issue 14)
    Source("langfuse", (lf.OBSERVATION_MODEL_PARAMETERS,), langfuse.model_parameters),
)
"""`extra.invocation_params`: merged in this order, so later layers win key by key."""

TOKEN_ATTRIBUTES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "input_tokens": (
        ("genai", g.USAGE_INPUT_TOKENS),
        ("genai", g.USAGE_PROMPT_TOKENS),
        ("openinference", oi.TOKEN_COUNT_PROMPT),
        # --- JavaScript frameworks (issue 14, i14js) ---
        ("vercel-ai", ai.USAGE_INPUT_TOKENS),
        ("vercel-ai", ai.USAGE_PROMPT_TOKENS),
        ("vercel-ai", ai.USAGE_TOKENS),
        # --- end JavaScript frameworks ---
    ),
    "output_tokens": (
        ("genai", g.USAGE_OUTPUT_TOKENS),
        ("genai", g.USAGE_COMPLETION_TOKENS),
        ("openinference", oi.TOKEN_COUNT_COMPLETION),
        # --- JavaScript frameworks (issue 14, i14js) ---
        ("vercel-ai", ai.USAGE_OUTPUT_TOKENS),
        ("vercel-ai", ai.USAGE_COMPLETION_TOKENS),
        # --- end JavaScript frameworks ---
    ),
    "total_tokens": (
        ("genai", g.USAGE_TOTAL_TOKENS),
        ("openllmetry", ol.USAGE_TOTAL_TOKENS),
        ("openinference", oi.TOKEN_COUNT_TOTAL),
        # --- JavaScript frameworks (issue 14, i14js) ---
        ("vercel-ai", ai.USAGE_TOTAL_TOKENS),
        # --- end JavaScript frameworks ---
        ("openlit", olt.CLIENT_TOKEN_USAGE),  # i14pya (issue 14)
    ),
    "input_token_details.cache_read": (
        ("genai", g.USAGE_CACHE_READ_INPUT_TOKENS),
        ("openllmetry", ol.USAGE_CACHE_READ_INPUT_TOKENS_OLD),
        ("pydantic-ai", pa.USAGE_DETAILS_CACHE_READ),
        ("openinference", oi.TOKEN_COUNT_CACHE_READ),
        # --- JavaScript frameworks (issue 14, i14js) ---
        ("vercel-ai", ai.USAGE_CACHE_READ_TOKENS),
        ("vercel-ai", ai.USAGE_CACHED_INPUT_TOKENS),
        # --- end JavaScript frameworks ---
    ),
    "input_token_details.cache_creation": (
        ("genai", g.USAGE_CACHE_CREATION_INPUT_TOKENS),
        ("genai", g.USAGE_CACHE_WRITE_INPUT_TOKENS),
        ("openllmetry", ol.USAGE_CACHE_CREATION_INPUT_TOKENS_OLD),
        ("pydantic-ai", pa.USAGE_DETAILS_CACHE_WRITE),
        ("openinference", oi.TOKEN_COUNT_CACHE_WRITE),
        # --- JavaScript frameworks (issue 14, i14js) ---
        ("vercel-ai", ai.USAGE_CACHE_WRITE_TOKENS),
        # --- end JavaScript frameworks ---
    ),
    "input_token_details.audio": (
        ("genai", g.USAGE_AUDIO_INPUT_TOKENS),
        ("pydantic-ai", pa.USAGE_DETAILS_INPUT_AUDIO),
        ("openinference", oi.TOKEN_COUNT_PROMPT_AUDIO),
    ),
    "input_token_details.text": (("genai", g.USAGE_TEXT_INPUT_TOKENS),),
    "input_token_details.image": (("genai", g.USAGE_IMAGE_INPUT_TOKENS),),
    "input_token_details.video": (("genai", g.USAGE_VIDEO_INPUT_TOKENS),),
    "output_token_details.reasoning": (
        ("genai", g.USAGE_REASONING_OUTPUT_TOKENS),
        ("openllmetry", ol.USAGE_REASONING_TOKENS),
        ("langsmith, pydantic-ai", pa.USAGE_DETAILS_REASONING),
        ("openinference", oi.TOKEN_COUNT_REASONING),
        # --- JavaScript frameworks (issue 14, i14js) ---
        ("vercel-ai", ai.USAGE_OUTPUT_REASONING_TOKENS),
        ("vercel-ai", ai.USAGE_REASONING_TOKENS),
        # --- end JavaScript frameworks ---
    ),
    "output_token_details.audio": (
        ("genai", g.USAGE_AUDIO_OUTPUT_TOKENS),
        ("pydantic-ai", pa.USAGE_DETAILS_OUTPUT_AUDIO),
        ("openinference", oi.TOKEN_COUNT_COMPLETION_AUDIO),
    ),
    "output_token_details.text": (("genai", g.USAGE_TEXT_OUTPUT_TOKENS),),
    "output_token_details.image": (("genai", g.USAGE_IMAGE_OUTPUT_TOKENS),),
}
"""Usage fields (LangSmith `usage_metadata` paths) from flat attributes, first present wins.

Every key of a row names the same count, so all present keys of a row are consumed.

A whole `langsmith.usage_metadata` object wins over all of them; LangSmith's exporter's
`gen_ai.usage.{input,output}_token_details` (a Python repr) fills the details after them.
"""

USAGE_OBJECTS: Final[tuple[Source[dict[str, Any]], ...]] = (
    Source("langsmith", (ls.USAGE_METADATA,), langsmith.usage, "LangSmith's inclusive counts"),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "langfuse",
        (lf.OBSERVATION_USAGE_DETAILS,),
        langfuse.usage,
        "with `langfuse.observation.cost_details`; Langfuse's exclusive keys made inclusive",
    ),
    # i14pyb: Python frameworks, set B (issue 14)
    Source(
        "logfire",
        (lgf.USAGE_RAW,),
        logfire.usage,
        "the provider's usage object, read by that provider's rules",
    ),
    Source("mlflow", (ml.CHAT_USAGE,), mlflow.usage, "input includes the cache"),
    Source(
        "claude-code",
        (cc.INPUT_TOKENS, cc.OUTPUT_TOKENS),
        claude_code.usage,
        "bare counts, Anthropic's (cache added to input); only without `gen_ai.usage.*`",
    ),
    Source(
        "google-adk",
        (adk.LLM_RESPONSE,),
        google_adk.usage,
        "ADK 1's `call_llm`: the response's usage_metadata (its flat output leaves out thoughts)",
    ),
    # i14pya: generic fallback (issue 14)
    Source(
        "generic",
        (
            *(f"*.{name}" for name in sorted(generic.USAGE_OBJECT_NAMES)),
            *(f"*.{name}" for name in sorted(generic.TOKEN_NAMES)),
        ),
        lambda v: generic.usage(v, _TABLE_TOKEN_KEYS),
        "when no key of the usage table is present: a provider usage object, or flat counts",
        "always",
        gate_key=generic.named(generic.USAGE_OBJECT_NAMES | generic.TOKEN_NAMES),
    ),
)
"""Whole usage objects (usage_metadata shape, costs included); the first wins over every flat
attribute of the usage table."""

_TABLE_TOKEN_KEYS: Final[frozenset[str]] = frozenset(
    key for rows in TOKEN_ATTRIBUTES.values() for _, key in rows
)
"""Every key of the usage table: the generic fallbacks stand back when a span has one."""

COST_ATTRIBUTES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "input_cost": (("openinference", oi.COST_PROMPT),),
    "output_cost": (("openinference", oi.COST_COMPLETION),),
    "total_cost": (
        ("openinference", oi.COST_TOTAL),
        ("openlit", g.USAGE_COST),
        ("logfire", pa.OPERATION_COST),
    ),
}
"""Costs the span carries; they win over prices (a whole `langsmith.usage_metadata` first)."""

ZERO_MEANS_UNPRICED: Final = frozenset({g.USAGE_COST})
"""Carried costs whose 0 means "no price known" rather than free: OpenLIT writes 0 when its
pricing table (fetched from the network at start) lacks the model or could not be fetched. Such
a 0 is left to the leftovers and the call is priced instead."""

ERRORS: Final[tuple[Source[str], ...]] = (
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "strands",
        (st.TOOL_STATUS, st.TOOL_STATUS_OLD),
        strands.tool_error,
        "`error`: the tool result's text",
    ),
)
"""error, when the span has no `exception` event and no ERROR status (see the section above)."""

FIRST_TOKEN: Final[tuple[Source[int], ...]] = (
    Source(
        "langfuse",
        (o.LANGFUSE_COMPLETION_START_TIME,),
        timing.langfuse_completion_start,
        "ISO time",
    ),
    # i14pya: Python frameworks, set A (issue 14)
    Source(
        "strands",
        (g.SERVER_TIME_TO_FIRST_TOKEN,),
        strands.first_token_ns,
        f"ms after start, `{st.SCOPE}` scope",
    ),
    Source(
        "genai",
        (
            g.RESPONSE_TIME_TO_FIRST_CHUNK,
            g.CLIENT_TIME_TO_FIRST_CHUNK,
            g.RESPONSE_TIME_TO_FIRST_TOKEN,
            g.SERVER_TIME_TO_FIRST_TOKEN,
        ),
        timing.genai_seconds,
        "seconds after start",
    ),
    Source(
        "vercel-ai",
        (ai.RESPONSE_MS_TO_FIRST_CHUNK, ai.STREAM_MS_TO_FIRST_CHUNK),
        timing.vercel_ms,
        "ms after start",
    ),
    # --- JavaScript frameworks (issue 14, i14js) ---
    Source("mastra", (ma.COMPLETION_START_TIME,), timing.mastra_completion_start, "ISO time"),
    # --- end JavaScript frameworks ---
    Source(
        "openinference",
        (oi.EVENT_FIRST_TOKEN,),
        openinference.first_token_ns,
        "event time",
        "events",
    ),
    Source("other", (o.COMPLETION_START_TIME,), timing.bare_completion_start, "ISO time"),
    Source("other", (o.TTFT_MS,), timing.bare_ttft_ms, "ms after start"),
    Source(
        "openllmetry",
        (ol.EVENT_COMPLETION_CHUNK,),
        openllmetry.first_token_ns,
        "first chunk event",
        "events",
    ),
)
"""first_token_time, and a `new_token` event at that time."""


def _row(source: Source[Any]) -> str:
    reads = ", ".join(f"`{key}`" for key in source.reads)
    when = f" ({source.when})" if source.when else ""
    return f"| {source.dialect} | {reads}{when} |"


def render_markdown() -> str:
    """The precedence tables as Markdown, for docs/mapping.md."""
    out: list[str] = []
    named: list[tuple[str, Sequence[Source[Any]], str]] = [
        ("run_type", RUN_TYPE, "when nothing matches, the run is a chain"),
        ("name", NAME, "the span name otherwise"),
        ("inputs", INPUTS, '`{}` otherwise; text becomes `{"input": text}`'),
        ("outputs", OUTPUTS, '`null` otherwise; text becomes `{"output": text}`'),
        (
            "extra.metadata.ls_model_name",
            MODEL,
            "an explicit `langsmith.metadata.ls_model_name` wins",
        ),
        ("extra.metadata.ls_provider", PROVIDER, "mapped to LangChain's provider names"),
        ("extra.metadata.thread_id", THREAD_ID, "copied to every run of the trace"),
        ("extra.metadata.user_id", USER_ID, "copied to every run of the trace"),
        ("extra.invocation_params.stream", STREAMING, ""),
        ("first_token_time", FIRST_TOKEN, "also a `new_token` event"),
        ("error (no exception event, no ERROR status)", ERRORS, ""),
        ("extra.metadata (merged, later wins)", METADATA_LAYERS, ""),
        ("extra.invocation_params (merged, later wins)", PARAM_LAYERS, ""),
        ("tags (union)", TAG_SOURCES, ""),
        ("usage_metadata (whole objects)", USAGE_OBJECTS, "the first wins over the usage table"),
    ]
    for field, sources, note in named:
        out.append(f"### {field}\n")
        if note:
            out.append(f"{note[0].upper()}{note[1:]}.\n")
        out.append("| convention | reads |\n|---|---|")
        out.extend(_row(s) for s in sources)
        out.append("")
    for title, table in (("usage", TOKEN_ATTRIBUTES), ("costs", COST_ATTRIBUTES)):
        out.append(f"### {title}\n")
        out.append("| field | attributes, first present wins |\n|---|---|")
        for field, keys in table.items():
            out.append(f"| `{field}` | " + ", ".join(f"`{k}` ({d})" for d, k in keys) + " |")
        out.append("")
    return "\n".join(out)
