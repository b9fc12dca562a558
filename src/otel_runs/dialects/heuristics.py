"""Last-resort run-type inference for spans that name no kind."""

from __future__ import annotations

from otel_runs.conventions import genai as g
from otel_runs.conventions import openinference as oi
from otel_runs.dialects.view import SpanView

_TOOL_KEYS = (g.TOOL_NAME, g.TOOL_CALL_ID, oi.TOOL_NAME)
_MODEL_KEYS = (g.REQUEST_MODEL, g.RESPONSE_MODEL, oi.LLM_MODEL_NAME)
_USAGE_OR_MESSAGES = (
    g.USAGE_INPUT_TOKENS, g.USAGE_OUTPUT_TOKENS, g.USAGE_PROMPT_TOKENS, oi.TOKEN_COUNT_PROMPT,
    g.INPUT_MESSAGES, g.OUTPUT_MESSAGES,
)  # fmt: skip


_KEYS = frozenset((*_TOOL_KEYS, oi.LLM_PROMPT_TEMPLATE_VARIABLES, *_MODEL_KEYS))


def may_apply(key: str) -> bool:
    """Whether a key is one `run_type` looks at (without one, it finds nothing)."""
    return key in _KEYS


def run_type(v: SpanView) -> str | None:
    """Tool attributes -> tool; a prompt template -> prompt; a model with usage or messages -> llm.

    A model attribute alone is not enough: agent spans carry one too, and calling them llm runs
    would count their tokens twice.
    """
    attrs = v.attrs
    if any(key in attrs for key in _TOOL_KEYS):
        return "tool"
    if oi.LLM_PROMPT_TEMPLATE_VARIABLES in attrs:
        return "prompt"
    if any(key in attrs for key in _MODEL_KEYS) and any(k in attrs for k in _USAGE_OR_MESSAGES):
        return "llm"
    return None
