"""Keys from other emitters that carry run fields we read (Langfuse, bare keys); the Vercel AI SDK's
are in `vercel_ai`."""

from __future__ import annotations

from typing import Final

LANGFUSE_COMPLETION_START_TIME: Final = "langfuse.observation.completion_start_time"
"""Langfuse: ISO time of the first token (sometimes JSON-encoded twice)."""
COMPLETION_START_TIME: Final = "completion_start_time"
"""Bare key: ISO time of the first token."""
TTFT_MS: Final = "ttft_ms"
"""Bare key (Claude Code): milliseconds to the first token."""

# Vercel AI SDK legacy `ai.*` spans (ai-sdk.dev, AI SDK Core, Telemetry).
AI_PROMPT: Final = "ai.prompt"
"""Vercel AI SDK: the prompt of generateText/streamText; `ai.prompt.messages` on model calls."""
AI_RESPONSE_TEXT: Final = "ai.response.text"
"""Vercel AI SDK: the generated text."""
AI_RESPONSE_TOOL_CALLS: Final = "ai.response.toolCalls"
"""Vercel AI SDK: the tool calls the model made (JSON)."""
AI_RESPONSE_OBJECT: Final = "ai.response.object"
"""Vercel AI SDK: the generated object (JSON; generateObject/streamObject)."""
AI_TOOL_CALL_ARGS: Final = "ai.toolCall.args"
"""Vercel AI SDK: a tool call's input."""
AI_TOOL_CALL_RESULT: Final = "ai.toolCall.result"
"""Vercel AI SDK: a tool call's result."""
AI_VALUE: Final = "ai.value"
"""Vercel AI SDK: the value given to embed."""
AI_VALUES: Final = "ai.values"
"""Vercel AI SDK: the values given to embedMany (and to the provider)."""
AI_EMBEDDING: Final = "ai.embedding"
"""Vercel AI SDK: the embedding embed returned (JSON)."""
AI_EMBEDDINGS: Final = "ai.embeddings"
"""Vercel AI SDK: the embeddings embedMany returned (JSON)."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (AI_PROMPT, AI_TOOL_CALL_ARGS, AI_VALUE, AI_VALUES)
"""Attributes carrying prompt content; each key covers its dotted children."""
OUTPUT_CONTENT: Final = (
    AI_RESPONSE_TEXT, AI_RESPONSE_TOOL_CALLS, AI_RESPONSE_OBJECT, AI_TOOL_CALL_RESULT,
    AI_EMBEDDING, AI_EMBEDDINGS,
)  # fmt: skip
"""Attributes carrying completion content (and their dotted children)."""
