"""Claude Code's OpenTelemetry traces (the CLI's traces beta; the Claude Agent SDK drives it).

From Anthropic's Claude Code monitoring documentation and the spans Claude Code 2.1 exports.
"""

from __future__ import annotations

from typing import Final

SCOPE_PREFIX: Final = "com.anthropic.claude_code"
"""Scope name of the CLI's spans (`com.anthropic.claude_code.tracing`)."""
SPAN_TYPE: Final = "span.type"
"""interaction, llm_request, tool, tool.execution, tool.blocked_on_user, hook."""
USER_PROMPT: Final = "user_prompt"
"""The prompt of an interaction (`<REDACTED>` unless OTEL_LOG_USER_PROMPTS is set)."""
INPUT_TOKENS: Final = "input_tokens"
"""Bare input tokens, Anthropic's: without the cache reads and writes."""
OUTPUT_TOKENS: Final = "output_tokens"
"""Bare output tokens."""
CACHE_READ_TOKENS: Final = "cache_read_tokens"
"""Bare cache-read input tokens."""
CACHE_CREATION_TOKENS: Final = "cache_creation_tokens"
"""Bare cache-write input tokens."""
EVENT_TOOL_OUTPUT: Final = "tool.output"
"""Event on a tool span with the tool's result (`output`), with OTEL_LOG_TOOL_CONTENT."""
TOOL_OUTPUT: Final = "output"
"""Attribute of the tool.output event."""

SPAN_TYPE_TO_RUN_TYPE: Final = {
    "interaction": "chain",
    "llm_request": "llm",
    "tool": "tool",
    "tool.execution": "chain",
    "tool.blocked_on_user": "chain",
    "hook": "chain",
}
"""span.type -> LangSmith run type: only the tool span is the tool run (its execution and its
permission wait are steps inside it, though they carry the tool's GenAI keys too)."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (USER_PROMPT,)
"""The interaction's prompt."""
OUTPUT_CONTENT_EVENTS: Final = (EVENT_TOOL_OUTPUT,)
"""A tool's result (its `output` attribute)."""
