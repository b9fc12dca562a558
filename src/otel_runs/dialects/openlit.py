"""OpenLIT: GenAI conventions plus workflow input/output, and Python reprs where JSON belongs.

OpenLIT's LangChain instrumentation writes an agent's input and output as
`gen_ai.workflow.{input,output}` (the messages in them as LangChain's `str(message)`), a tool's
arguments as a Python dict repr and its result as the ToolMessage's `str()`. These getters read
them back for spans of OpenLIT's scopes only.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Final

from otel_runs.conventions import genai as g
from otel_runs.conventions import openlit as olt
from otel_runs.dialects.coerce import as_str, json_or_text, loads
from otel_runs.dialects.view import SpanView

_CONTENT: Final = re.compile(r"""^content=(?P<q>'|")(?P<body>(?:\\.|(?!(?P=q)).)*)(?P=q)""", re.S)
"""The `content='...'` that starts `str()` of a LangChain message."""


def _is_openlit(v: SpanView) -> bool:
    return v.record.scope_name.startswith(olt.SCOPE_PREFIX)


def _message_content(text: str) -> str | None:
    """The content of a LangChain message's `str()`, or None when it is not one."""
    found = _CONTENT.match(text)
    if found is None:
        return None
    try:
        value = ast.literal_eval(found["q"] + found["body"] + found["q"])
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _role(text: str) -> str:
    """A LangChain message's role from what its `str()` shows (the class is not in it)."""
    if " tool_call_id=" in text:
        return "tool"
    if " tool_calls=" in text or " usage_metadata=" in text or "'token_usage'" in text:
        return "assistant"
    return "user"


def _python_dict(value: object) -> dict[str, Any] | None:
    text = as_str(value)
    if text is None or not text.startswith("{"):
        return None
    try:
        found = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


def workflow_input(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.workflow.input`."""
    return json_or_text(v.get(olt.WORKFLOW_INPUT), "input")


def workflow_output(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.workflow.output`; LangChain message reprs become `{role, content}`, and the last
    message's content is the `output`."""
    raw = v.get(olt.WORKFLOW_OUTPUT)
    decoded = loads(raw)
    if not isinstance(decoded, dict) or not isinstance(decoded.get("messages"), list):
        return json_or_text(raw, "output")
    messages: list[Any] = []
    for item in decoded["messages"]:
        content = _message_content(item) if isinstance(item, str) else None
        messages.append(item if content is None else {"role": _role(item), "content": content})
    out: dict[str, Any] = {**decoded, "messages": messages}
    last = messages[-1] if messages else None
    if isinstance(last, dict) and last.get("role") == "assistant":
        out["output"] = last.get("content")
    return out


def tool_arguments(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.tool.call.arguments` written as a Python dict repr."""
    if not _is_openlit(v):
        return None
    found = _python_dict(v.peek(g.TOOL_CALL_ARGUMENTS))
    if found is not None:
        v.consume(g.TOOL_CALL_ARGUMENTS)
    return found


def tool_result(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.tool.call.result` written as a ToolMessage's `str()`: its content."""
    if not _is_openlit(v):
        return None
    text = as_str(v.peek(g.TOOL_CALL_RESULT))
    content = _message_content(text) if text else None
    if content is None:
        return None
    v.consume(g.TOOL_CALL_RESULT)
    return {"output": content}
