"""Vercel AI SDK 4-6 telemetry: the `ai.*` span attributes (vercel/ai `packages/ai/src/telemetry`,
the `ai` package's `dist/index.mjs`; the spans' instrumentation scope is `ai`).

AI SDK 7 writes the GenAI semantic conventions instead (`@ai-sdk/otel`), read by the genai dialect.
"""

from __future__ import annotations

from typing import Final

OPERATION_ID: Final = "ai.operationId"
"""Which call the span is: `ai.generateText`, `ai.generateText.doGenerate`, `ai.toolCall`..."""
MODEL_ID: Final = "ai.model.id"
"""Model asked for."""
MODEL_PROVIDER: Final = "ai.model.provider"
"""Provider and API, `<provider>.<api>` (`openai.chat`, `openai.responses`)."""
TELEMETRY_FUNCTION_ID: Final = "ai.telemetry.functionId"
"""The `functionId` the app gave the call (`experimental_telemetry`)."""
TELEMETRY_METADATA_PREFIX: Final = "ai.telemetry.metadata."
"""The `metadata` the app gave the call, one attribute per key."""
SETTINGS_PREFIX: Final = "ai.settings."
"""Call settings: `maxOutputTokens`, `temperature`, `topP`, `maxRetries`..."""

PROMPT: Final = "ai.prompt"
"""Top-level call: its prompt arguments as JSON (`system`, `prompt`, `messages`)."""
PROMPT_MESSAGES: Final = "ai.prompt.messages"
"""Model call: the messages sent, JSON in the AI SDK's message format (role + content parts)."""
PROMPT_TOOLS: Final = "ai.prompt.tools"
"""Model call: one JSON tool definition per element (`name`, `description`, `inputSchema`)."""

RESPONSE_TEXT: Final = "ai.response.text"
"""Text the model answered."""
RESPONSE_TOOL_CALLS: Final = "ai.response.toolCalls"
"""Tool calls the model answered, JSON (`toolCallId`, `toolName`, `input` or `args`)."""
RESPONSE_OBJECT: Final = "ai.response.object"
"""`generateObject`/`streamObject`: the object, JSON."""
RESPONSE_FINISH_REASON: Final = "ai.response.finishReason"
"""stop, length, content-filter, tool-calls, error, other."""
RESPONSE_MODEL: Final = "ai.response.model"
"""Model that answered."""
RESULT_TEXT: Final = "ai.result.text"
"""AI SDK 3: text the model answered."""
RESULT_TOOL_CALLS: Final = "ai.result.toolCalls"
"""AI SDK 3: tool calls the model answered."""
RESULT_OBJECT: Final = "ai.result.object"
"""AI SDK 3: the object answered."""
RESPONSE_MS_TO_FIRST_CHUNK: Final = "ai.response.msToFirstChunk"
"""Streamed model call: milliseconds from start to the first chunk."""
STREAM_MS_TO_FIRST_CHUNK: Final = "ai.stream.msToFirstChunk"
"""Streamed model call (AI SDK 3): milliseconds from start to the first chunk."""

TOOL_CALL_NAME: Final = "ai.toolCall.name"
"""`ai.toolCall` span: the tool's name."""
TOOL_CALL_ID: Final = "ai.toolCall.id"
"""`ai.toolCall` span: the model's tool call id."""
TOOL_CALL_ARGS: Final = "ai.toolCall.args"
"""`ai.toolCall` span: the arguments, JSON."""
TOOL_CALL_RESULT: Final = "ai.toolCall.result"
"""`ai.toolCall` span: the result, JSON."""
TOOL_CALL_INPUT: Final = "ai.toolCall.input"
"""`ai.toolCall` span: the arguments (the name LangSmith's exporter also reads)."""
TOOL_CALL_OUTPUT: Final = "ai.toolCall.output"
"""`ai.toolCall` span: the result (the name LangSmith's exporter also reads)."""

VALUE: Final = "ai.value"
"""`embed`: the embedded value, JSON."""
VALUES: Final = "ai.values"
"""`embedMany` and every `doEmbed`: the embedded values, one JSON text per element."""
EMBEDDING: Final = "ai.embedding"
"""`embed`: the vector, JSON."""
EMBEDDINGS: Final = "ai.embeddings"
"""`embedMany` and every `doEmbed`: the vectors, one JSON text per element."""

USAGE_INPUT_TOKENS: Final = "ai.usage.inputTokens"
"""Input tokens, cache reads included (AI SDK 5+)."""
USAGE_PROMPT_TOKENS: Final = "ai.usage.promptTokens"
"""Input tokens (AI SDK 4, and `generateObject` and AI SDK 5 `generateText` spans)."""
USAGE_OUTPUT_TOKENS: Final = "ai.usage.outputTokens"
"""Output tokens, reasoning included (AI SDK 5+)."""
USAGE_COMPLETION_TOKENS: Final = "ai.usage.completionTokens"
"""Output tokens (AI SDK 4 names)."""
USAGE_TOTAL_TOKENS: Final = "ai.usage.totalTokens"
"""Input plus output tokens."""
USAGE_TOKENS: Final = "ai.usage.tokens"
"""`embed`/`embedMany`/`doEmbed`: tokens of the embedded values."""
USAGE_CACHED_INPUT_TOKENS: Final = "ai.usage.cachedInputTokens"
"""Input tokens read from the provider's cache (AI SDK 5+)."""
USAGE_CACHE_READ_TOKENS: Final = "ai.usage.inputTokenDetails.cacheReadTokens"
"""Input tokens read from the cache (AI SDK 6+)."""
USAGE_CACHE_WRITE_TOKENS: Final = "ai.usage.inputTokenDetails.cacheWriteTokens"
"""Input tokens written to the cache (AI SDK 6+)."""
USAGE_REASONING_TOKENS: Final = "ai.usage.reasoningTokens"
"""Reasoning tokens, inside the output tokens (AI SDK 5+)."""
USAGE_OUTPUT_REASONING_TOKENS: Final = "ai.usage.outputTokenDetails.reasoningTokens"
"""Reasoning tokens (AI SDK 6+)."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (PROMPT, PROMPT_MESSAGES, TOOL_CALL_ARGS, TOOL_CALL_INPUT, VALUE, VALUES)
"""Attributes carrying prompt content (and their dotted children)."""
OUTPUT_CONTENT: Final = (
    RESPONSE_TEXT, RESPONSE_TOOL_CALLS, RESPONSE_OBJECT, RESULT_TEXT, RESULT_TOOL_CALLS,
    RESULT_OBJECT, TOOL_CALL_RESULT, TOOL_CALL_OUTPUT, EMBEDDING, EMBEDDINGS,
)  # fmt: skip
"""Attributes carrying completion content (and their dotted children)."""

OPS_LLM: Final = frozenset(
    {
        "ai.generateText.doGenerate",
        "ai.streamText.doStream",
        "ai.generateObject.doGenerate",
        "ai.streamObject.doStream",
    }
)
"""Operations that are one model call."""
OPS_EMBEDDING: Final = frozenset({"ai.embed.doEmbed", "ai.embedMany.doEmbed"})
"""Operations that are one embedding call."""
OPS_TOOL: Final = frozenset({"ai.toolCall"})
"""Operations that are one tool execution."""
OPS_STREAMING: Final = frozenset(
    {"ai.streamText", "ai.streamText.doStream", "ai.streamObject", "ai.streamObject.doStream"}
)
"""Operations that stream."""
OPS_TOP_LEVEL: Final = frozenset(
    {
        "ai.generateText",
        "ai.streamText",
        "ai.generateObject",
        "ai.streamObject",
        "ai.embed",
        "ai.embedMany",
        "ai.rerank",
    }
)
"""Operations the app called (the spans named by the app's `functionId`)."""

FINISH_REASONS: Final = {
    "tool-calls": "tool_calls",
    "content-filter": "content_filter",
}
"""AI SDK finish reasons spelled otherwise in OpenAI's format (the rest are the same words)."""
SETTING_NAMES: Final = {
    "maxOutputTokens": "max_tokens",
    "maxTokens": "max_tokens",
    "stopSequences": "stop",
    "topP": "top_p",
    "topK": "top_k",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
    "maxRetries": "max_retries",
}
"""`ai.settings.*` names -> LangChain's invocation parameter names (others are kept)."""
