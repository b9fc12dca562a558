"""OpenTelemetry GenAI semantic conventions, current and deprecated.

Vendored from open-telemetry/semantic-conventions-genai `model/gen-ai/registry.yaml` and the
deprecated registry in open-telemetry/semantic-conventions (the semconv package marks most
`GEN_AI_*` constants as moved, so we keep our own).
"""

from __future__ import annotations

from typing import Final

OPERATION_NAME: Final = "gen_ai.operation.name"
"""chat, text_completion, generate_content, embeddings, retrieval, execute_tool, invoke_agent..."""
PROVIDER_NAME: Final = "gen_ai.provider.name"
"""Provider (current)."""
SYSTEM: Final = "gen_ai.system"
"""Provider (deprecated name)."""
REQUEST_MODEL: Final = "gen_ai.request.model"
"""Model asked for."""
RESPONSE_MODEL: Final = "gen_ai.response.model"
"""Model that answered."""
RESPONSE_ID: Final = "gen_ai.response.id"
"""Provider's response id."""
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
"""Finish reason per choice."""
REQUEST_PREFIX: Final = "gen_ai.request."
"""Prefix of request parameters (temperature, max_tokens, ...)."""
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
"""Sampling temperature."""
REQUEST_STREAM: Final = "gen_ai.request.stream"
"""Whether the request streamed."""
OUTPUT_TYPE: Final = "gen_ai.output.type"
"""text, json, image, speech."""
CONVERSATION_ID: Final = "gen_ai.conversation.id"
"""Conversation (thread) id."""
AGENT_NAME: Final = "gen_ai.agent.name"
"""Agent name."""
WORKFLOW_NAME: Final = "gen_ai.workflow.name"
"""Workflow name of an `invoke_workflow` span (semantic conventions 1.41)."""
DATA_SOURCE_ID: Final = "gen_ai.data_source.id"
"""Data source a retrieval reads (semantic conventions 1.40)."""
RETRIEVAL_QUERY_TEXT: Final = "gen_ai.retrieval.query.text"
"""Query text of a `retrieval` span (semantic conventions 1.40)."""
RETRIEVAL_DOCUMENTS: Final = "gen_ai.retrieval.documents"
"""Documents a `retrieval` span returned, JSON: `[{"id", "score", ...}]` (semantic conventions
1.40, `gen-ai-retrieval-documents.json`)."""
MEMORY_STORE_ID: Final = "gen_ai.memory.store.id"
"""Memory store of a memory operation (semantic-conventions-genai, memory spans)."""
MEMORY_RECORD_ID: Final = "gen_ai.memory.record.id"
"""Memory record a memory operation applies to (semantic-conventions-genai, memory spans)."""
MEMORY_QUERY_TEXT: Final = "gen_ai.memory.query.text"
"""Query of a `search_memory` span (semantic-conventions-genai, memory spans)."""
MEMORY_RECORDS: Final = "gen_ai.memory.records"
"""Memory records stored or retrieved, JSON: `[{"content", "id", "score", "metadata"}]`
(semantic-conventions-genai, `gen-ai-memory-records.json`)."""

INPUT_MESSAGES: Final = "gen_ai.input.messages"
"""Input messages, JSON in the parts schema."""
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
"""Output messages, JSON in the parts schema, with finish_reason."""
SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
"""System instructions, JSON list of parts."""
TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
"""Tools offered to the model, JSON."""

TOOL_NAME: Final = "gen_ai.tool.name"
"""Tool name."""
TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
"""Tool call id."""
TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
"""Tool description."""
TOOL_TYPE: Final = "gen_ai.tool.type"
"""function, extension, datastore."""
TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
"""Tool call arguments (JSON)."""
TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
"""Tool call result (JSON or text)."""

USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
"""Input tokens, cache reads and writes included."""
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
"""Output tokens, reasoning included."""
USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
"""Cache-read part of the input."""
USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
"""Cache-write part of the input."""
USAGE_CACHE_WRITE_INPUT_TOKENS: Final = "gen_ai.usage.cache_write.input_tokens"
"""Cache-write part of the input (name on the genai repository's main branch)."""
USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
"""Reasoning part of the output."""
USAGE_AUDIO_INPUT_TOKENS: Final = "gen_ai.usage.audio.input_tokens"
"""Audio part of the input."""
USAGE_AUDIO_OUTPUT_TOKENS: Final = "gen_ai.usage.audio.output_tokens"
"""Audio part of the output."""
USAGE_TEXT_INPUT_TOKENS: Final = "gen_ai.usage.text.input_tokens"
"""Text part of the input."""
USAGE_IMAGE_INPUT_TOKENS: Final = "gen_ai.usage.image.input_tokens"
"""Image part of the input."""
USAGE_VIDEO_INPUT_TOKENS: Final = "gen_ai.usage.video.input_tokens"
"""Video part of the input."""
USAGE_TEXT_OUTPUT_TOKENS: Final = "gen_ai.usage.text.output_tokens"
"""Text part of the output (semantic-conventions-genai registry, per-modality usage)."""
USAGE_IMAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.image.output_tokens"
"""Image part of the output (semantic-conventions-genai #440; written by util-genai 1.3b0)."""
USAGE_TOTAL_TOKENS: Final = "gen_ai.usage.total_tokens"
"""Total tokens (vendor extension: OpenLLMetry, LangSmith, OpenLIT)."""
USAGE_COST: Final = "gen_ai.usage.cost"
"""Total cost (OpenLIT extension)."""

RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
"""Seconds from request to first chunk."""
CLIENT_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
"""Seconds to first chunk (a metric name some SDKs stamp on spans)."""
RESPONSE_TIME_TO_FIRST_TOKEN: Final = "gen_ai.response.time_to_first_token"
"""Seconds to first token (Sentry)."""
SERVER_TIME_TO_FIRST_TOKEN: Final = "gen_ai.server.time_to_first_token"
"""Seconds to first token (OpenLIT, Strands)."""

# Deprecated attributes still emitted by OpenLLMetry and LangSmith's own exporter.
PROMPT: Final = "gen_ai.prompt"
"""Whole input as a string or JSON (deprecated)."""
COMPLETION: Final = "gen_ai.completion"
"""Whole output as a string or JSON (deprecated)."""
PROMPT_PREFIX: Final = "gen_ai.prompt."
"""Indexed input messages: gen_ai.prompt.{i}.{role,content,tool_calls...} (deprecated)."""
COMPLETION_PREFIX: Final = "gen_ai.completion."
"""Indexed output messages (deprecated)."""
USAGE_PROMPT_TOKENS: Final = "gen_ai.usage.prompt_tokens"
"""Input tokens (deprecated name)."""
USAGE_COMPLETION_TOKENS: Final = "gen_ai.usage.completion_tokens"
"""Output tokens (deprecated name)."""
USAGE_INPUT_TOKEN_DETAILS: Final = "gen_ai.usage.input_token_details"
"""Input token details; LangSmith's Python exporter writes a Python repr."""
USAGE_OUTPUT_TOKEN_DETAILS: Final = "gen_ai.usage.output_token_details"
"""Output token details; LangSmith's Python exporter writes a Python repr."""

# Deprecated per-message events, and the current details event.
EVENT_SYSTEM_MESSAGE: Final = "gen_ai.system.message"
"""System message event (deprecated)."""
EVENT_USER_MESSAGE: Final = "gen_ai.user.message"
"""User message event (deprecated)."""
EVENT_ASSISTANT_MESSAGE: Final = "gen_ai.assistant.message"
"""Assistant message event (deprecated)."""
EVENT_TOOL_MESSAGE: Final = "gen_ai.tool.message"
"""Tool message event (deprecated)."""
EVENT_CHOICE: Final = "gen_ai.choice"
"""Model choice event (deprecated)."""
EVENT_CONTENT_PROMPT: Final = "gen_ai.content.prompt"
"""Whole prompt event (Semantic Kernel)."""
EVENT_CONTENT_COMPLETION: Final = "gen_ai.content.completion"
"""Whole completion event (Semantic Kernel)."""
EVENT_INFERENCE_DETAILS: Final = "gen_ai.client.inference.operation.details"
"""Current event carrying input/output messages and system instructions."""
EVENT_NAME_ATTR: Final = "event.name"
"""Event name when an event travels as a log record."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
# --- evaluation results (semantic conventions 1.38: the `gen_ai.evaluation.result` event) ----
EVALUATION_RESULT: Final = "gen_ai.evaluation.result"
"""Event: the result of evaluating a GenAI operation, on (or parented to) its span."""
EVALUATION_NAME: Final = "gen_ai.evaluation.name"
"""Name of the evaluation metric (LangSmith feedback `key`)."""
EVALUATION_SCORE_VALUE: Final = "gen_ai.evaluation.score.value"
"""Numeric score (LangSmith feedback `score`)."""
EVALUATION_SCORE_LABEL: Final = "gen_ai.evaluation.score.label"
"""Human-readable score label (LangSmith feedback `value` when it is text)."""
EVALUATION_EXPLANATION: Final = "gen_ai.evaluation.explanation"
"""Free-form explanation of the score (LangSmith feedback `comment`)."""

INPUT_CONTENT: Final = (
    INPUT_MESSAGES, SYSTEM_INSTRUCTIONS, PROMPT, TOOL_CALL_ARGUMENTS, RETRIEVAL_QUERY_TEXT,
    MEMORY_QUERY_TEXT, MEMORY_RECORDS, EVALUATION_EXPLANATION,
)  # fmt: skip
"""Attributes carrying prompt content; each key covers its dotted children
(`gen_ai.prompt` covers `gen_ai.prompt.0.content`). Memory records are a write's input and a
search's output, and an evaluation's explanation quotes what it judged (the prompt, the answer
or both): they are listed on both sides, so hiding either hides them."""
OUTPUT_CONTENT: Final = (
    OUTPUT_MESSAGES, COMPLETION, TOOL_CALL_RESULT, RETRIEVAL_DOCUMENTS, MEMORY_RECORDS,
    EVALUATION_EXPLANATION,
)  # fmt: skip
"""Attributes carrying completion content (and their dotted children)."""
INPUT_CONTENT_EVENTS: Final = (
    EVENT_SYSTEM_MESSAGE, EVENT_USER_MESSAGE, EVENT_ASSISTANT_MESSAGE, EVENT_TOOL_MESSAGE,
    EVENT_CONTENT_PROMPT,
)  # fmt: skip
"""Events every attribute of which is prompt content (the inference details event carries
content under the keys above instead)."""
OUTPUT_CONTENT_EVENTS: Final = (EVENT_CHOICE, EVENT_CONTENT_COMPLETION)
"""Events every attribute of which is completion content."""

# Operation names, grouped by the run type they mean.
OPS_LLM: Final = frozenset(
    {
        "chat",
        "text_completion",
        "completion",
        "generate_content",
        "generate",
        "response",
        "responses",
    }
)
"""Operations that are model calls."""
OPS_EMBEDDING: Final = frozenset({"embeddings", "embedding"})
"""Operations that are embedding calls."""
OPS_RETRIEVER: Final = frozenset({"retrieval", "search_memory"})
"""Operations that are retrievals: `retrieval` (documents) and `search_memory` (memory records),
both LangSmith retriever runs."""
OP_SEARCH_MEMORY: Final = "search_memory"
"""Memory search (semantic-conventions-genai, memory spans)."""
OPS_MEMORY_WRITE: Final = frozenset({"create_memory", "update_memory", "upsert_memory"})
"""Memory operations that write records (their `gen_ai.memory.records` are inputs)."""
OPS_TOOL: Final = frozenset({"execute_tool"})
"""Operations that are tool executions."""

USAGE_PREFIX: Final = "gen_ai.usage."
"""Prefix of every usage attribute."""
FINISH_TOOL_CALL: Final = "tool_call"
"""GenAI finish reason for a tool call (OpenAI says tool_calls)."""

# --- written by runs -> spans ------------------------------------------------------------------
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
"""Max output tokens requested."""
REQUEST_TOP_P: Final = "gen_ai.request.top_p"
"""Nucleus sampling parameter."""
REQUEST_TOP_K: Final = "gen_ai.request.top_k"
"""Top-k sampling parameter."""
REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
"""Frequency penalty."""
REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
"""Presence penalty."""
REQUEST_SEED: Final = "gen_ai.request.seed"
"""Sampling seed."""
REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
"""Stop sequences."""
REQUEST_EXTRA_QUERY: Final = "gen_ai.request.extra_query"
"""Extra query parameters (langsmith SDK exporter)."""
REQUEST_EXTRA_BODY: Final = "gen_ai.request.extra_body"
"""Extra body parameters (langsmith SDK exporter)."""
RESPONSE_SERVICE_TIER: Final = "gen_ai.response.service_tier"
"""Service tier that answered (langsmith SDK exporter)."""
RESPONSE_SYSTEM_FINGERPRINT: Final = "gen_ai.response.system_fingerprint"
"""Backend fingerprint (langsmith SDK exporter)."""
SERIALIZED_NAME: Final = "gen_ai.serialized.name"
"""Name of the serialized object behind the run (langsmith SDK exporter)."""
SERIALIZED_SIGNATURE: Final = "gen_ai.serialized.signature"
"""Signature of the serialized object (langsmith SDK exporter)."""
SERIALIZED_DOC: Final = "gen_ai.serialized.doc"
"""Docstring of the serialized object (langsmith SDK exporter)."""

