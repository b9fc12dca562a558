"""Chat messages in the shape LangSmith renders: OpenAI chat-completions messages.

LLM runs get `inputs = {"messages": [...], "tools": [...]}` and
`outputs = {"choices": [{"index", "message", "finish_reason"}]}` (LangSmith's documented OpenAI
format). This module turns every convention's message encoding into that shape: GenAI `parts`
messages, flattened OpenInference/OpenLLMetry keys, and deprecated per-message events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from otel_runs.conventions.genai import FINISH_TOOL_CALL
from otel_runs.dialects.coerce import as_list, as_object, as_str, dumps, loads, to_jsonable

Message = dict[str, Any]

MAX_ARRAY_SLOTS: Final = 10_001
"""Largest index rebuilt from flattened keys (guards against `9999999.content` memory bombs)."""


def _arguments_text(arguments: object) -> str:
    if isinstance(arguments, str):
        return arguments
    return dumps(to_jsonable(arguments))


def _result_text(result: object) -> str:
    if isinstance(result, str):
        return result
    text = converse_text(result)  # Converse `[{"text": ...}]` tool results (Strands)
    if text is not None:
        return text
    return dumps(to_jsonable(result))


def tool_call(call_id: object, name: object, arguments: object) -> dict[str, Any]:
    """An OpenAI tool_call entry."""
    entry: dict[str, Any] = {
        "type": "function",
        "function": {"name": as_str(name) or "", "arguments": _arguments_text(arguments)},
    }
    if call_id is not None:
        entry["id"] = str(call_id)
    return entry


def _content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]] | None:
    if not parts:
        return None
    if len(parts) == 1 and parts[0].get("type") == "text":
        return str(parts[0].get("text", ""))
    return parts


def from_genai(messages: object) -> list[Message] | None:
    """GenAI `gen_ai.{input,output}.messages` (role + parts) to OpenAI messages.

    Tool results become their own `tool` messages; finish_reason is kept on the message.
    """
    items = as_list(messages)
    if items is None:
        return None
    out: list[Message] = []
    for item in items:
        if not isinstance(item, (dict, Mapping)):  # (dict first: no ABC check for dicts)
            continue
        role = as_str(item.get("role")) or "user"
        parts = item.get("parts")
        if not isinstance(parts, list):
            # Already OpenAI-shaped (some emitters put content directly).
            out.append({str(k): to_jsonable(v) for k, v in item.items()})
            continue
        content: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        for part in parts:
            if not isinstance(part, (dict, Mapping)):
                continue
            kind = part.get("type")
            if kind == "text":
                content.append({"type": "text", "text": str(part.get("content", ""))})
            elif kind == "tool_call":
                calls.append(tool_call(part.get("id"), part.get("name"), part.get("arguments")))
            elif kind == "tool_call_response":
                result = part.get("response", part.get("result"))  # spec name, pydantic-ai's
                tool_msg: Message = {"role": "tool", "content": _result_text(result)}
                if part.get("id") is not None:
                    tool_msg["tool_call_id"] = str(part.get("id"))
                out.append(tool_msg)
            elif kind == "reasoning":
                content.append({"type": "reasoning", "reasoning": str(part.get("content", ""))})
            else:
                content.append({str(k): to_jsonable(v) for k, v in part.items()})
        if not content and not calls and role == "tool":
            continue
        if not content and not calls and any(m.get("role") == "tool" for m in out[-1:]):
            continue
        message: Message = {"role": role, "content": _content(content)}
        if calls:
            message["tool_calls"] = calls
        if item.get("name") is not None:
            message["name"] = str(item.get("name"))
        if item.get("finish_reason") is not None:
            message["finish_reason"] = str(item.get("finish_reason"))
        out.append(message)
    return out


def system_messages(instructions: object) -> list[Message]:
    """`gen_ai.system_instructions` (a list of parts, or text) as system messages."""
    items = as_list(instructions)
    if items is None:
        text = as_str(instructions)
        return [{"role": "system", "content": text}] if text else []
    texts = [
        str(p.get("content", ""))
        for p in items
        if isinstance(p, Mapping) and p.get("type") == "text"
    ]
    return [{"role": "system", "content": "\n\n".join(texts)}] if texts else []


def openai_tools(tools: list[Any]) -> list[Any]:
    """GenAI's flat tool definitions (`{"type", "name", "parameters"}`) in OpenAI's nested form."""
    out = []
    for tool in tools:
        if isinstance(tool, Mapping) and "function" not in tool and "name" in tool:
            function = {k: to_jsonable(v) for k, v in tool.items() if k != "type"}
            if "input_schema" in function and "parameters" not in function:
                # Anthropic's definitions, as OpenLLMetry and Logfire pass them through.
                function["parameters"] = function.pop("input_schema")
            out.append({"type": str(tool.get("type", "function")), "function": function})
        else:
            out.append(to_jsonable(tool))
    return out


_CONTENT_KEYS: Final = ("page_content", "content", "text")


def document(item: Any, text: Any = str) -> dict[str, Any]:
    """A retrieved item as a LangChain document (`{"page_content", "metadata", "type"}`, what
    LangSmith renders for a retriever): its `page_content`, `content` or `text` as the content
    (`text` turns a value that is not a string into one), everything else in the metadata."""
    if not isinstance(item, Mapping):
        return {"page_content": text(item), "metadata": {}, "type": "Document"}
    content = next((item[k] for k in _CONTENT_KEYS if k in item), "")
    rest = {k: val for k, val in item.items() if k not in _CONTENT_KEYS}
    metadata = rest.pop("metadata", None)
    meta = {**(metadata if isinstance(metadata, dict) else {}), **rest}
    return {
        "page_content": content if isinstance(content, str) else text(content),
        "metadata": to_jsonable(meta),
        "type": "Document",
    }


def without_finish_reasons(messages: list[Message]) -> list[Message]:
    """Input messages carry no finish reason in OpenAI's format."""
    for message in messages:
        message.pop("finish_reason", None)
    return messages


def as_choices(messages: list[Message]) -> dict[str, Any]:
    """Output messages as an OpenAI `choices` object; finish_reason moves to the choice."""
    choices = []
    for index, original in enumerate(messages):
        message = dict(original)
        finish = message.pop("finish_reason", None)
        if finish == FINISH_TOOL_CALL:
            finish = "tool_calls"
        choice: dict[str, Any] = {"index": index, "message": message}
        if finish is not None:
            choice["finish_reason"] = finish
        choices.append(choice)
    return {"choices": choices}


def unflatten(flat: Mapping[str, Any]) -> Any:
    """Rebuild nested data from dotted keys; integer segments become list indexes.

    `{"0.message.role": "user"}` -> `[{"message": {"role": "user"}}]`. Indexes beyond
    MAX_ARRAY_SLOTS are dropped. Returns a dict when the top level is not indexed.
    """
    root: dict[str, Any] = {}
    for key, value in flat.items():
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if isinstance(node.get(parts[-1]), dict):
            node[parts[-1]]["_value"] = value
        else:
            node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        indexes = sorted(int(k) for k in node if int(k) < MAX_ARRAY_SLOTS)
        return [_lists(node[str(i)]) for i in indexes]
    return {k: _lists(v) for k, v in node.items()}


def from_openinference(flat: Mapping[str, Any]) -> list[Message] | None:
    """`llm.{input,output}_messages.{i}.message.*` (prefix removed) to OpenAI messages."""
    tree = unflatten(flat)
    if not isinstance(tree, list):
        return None
    out: list[Message] = []
    for entry in tree:
        msg = entry.get("message") if isinstance(entry, dict) else None
        if not isinstance(msg, dict):
            continue
        message: Message = {"role": as_str(msg.get("role")) or "user"}
        contents = msg.get("contents")
        if isinstance(contents, list):
            parts = []
            for item in contents:
                part = item.get("message_content") if isinstance(item, dict) else None
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "image":
                    url = part.get("image", {}).get("image", {}).get("url")
                    parts.append({"type": "image_url", "image_url": {"url": url}})
                else:
                    parts.append({"type": "text", "text": str(part.get("text", ""))})
            message["content"] = _content(parts)
        else:
            message["content"] = msg.get("content")
        calls = msg.get("tool_calls")
        if isinstance(calls, list):
            message["tool_calls"] = [
                tool_call(
                    c.get("tool_call", {}).get("id"),
                    c.get("tool_call", {}).get("function", {}).get("name"),
                    c.get("tool_call", {}).get("function", {}).get("arguments", ""),
                )
                for c in calls
                if isinstance(c, dict)
            ]
        for key in ("tool_call_id", "name"):
            if msg.get(key) is not None:
                message[key] = str(msg[key])
        out.append(message)
    return out or None


def from_indexed(flat: Mapping[str, Any]) -> list[Message] | None:
    """OpenLLMetry `gen_ai.{prompt,completion}.{i}.*` (prefix removed) to OpenAI messages."""
    tree = unflatten(flat)
    if not isinstance(tree, list):
        return None
    out: list[Message] = []
    for item in tree:
        if not isinstance(item, dict):
            continue
        entry = {**item, **item["message"]} if isinstance(item.get("message"), dict) else item
        message: Message = {"role": as_str(entry.get("role")) or "user"}
        content = entry.get("content")
        decoded = loads(content) if isinstance(content, str) else None
        message["content"] = decoded if isinstance(decoded, list) else content
        calls = entry.get("tool_calls")
        if isinstance(calls, list):
            message["tool_calls"] = [
                tool_call(c.get("id"), c.get("name"), c.get("arguments", ""))
                for c in calls
                if isinstance(c, dict)
            ]
        for key in ("tool_call_id", "name", "finish_reason"):
            if entry.get(key) is not None:
                message[key] = str(entry[key])
        out.append(message)
    return out or None


def from_event(role: str, attributes: Mapping[str, Any]) -> Message:
    """A deprecated `gen_ai.{system,user,assistant,tool}.message` event as a message."""
    message: Message = {"role": as_str(attributes.get("role")) or role}
    content = attributes.get("content")
    decoded = loads(content) if isinstance(content, str) else None
    message["content"] = decoded if isinstance(decoded, (list, dict)) else to_jsonable(content)
    calls = as_list(attributes.get("tool_calls"))
    if calls:
        message["tool_calls"] = [
            tool_call(
                c.get("id"),
                (c.get("function") or {}).get("name"),
                (c.get("function") or {}).get("arguments", ""),
            )
            for c in calls
            if isinstance(c, Mapping)
        ]
    if attributes.get("id") is not None:
        message["tool_call_id"] = str(attributes["id"])
    return message


def from_choice_event(attributes: Mapping[str, Any]) -> Message:
    """A deprecated `gen_ai.choice` event as an assistant message with its finish_reason."""
    body = as_object(attributes.get("message")) or {}
    message = from_event(
        "assistant", {**body, **{k: v for k, v in attributes.items() if k in ("tool_calls",)}}
    )
    if attributes.get("finish_reason") is not None:
        message["finish_reason"] = str(attributes["finish_reason"])
    return message


# --- Bedrock Converse content blocks (Strands Agents, Bedrock instrumentations) -------------------

CONVERSE_KEYS: Final = frozenset({"text", "toolUse", "toolResult", "reasoningContent", "image"})
"""Keys that make a dict a Converse content block."""


def is_converse(blocks: object) -> bool:
    """Whether a value is a non-empty list of Converse content blocks."""
    return (
        isinstance(blocks, list)
        and bool(blocks)
        and all(isinstance(b, Mapping) and not CONVERSE_KEYS.isdisjoint(b) for b in blocks)
    )


def converse_text(blocks: object) -> str | None:
    """The text of Converse blocks that are all text (a tool result's content), else None."""
    if not isinstance(blocks, list) or not blocks:
        return None
    texts = [b.get("text") for b in blocks if isinstance(b, Mapping)]
    if len(texts) != len(blocks) or not all(isinstance(t, str) for t in texts):
        return None
    return "".join(str(t) for t in texts)


def from_converse(role: str, blocks: list[Any]) -> list[Message]:
    """One Converse message (role + content blocks) as OpenAI messages: text as content,
    `toolUse` as tool_calls, each `toolResult` as its own `tool` message."""
    parts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    results: list[Message] = []
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        if "text" in block:
            parts.append({"type": "text", "text": str(block["text"])})
        elif isinstance(block.get("toolUse"), Mapping):
            use = block["toolUse"]
            calls.append(tool_call(use.get("toolUseId"), use.get("name"), use.get("input", {})))
        elif isinstance(block.get("toolResult"), Mapping):
            result = block["toolResult"]
            content = result.get("content")
            text = converse_text(content)
            tool_msg: Message = {
                "role": "tool",
                "content": text if text is not None else _result_text(content),
            }
            if result.get("toolUseId") is not None:
                tool_msg["tool_call_id"] = str(result["toolUseId"])
            results.append(tool_msg)
        elif isinstance(block.get("reasoningContent"), Mapping):
            reasoning = block["reasoningContent"].get("reasoningText") or {}
            parts.append({"type": "reasoning", "reasoning": str(reasoning.get("text", ""))})
        else:
            parts.append({str(k): to_jsonable(v) for k, v in block.items()})
    out: list[Message] = []
    if parts or calls:
        message: Message = {"role": role, "content": _content(parts)}
        if calls:
            message["tool_calls"] = calls
        out.append(message)
    return out + results


# --- Vercel AI SDK (issue 14, i14js) --------------------------------------------------------------


def _ai_sdk_tool_output(output: object) -> str:
    """An AI SDK tool result as text: 5+ wraps it (`{"type": "json"|"text"|"error-text"|...,
    "value"}`), 4 gives the bare result."""
    if isinstance(output, Mapping) and "value" in output and isinstance(output.get("type"), str):
        output = output["value"]
    return _result_text(output)


def _ai_sdk_part(part: Mapping[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": str(part.get("text", ""))}
    if kind == "reasoning":
        return {"type": "reasoning", "reasoning": str(part.get("text", ""))}
    if kind == "image" and isinstance(part.get("image"), str):
        return {"type": "image_url", "image_url": {"url": part["image"]}}
    return {str(k): to_jsonable(v) for k, v in part.items()}


def from_ai_sdk(messages: object) -> list[Message] | None:
    """Vercel AI SDK prompt messages (`ai.prompt.messages`: role + content parts `text`,
    `tool-call`, `tool-result`...) to OpenAI messages; each tool result is its own `tool`
    message."""
    items = as_list(messages)
    if items is None:
        return None
    out: list[Message] = []
    for item in items:
        if not isinstance(item, (dict, Mapping)):  # (dict first: no ABC check for dicts)
            continue
        role = as_str(item.get("role")) or "user"
        content = item.get("content")
        if not isinstance(content, list):
            out.append({"role": role, "content": to_jsonable(content)})
            continue
        parts: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        for part in content:
            if not isinstance(part, (dict, Mapping)):
                continue
            kind = part.get("type")
            if kind == "tool-call":
                arguments = part.get("input", part.get("args"))
                calls.append(tool_call(part.get("toolCallId"), part.get("toolName"), arguments))
            elif kind == "tool-result":
                result = part.get("output", part.get("result"))
                tool_msg: Message = {"role": "tool", "content": _ai_sdk_tool_output(result)}
                if part.get("toolCallId") is not None:
                    tool_msg["tool_call_id"] = str(part["toolCallId"])
                out.append(tool_msg)
            else:
                parts.append(_ai_sdk_part(part))
        if role == "tool" and not parts and not calls:
            continue
        message: Message = {"role": role, "content": _content(parts)}
        if calls:
            message["tool_calls"] = calls
        out.append(message)
    return out


def ai_sdk_tool_calls(calls: object) -> list[dict[str, Any]] | None:
    """`ai.response.toolCalls` (`toolCallId`, `toolName`, `input`, or AI SDK 4's `args`) as
    OpenAI tool_calls."""
    items = as_list(calls)
    if not items:
        return None
    return [
        tool_call(c.get("toolCallId"), c.get("toolName"), c.get("input", c.get("args", "")))
        for c in items
        if isinstance(c, Mapping)
    ] or None


def ai_sdk_tools(tools: object) -> list[Any] | None:
    """`ai.prompt.tools` (one JSON definition per element, the schema in `inputSchema`, or
    AI SDK 4's `parameters`) in OpenAI's tools form."""
    items = as_list(tools)
    if not items:
        return None
    out: list[Any] = []
    for raw in items:
        tool = as_object(raw)
        if tool is None or tool.get("type", "function") != "function" or "name" not in tool:
            out.append(to_jsonable(tool if tool is not None else raw))  # provider-defined tools
            continue
        function: dict[str, Any] = {"name": str(tool["name"])}
        if tool.get("description") is not None:
            function["description"] = str(tool["description"])
        schema = tool.get("inputSchema", tool.get("parameters"))
        if schema is not None:
            function["parameters"] = to_jsonable(schema)
        out.append({"type": "function", "function": function})
    return out
