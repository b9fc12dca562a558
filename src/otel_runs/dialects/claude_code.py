"""Claude Code's traces (the CLI the Claude Agent SDK drives)."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import claude_code as cc
from otel_runs.conventions import genai as g
from otel_runs.dialects import provider_usage
from otel_runs.dialects.coerce import as_int, as_str
from otel_runs.dialects.view import SpanView


def _is_claude_code(v: SpanView) -> bool:
    return v.record.scope_name.startswith(cc.SCOPE_PREFIX)


def run_type(v: SpanView) -> str | None:
    """`span.type`: only `tool` is a tool run, `llm_request` an llm run."""
    if not _is_claude_code(v):
        return None
    kind = as_str(v.peek(cc.SPAN_TYPE))
    found = cc.SPAN_TYPE_TO_RUN_TYPE.get(kind or "")
    if found is not None:
        v.consume(cc.SPAN_TYPE)
    return found


def prompt(v: SpanView) -> dict[str, Any] | None:
    """An interaction's `user_prompt`."""
    if not _is_claude_code(v):
        return None
    text = as_str(v.get(cc.USER_PROMPT))
    return {"input": text} if text is not None else None


def tool_output(v: SpanView) -> dict[str, Any] | None:
    """A tool span's `tool.output` event."""
    if not _is_claude_code(v):
        return None
    for _, event in v.events_named(cc.EVENT_TOOL_OUTPUT):
        text = as_str(event.attributes.get(cc.TOOL_OUTPUT))
        if text is not None:
            return {"output": text}
    return None


def usage(v: SpanView) -> dict[str, Any] | None:
    """The bare `input_tokens` / `output_tokens` / `cache_*_tokens` (Anthropic's counts, input
    without the cache), for CLI versions that do not also write `gen_ai.usage.*`."""
    if not _is_claude_code(v) or g.USAGE_INPUT_TOKENS in v.attrs:
        return None
    raw = {
        "input_tokens": as_int(v.peek(cc.INPUT_TOKENS)),
        "output_tokens": as_int(v.peek(cc.OUTPUT_TOKENS)),
        "cache_read_input_tokens": as_int(v.peek(cc.CACHE_READ_TOKENS)),
        "cache_creation_input_tokens": as_int(v.peek(cc.CACHE_CREATION_TOKENS)),
    }
    found = provider_usage.anthropic({k: n for k, n in raw.items() if n is not None})
    if found is not None:
        v.consume(cc.INPUT_TOKENS, cc.OUTPUT_TOKENS, cc.CACHE_READ_TOKENS, cc.CACHE_CREATION_TOKENS)
    return found
