"""Chat messages of a run in the GenAI semantic conventions' shape (role + parts).

Runs carry messages in the shapes their SDKs write: OpenAI chat completions
(`{"role", "content", "tool_calls"}`, outputs as `choices`), LangChain (serialized
`{"lc": 1, "id": [..., "HumanMessage"], "kwargs": {...}}` objects, `[[...]]` batches,
`generations` outputs, `{"type": "human", ...}` dicts), Anthropic content blocks, and plain
`{"prompts": [...]}` for completion models. Each becomes
`{"role", "parts": [...], "finish_reason"?}` with text, tool_call, tool_call_response, uri,
reasoning and (for anything else) generic parts.

Everything here is tolerant: a shape it does not know gives None, never an error. These
attributes are for other backends; spans -> runs gets the exact inputs and outputs back from
`gen_ai.prompt` / `gen_ai.completion`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import orjson

from otel_runs.convert.attachments import REFERENCE_KEY

Message = dict[str, Any]
Part = dict[str, Any]

_ROLES: Final = {
    "human": "user",
    "user": "user",
    "ai": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "system": "system",
    "developer": "system",
    "tool": "tool",
    "function": "tool",
}
# LangChain class names (last element of a serialized "id") -> role.
_CLASS_ROLES: Final = {
    "HumanMessage": "user",
    "HumanMessageChunk": "user",
    "AIMessage": "assistant",
    "AIMessageChunk": "assistant",
    "SystemMessage": "system",
    "SystemMessageChunk": "system",
    "ToolMessage": "tool",
    "ToolMessageChunk": "tool",
    "FunctionMessage": "tool",
    "ChatMessage": "user",
}


def _arguments(raw: object) -> object:
    """Tool call arguments as an object when they are JSON text (OpenAI sends text)."""
    if isinstance(raw, str):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # NaN, integers beyond 64 bits...: the standard library may still read them
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _tool_call(call: object) -> Part | None:
    if not isinstance(call, dict):
        return None
    function = call.get("function")
    if isinstance(function, dict):  # OpenAI
        name, args = function.get("name"), function.get("arguments")
    else:  # LangChain: {"name", "args", "id"}; Anthropic tool_use: {"name", "input", "id"}
        name = call.get("name")
        args = call.get("args", call.get("input", call.get("arguments")))
    part: Part = {"type": "tool_call", "name": str(name) if name is not None else ""}
    if call.get("id") is not None:
        part["id"] = str(call["id"])
    if args is not None:
        part["arguments"] = _arguments(args)
    return part


def _block(block: object) -> Part | None:
    """One content block (OpenAI, Anthropic or LangChain) as a GenAI part."""
    if isinstance(block, str):
        return {"type": "text", "content": block}
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "content": str(block.get("text", block.get("content", "")))}
    if kind == "image_url":
        image = block.get("image_url")
        if isinstance(image, dict) and image.get(REFERENCE_KEY) is not None:
            # A data: URL spans -> runs moved into an attachment (convert/attachments.py).
            moved = {"type": "blob", "modality": "image", REFERENCE_KEY: image[REFERENCE_KEY]}
            if "truncated" in image:
                moved["truncated"] = image["truncated"]
            return moved
        url = image.get("url") if isinstance(image, dict) else image
        return {"type": "uri", "modality": "image", "uri": str(url)}
    if kind in ("thinking", "reasoning"):
        text = block.get("thinking", block.get("reasoning", block.get("text", "")))
        return {"type": "reasoning", "content": str(text)}
    if kind == "tool_use":
        return _tool_call(block)
    if kind == "tool_result":
        part: Part = {"type": "tool_call_response", "response": block.get("content")}
        if block.get("tool_use_id") is not None:
            part["id"] = str(block["tool_use_id"])
        return part
    return {str(k): v for k, v in block.items()}  # a generic part keeps its own type


def _parts(content: object) -> list[Part]:
    if type(content) is str:  # the common case first
        return [{"type": "text", "content": content}] if content else []
    if content is None or content == "":
        return []
    if isinstance(content, list):
        return [part for block in content if (part := _block(block)) is not None]
    part = _block(content if isinstance(content, (str, dict)) else str(content))
    return [part] if part is not None else []


def _fields(message: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    """The role and the message body of any supported message shape."""
    role = message.get("role")
    if type(role) is str and "lc" not in message and "data" not in message:
        return _ROLES.get(role, role), message  # an OpenAI-style dict (what the rest ends with)
    if message.get("lc") == 1 and isinstance(message.get("kwargs"), dict):
        ident = message.get("id")
        cls = ident[-1] if isinstance(ident, list) and ident else None
        kwargs = message["kwargs"]
        role = _CLASS_ROLES.get(str(cls)) or _ROLES.get(str(kwargs.get("type", "")))
        if cls == "ChatMessage" and isinstance(kwargs.get("role"), str):
            role = _ROLES.get(kwargs["role"], kwargs["role"])
        return role, kwargs
    if isinstance(message.get("data"), dict) and "type" in message:  # messages_to_dict
        return _ROLES.get(str(message["type"])), message["data"]
    raw = message.get("role", message.get("type"))
    return (_ROLES.get(str(raw), str(raw)) if raw is not None else None), message


def to_genai(message: object, default_role: str = "user") -> Message | None:
    """One message as a GenAI message; None for something that is not a message."""
    if type(message) is not dict:  # (a plain dict, the common case, goes straight on)
        if isinstance(message, str):
            return {"role": default_role, "parts": [{"type": "text", "content": message}]}
        if isinstance(message, (list, tuple)) and len(message) == 2 and isinstance(message[0], str):
            role = _ROLES.get(message[0], message[0])  # LangChain ("human", "text") tuples
            return {"role": role, "parts": _parts(message[1])}
        if not isinstance(message, dict):
            return None
    found_role: str | None
    body: Mapping[str, Any]
    given = message.get("role")
    if type(given) is str and "lc" not in message and "data" not in message:
        found_role, body = _ROLES.get(given, given), message  # `_fields`' first case, inline
    else:
        found_role, body = _fields(message)
    if found_role is None and "content" not in body:
        return None
    role = found_role or default_role
    content = body.get("content")
    parts: list[Part]
    if type(content) is str:  # `_parts`' first case, inline
        parts = [{"type": "text", "content": content}] if content else []
    else:
        parts = _parts(content)
    calls = body.get("tool_calls")
    for call in calls if isinstance(calls, list) else ():
        part = _tool_call(call)
        if part is not None:
            parts.append(part)
    if role == "tool":
        response = body.get("content")
        parts = [{"type": "tool_call_response", "response": response}]
        call_id = body.get("tool_call_id")
        if call_id is not None:
            parts[0]["id"] = str(call_id)
    out: Message = {"role": role, "parts": parts}
    if isinstance(body.get("name"), str) and role != "tool":
        out["name"] = body["name"]
    return out


def _message_list(raw: object) -> list[Message] | None:
    if not isinstance(raw, list):
        return None
    items: list[Any] = raw
    if items and isinstance(items[0], list) and all(isinstance(item, list) for item in items):
        items = items[0]  # LangChain batches: [[messages of the first prompt], ...]
    found = []
    for item in items:  # (a loop: a comprehension costs more on a few messages)
        message = to_genai(item)
        if message is not None:
            found.append(message)
    return found or None


def input_messages(inputs: Mapping[str, Any]) -> list[Message] | None:
    """`gen_ai.input.messages` of an LLM run's inputs."""
    messages = _message_list(inputs.get("messages"))
    if messages is None and isinstance(inputs.get("prompts"), list):
        messages = [
            {"role": "user", "parts": [{"type": "text", "content": str(prompt)}]}
            for prompt in inputs["prompts"]
        ] or None
    if messages is None and isinstance(inputs.get("prompt"), str):
        messages = [{"role": "user", "parts": [{"type": "text", "content": inputs["prompt"]}]}]
    return messages


def system_instructions(inputs: Mapping[str, Any]) -> list[Part] | None:
    """`gen_ai.system_instructions`: a system prompt given apart from the messages."""
    parts = _parts(inputs.get("system"))
    return parts or None


def _finish(message: Message, reason: object) -> Message:
    if isinstance(reason, str) and reason:
        message["finish_reason"] = reason
    return message


def output_messages(outputs: Mapping[str, Any]) -> list[Message] | None:
    """`gen_ai.output.messages` of an LLM run's outputs."""
    choices = outputs.get("choices")
    if isinstance(choices, list):
        found = []
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            body = choice.get("message", choice.get("text"))
            message = to_genai(body, "assistant")
            if message is not None:
                found.append(_finish(message, choice.get("finish_reason")))
        return found or None
    generations = outputs.get("generations")
    if isinstance(generations, list):
        if generations and all(isinstance(g, list) for g in generations):
            generations = generations[0]
        found = []
        for generation in generations:
            if not isinstance(generation, dict):
                continue
            message = to_genai(generation.get("message", generation.get("text")), "assistant")
            info = generation.get("generation_info")
            if message is not None:
                reason = info.get("finish_reason") if isinstance(info, dict) else None
                found.append(_finish(message, reason))
        return found or None
    listed = _message_list(outputs.get("messages"))
    if listed is not None:
        return listed
    for key in ("output", "message"):
        if isinstance(outputs.get(key), dict):
            message = to_genai(outputs[key], "assistant")
            if message is not None:
                return [message]
    if "content" in outputs and ("role" in outputs or "type" in outputs or "lc" in outputs):
        message = to_genai(outputs, "assistant")
        if message is not None:
            return [_finish(message, outputs.get("stop_reason", outputs.get("finish_reason")))]
    return None


FINISH_REASON_KEYS: Final = ("choices", "stop_reason", "finish_reason", "generations")
"""The output keys `finish_reasons` reads."""


def finish_reasons(outputs: Mapping[str, Any]) -> list[str] | None:
    """Finish reasons as the langsmith SDK's exporter finds them (choices, then top level),
    then LangChain generations."""
    reasons: list[str] = []
    choices = outputs.get("choices")
    if isinstance(choices, list):
        for c in choices:  # (a loop: a comprehension costs more on the one choice there is)
            if isinstance(c, dict) and c.get("finish_reason"):
                reasons.append(str(c["finish_reason"]))
    if not reasons:
        for key in ("stop_reason", "finish_reason"):
            if outputs.get(key):
                return [str(outputs[key])]
    if not reasons and "generations" in outputs:
        for message in output_messages(outputs) or ():
            if "finish_reason" in message:
                reasons.append(str(message["finish_reason"]))
    return reasons or None
