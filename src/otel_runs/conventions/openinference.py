"""OpenInference semantic conventions (Arize-ai/openinference `spec/semantic_conventions.md`)."""

from __future__ import annotations

from typing import Final

SPAN_KIND: Final = "openinference.span.kind"
"""LLM, EMBEDDING, CHAIN, RETRIEVER, RERANKER, TOOL, AGENT, GUARDRAIL, EVALUATOR, PROMPT."""
INPUT_VALUE: Final = "input.value"
"""Input, text or JSON."""
INPUT_MIME_TYPE: Final = "input.mime_type"
"""Mime type of input.value."""
OUTPUT_VALUE: Final = "output.value"
"""Output, text or JSON."""
OUTPUT_MIME_TYPE: Final = "output.mime_type"
"""Mime type of output.value."""
LLM_INPUT_MESSAGES_PREFIX: Final = "llm.input_messages."
"""Flattened input messages: llm.input_messages.{i}.message.{role,content,...}."""
LLM_OUTPUT_MESSAGES_PREFIX: Final = "llm.output_messages."
"""Flattened output messages."""
LLM_MODEL_NAME: Final = "llm.model_name"
"""Model name."""
LLM_PROVIDER: Final = "llm.provider"
"""Provider (openai, anthropic, ...)."""
LLM_SYSTEM: Final = "llm.system"
"""AI system (openai, anthropic, ...)."""
LLM_INVOCATION_PARAMETERS: Final = "llm.invocation_parameters"
"""Request parameters as JSON."""
LLM_TOOLS_PREFIX: Final = "llm.tools."
"""Tools offered: llm.tools.{i}.tool.json_schema."""
LLM_FINISH_REASON: Final = "llm.finish_reason"
"""Finish reason."""
LLM_PROMPT_TEMPLATE_VARIABLES: Final = "llm.prompt_template.variables"
"""Prompt template variables; marks a prompt run."""
LLM_PROMPT_TEMPLATE: Final = "llm.prompt_template.template"
"""Prompt template text."""
TOKEN_COUNT_PROMPT: Final = "llm.token_count.prompt"
"""Prompt tokens, cache included."""
TOKEN_COUNT_COMPLETION: Final = "llm.token_count.completion"
"""Completion tokens, reasoning included."""
TOKEN_COUNT_TOTAL: Final = "llm.token_count.total"
"""Total tokens."""
TOKEN_COUNT_CACHE_READ: Final = "llm.token_count.prompt_details.cache_read"
"""Cache-read prompt tokens."""
TOKEN_COUNT_CACHE_WRITE: Final = "llm.token_count.prompt_details.cache_write"
"""Cache-write prompt tokens."""
TOKEN_COUNT_PROMPT_AUDIO: Final = "llm.token_count.prompt_details.audio"
"""Audio prompt tokens."""
TOKEN_COUNT_REASONING: Final = "llm.token_count.completion_details.reasoning"
"""Reasoning completion tokens."""
TOKEN_COUNT_COMPLETION_AUDIO: Final = "llm.token_count.completion_details.audio"
"""Audio completion tokens."""
COST_PROMPT: Final = "llm.cost.prompt"
"""Prompt cost."""
COST_COMPLETION: Final = "llm.cost.completion"
"""Completion cost."""
COST_TOTAL: Final = "llm.cost.total"
"""Total cost."""
SESSION_ID: Final = "session.id"
"""Session (thread) id."""
USER_ID: Final = "user.id"
"""End-user id."""
METADATA: Final = "metadata"
"""Metadata as a JSON object string."""
TAG_TAGS: Final = "tag.tags"
"""Tags, string list."""
TOOL_NAME: Final = "tool.name"
"""Tool name."""
TOOL_DESCRIPTION: Final = "tool.description"
"""Tool description."""
TOOL_PARAMETERS: Final = "tool.parameters"
"""Tool parameters JSON."""
RETRIEVAL_DOCUMENTS_PREFIX: Final = "retrieval.documents."
"""Flattened documents: retrieval.documents.{i}.document.{id,content,score,metadata}."""
EMBEDDING_MODEL_NAME: Final = "embedding.model_name"
"""Embedding model name."""
EVENT_FIRST_TOKEN: Final = "First Token Stream Event"
"""Event at the first streamed token."""
LLM_PROMPTS: Final = "llm.prompts"
"""Prompts given to a completions API: llm.prompts.{i}.prompt.text."""
LLM_CHOICES: Final = "llm.choices"
"""Text choices a completions API returned: llm.choices.{i}.completion.text."""
LLM_FUNCTION_CALL: Final = "llm.function_call"
"""A function call the model made, JSON."""
EMBEDDING_EMBEDDINGS_PREFIX: Final = "embedding.embeddings."
"""Flattened embeddings: embedding.embeddings.{i}.embedding.{text,vector}."""
RERANKER_QUERY: Final = "reranker.query"
"""Query a reranker ranked documents against."""
RERANKER_INPUT_DOCUMENTS_PREFIX: Final = "reranker.input_documents."
"""Flattened documents given to a reranker."""
RERANKER_OUTPUT_DOCUMENTS_PREFIX: Final = "reranker.output_documents."
"""Flattened documents a reranker returned."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (
    INPUT_VALUE, LLM_INPUT_MESSAGES_PREFIX, LLM_PROMPTS, LLM_PROMPT_TEMPLATE,
    LLM_PROMPT_TEMPLATE_VARIABLES, EMBEDDING_EMBEDDINGS_PREFIX, RERANKER_QUERY,
    RERANKER_INPUT_DOCUMENTS_PREFIX,
)  # fmt: skip
"""Attributes carrying prompt content; each key covers its dotted children."""
OUTPUT_CONTENT: Final = (
    OUTPUT_VALUE, LLM_OUTPUT_MESSAGES_PREFIX, LLM_CHOICES, LLM_FUNCTION_CALL,
    RETRIEVAL_DOCUMENTS_PREFIX, RERANKER_OUTPUT_DOCUMENTS_PREFIX,
)  # fmt: skip
"""Attributes carrying completion content (and their dotted children)."""

MIME_JSON: Final = "application/json"
"""input/output mime type for JSON."""

KIND_TO_RUN_TYPE: Final = {
    "LLM": "llm",
    "EMBEDDING": "embedding",
    "RETRIEVER": "retriever",
    "RERANKER": "retriever",
    "TOOL": "tool",
    "PROMPT": "prompt",
    "CHAIN": "chain",
    "AGENT": "chain",
    "GUARDRAIL": "chain",
    "EVALUATOR": "chain",
    "UNKNOWN": "chain",
}
"""openinference.span.kind -> LangSmith run type."""

# --- written by runs -> spans ------------------------------------------------------------------
RUN_TYPE_TO_KIND: Final = {
    "llm": "LLM",
    "embedding": "EMBEDDING",
    "retriever": "RETRIEVER",
    "tool": "TOOL",
    "prompt": "PROMPT",
    "chain": "CHAIN",
    "parser": "CHAIN",
}
"""LangSmith run type -> openinference.span.kind (anything else is a CHAIN)."""
REQUEST_PARAMETERS: Final = (LLM_INVOCATION_PARAMETERS,)
"""Attributes holding request parameters as JSON (their prompt-carrying fields are content)."""
