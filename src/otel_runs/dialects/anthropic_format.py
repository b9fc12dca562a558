"""Anthropic Messages API requests and responses -> the OpenAI shapes LangSmith renders.

For instrumentations that record the client's request and response objects as they are
(MLflow's anthropic autolog): `system` becomes a leading system message, `tool_use` blocks
become `tool_calls`, `tool_result` blocks become `tool` messages, tools get OpenAI's
`{"type": "function", "function": {"name", "description", "parameters"}}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_list, as_str, to_jsonable

Message = dict[str, Any]

STOP_REASONS: Final = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
}
"""Anthropic stop_reason -> OpenAI finish_reason; others are kept as they are."""


def _text(content: object) -> str | None:
    if isinstance(content, str):
        return content
    blocks = as_list(content) or []
    texts = [
        str(b.get("text", "")) for b in blocks if isinstance(b, Mapping) and b.get("type") == "text"
    ]
    return "".join(texts) if texts else None


def _message(role: str, content: object) -> list[Message]:
    """One Anthropic message -> OpenAI messages (tool results are messages of their own)."""
    if not isinstance(content, list):
        return [{"role": role, "content": to_jsonable(content)}]
    out: list[Message] = []
    parts: list[Any] = []
    calls: list[dict[str, Any]] = []
    for block in content:
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "tool_use":
            calls.append(m.tool_call(block.get("id"), block.get("name"), block.get("input")))
        elif kind == "tool_result":
            result = _text(block.get("content"))
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": as_str(block.get("tool_use_id")) or "",
                    "content": result if result is not None else to_jsonable(block.get("content")),
                }
            )
        elif kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        else:
            parts.append(to_jsonable(block))
    if parts or calls:
        text_only = all(isinstance(p, dict) and p.get("type") == "text" for p in parts)
        message: Message = {"role": role}
        if text_only:
            message["content"] = "".join(p["text"] for p in parts) if parts else None
        else:
            message["content"] = parts
        if calls:
            message["tool_calls"] = calls
        out.insert(0, message)
    return out


def tools(raw: object) -> list[Any]:
    """Anthropic tool definitions (`input_schema`) in OpenAI's nested form."""
    out = []
    for tool in as_list(raw) or []:
        if isinstance(tool, Mapping) and "name" in tool and "function" not in tool:
            function = {"name": tool["name"]}
            if tool.get("description") is not None:
                function["description"] = tool["description"]
            if tool.get("input_schema") is not None:
                function["parameters"] = to_jsonable(tool["input_schema"])
            out.append({"type": "function", "function": function})
        else:
            out.append(to_jsonable(tool))
    return out


def request_inputs(request: Mapping[str, Any]) -> dict[str, Any] | None:
    """A Messages API request body -> `{"messages": [...], "tools": [...]}`."""
    raw_messages = as_list(request.get("messages"))
    if raw_messages is None:
        return None
    out: list[Message] = []
    system = _text(request.get("system"))
    if system:
        out.append({"role": "system", "content": system})
    for item in raw_messages:
        if isinstance(item, Mapping):
            out.extend(_message(str(item.get("role", "user")), item.get("content")))
    inputs: dict[str, Any] = {"messages": out}
    offered = tools(request.get("tools"))
    if offered:
        inputs["tools"] = offered
    return inputs


def response_outputs(response: Mapping[str, Any]) -> dict[str, Any] | None:
    """A Messages API response (a `message`) -> `{"choices": [...]}`."""
    if "content" not in response:
        return None
    found = _message("assistant", response.get("content"))
    message = found[0] if found else {"role": "assistant", "content": None}
    stop = as_str(response.get("stop_reason"))
    message.setdefault("content", None)
    return {
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": STOP_REASONS.get(stop, stop) if stop else None,
            }
        ]
    }
