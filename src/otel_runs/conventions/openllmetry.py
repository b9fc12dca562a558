"""OpenLLMetry / Traceloop attributes (traceloop/openllmetry `semconv_ai/__init__.py`)."""

from __future__ import annotations

from typing import Final

SPAN_KIND: Final = "traceloop.span.kind"
"""workflow, task, agent, tool, unknown."""
ENTITY_NAME: Final = "traceloop.entity.name"
"""Entity (function) name."""
ENTITY_INPUT: Final = "traceloop.entity.input"
"""Entity input, JSON like {"inputs":..., "args":[], "kwargs":{}}."""
ENTITY_OUTPUT: Final = "traceloop.entity.output"
"""Entity output, JSON."""
WORKFLOW_NAME: Final = "traceloop.workflow.name"
"""Workflow name."""
ASSOCIATION_PROPERTIES_PREFIX: Final = "traceloop.association.properties."
"""User-set association properties (metadata, session, user)."""
REQUEST_TYPE: Final = "llm.request.type"
"""chat, completion, embedding, rerank (before v0.5)."""
USAGE_TOTAL_TOKENS: Final = "llm.usage.total_tokens"
"""Total tokens (before v0.5)."""
IS_STREAMING: Final = "gen_ai.is_streaming"
"""Whether the request streamed."""
IS_STREAMING_OLD: Final = "llm.is_streaming"
"""Whether the request streamed (before v0.5, while prompts were already `gen_ai.prompt.*`)."""
USAGE_REASONING_TOKENS: Final = "gen_ai.usage.reasoning_tokens"
"""Reasoning tokens."""
USAGE_CACHE_READ_INPUT_TOKENS_OLD: Final = "gen_ai.usage.cache_read_input_tokens"
"""Cache-read tokens (before v0.5)."""
USAGE_CACHE_CREATION_INPUT_TOKENS_OLD: Final = "gen_ai.usage.cache_creation_input_tokens"
"""Cache-write tokens (before v0.5)."""
API_BASE: Final = "gen_ai.openai.api_base"
"""Base URL the OpenAI client called."""
EVENT_COMPLETION_CHUNK: Final = "gen_ai.content.completion.chunk"
"""One event per streamed chunk; the first marks the first token."""
EVENT_COMPLETION_CHUNK_OLD: Final = "llm.content.completion.chunk"
"""The same event, before v0.5."""
PROMPT_TEMPLATE: Final = "traceloop.prompt.template"
"""Managed prompt: its template text."""
PROMPT_TEMPLATE_VARIABLES: Final = "traceloop.prompt.template_variables"
"""Managed prompt: the values filled into its template."""
TASK_INPUT: Final = "gen_ai.task.input"
"""Input of a GenAI task (OpenLLMetry's own, not in the OTel registry)."""
TASK_OUTPUT: Final = "gen_ai.task.output"
"""Output of a GenAI task (OpenLLMetry's own)."""
MCP_REQUEST_ARGUMENT: Final = "mcp.request.argument"
"""Arguments of an MCP request."""
MCP_RESPONSE_VALUE: Final = "mcp.response.value"
"""Value an MCP request returned."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (
    ENTITY_INPUT, PROMPT_TEMPLATE, PROMPT_TEMPLATE_VARIABLES, TASK_INPUT, MCP_REQUEST_ARGUMENT,
)  # fmt: skip
"""Attributes carrying prompt content; each key covers its dotted children. (Prompts and
completions themselves travel as `gen_ai.prompt.*` / `gen_ai.completion.*`, in genai.py.)"""
OUTPUT_CONTENT: Final = (ENTITY_OUTPUT, TASK_OUTPUT, MCP_RESPONSE_VALUE)
"""Attributes carrying completion content (and their dotted children)."""
OUTPUT_CONTENT_EVENTS: Final = (EVENT_COMPLETION_CHUNK, EVENT_COMPLETION_CHUNK_OLD)
"""Events every attribute of which is completion content."""

KIND_TO_RUN_TYPE: Final = {
    "tool": "tool",
    "workflow": "chain",
    "task": "chain",
    "agent": "chain",
    "unknown": "chain",
}
"""traceloop.span.kind -> LangSmith run type."""
REQUEST_TYPE_TO_RUN_TYPE: Final = {
    "chat": "llm",
    "completion": "llm",
    "embedding": "embedding",
    "rerank": "retriever",
}
"""llm.request.type -> LangSmith run type."""
