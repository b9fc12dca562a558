"""Gemini API requests and responses (google-genai's objects dumped, snake_case or camelCase)
-> the OpenAI shapes LangSmith renders.

`config.system_instruction` becomes a leading system message, `function_call` parts become
`tool_calls`, `function_response` parts become `tool` messages, role `model` is `assistant`,
and function declarations become OpenAI functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_list, as_str, dumps, to_jsonable

Message = dict[str, Any]


def _field(data: Mapping[str, Any], snake: str, camel: str) -> Any:
    return data.get(snake, data.get(camel))


def _text_of(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        parts = as_list(value.get("parts")) or []
        texts = [str(p["text"]) for p in parts if isinstance(p, Mapping) and "text" in p]
        return "".join(texts) if texts else None
    return None


def _content(role: str, parts: list[Any]) -> list[Message]:
    out: list[Message] = []
    texts: list[str] = []
    others: list[Any] = []
    calls: list[dict[str, Any]] = []
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        call = _field(part, "function_call", "functionCall")
        result = _field(part, "function_response", "functionResponse")
        if isinstance(call, Mapping):
            calls.append(m.tool_call(call.get("id"), call.get("name"), call.get("args") or {}))
        elif isinstance(result, Mapping):
            response = result.get("response")
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": as_str(result.get("id")) or as_str(result.get("name")) or "",
                    "content": response
                    if isinstance(response, str)
                    else dumps(to_jsonable(response)),
                }
            )
        elif "text" in part and not part.get("thought"):
            texts.append(str(part["text"]))
        elif "text" not in part:
            others.append(to_jsonable(part))
    if texts or calls or others:
        message: Message = {"role": "assistant" if role == "model" else role}
        if others:
            message["content"] = [{"type": "text", "text": t} for t in texts] + others
        else:
            message["content"] = "".join(texts) if texts else None
        if calls:
            message["tool_calls"] = calls
        out.insert(0, message)
    return out


def _tools(config: Mapping[str, Any]) -> list[Any]:
    out = []
    for tool in as_list(config.get("tools")) or []:
        if not isinstance(tool, Mapping):
            continue
        for declaration in (
            as_list(_field(tool, "function_declarations", "functionDeclarations")) or []
        ):
            if isinstance(declaration, Mapping) and "name" in declaration:
                function = {k: to_jsonable(v) for k, v in declaration.items()}
                out.append({"type": "function", "function": function})
    return out


def request_inputs(request: Mapping[str, Any]) -> dict[str, Any] | None:
    """A generate_content request (`contents`, `config`) -> `{"messages", "tools"}`."""
    contents = as_list(request.get("contents"))
    if contents is None:
        return None
    config = request.get("config")
    config = config if isinstance(config, Mapping) else {}
    out: list[Message] = []
    system = _text_of(_field(config, "system_instruction", "systemInstruction"))
    if system:
        out.append({"role": "system", "content": system})
    for item in contents:
        if isinstance(item, Mapping):
            out.extend(_content(str(item.get("role") or "user"), as_list(item.get("parts")) or []))
    inputs: dict[str, Any] = {"messages": out}
    tools = _tools(config)
    if tools:
        inputs["tools"] = tools
    return inputs


def response_outputs(response: Mapping[str, Any]) -> dict[str, Any] | None:
    """One candidate's worth of response (`content`, `finish_reason`) -> `{"choices": [...]}`."""
    content = response.get("content")
    if not isinstance(content, Mapping):
        return None
    found = _content("model", as_list(content.get("parts")) or [])
    message = found[0] if found else {"role": "assistant", "content": None}
    finish = as_str(_field(response, "finish_reason", "finishReason"))
    return {
        "choices": [
            {"index": 0, "message": message, "finish_reason": finish.lower() if finish else None}
        ]
    }
