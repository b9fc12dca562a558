"""Vercel AI SDK 4-6 (`ai.*` attributes): run types from `ai.operationId`, AI SDK messages, tool
calls, embeddings, settings and telemetry metadata.

Spans: a top-level span per call the app made (`ai.generateText`, `ai.embed`...: chains, named by
the app's `functionId`), a span per model call below it (`...doGenerate`, `...doStream`,
`...doEmbed`: llm/embedding runs) and one per tool execution (`ai.toolCall`: tool runs named by
the tool).
"""

from __future__ import annotations

import re
from typing import Any

from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import vercel_ai as ai
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_list, as_str, json_or_text, loads, to_jsonable
from otel_runs.dialects.view import SpanView

_THREAD_KEYS = (*ls.META_THREAD_KEYS, "threadId", "sessionId", "conversationId")
_USER_KEYS = (ls.META_USER_ID, "userId")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _operation(v: SpanView) -> str | None:
    return as_str(v.peek(ai.OPERATION_ID))


def run_type(v: SpanView) -> str | None:
    """`ai.operationId`: model calls -> llm, `doEmbed` -> embedding, `ai.toolCall` -> tool,
    other `ai.*` operations (the calls the app made) -> chain."""
    op = _operation(v)
    if op is None:
        return None
    if op in ai.OPS_LLM:
        return "llm"
    if op in ai.OPS_EMBEDDING:
        return "embedding"
    if op in ai.OPS_TOOL:
        return "tool"
    return "chain"


def tool_name(v: SpanView) -> str | None:
    """`ai.toolCall.name`, the name of a tool run."""
    if v.run_type != "tool":
        return None
    return as_str(v.get(ai.TOOL_CALL_NAME))


def function_name(v: SpanView) -> str | None:
    """`ai.telemetry.functionId` names the call the app made (not the model calls below it)."""
    if _operation(v) not in ai.OPS_TOP_LEVEL:
        return None
    return as_str(v.get(ai.TELEMETRY_FUNCTION_ID))


def prompt_messages(v: SpanView) -> dict[str, Any] | None:
    """`ai.prompt.messages` as OpenAI messages, with `ai.prompt.tools` as `tools`."""
    msgs = m.from_ai_sdk(v.peek(ai.PROMPT_MESSAGES))
    if msgs is None:
        return None
    v.consume(ai.PROMPT_MESSAGES)
    inputs: dict[str, Any] = {"messages": msgs}
    tools = m.ai_sdk_tools(v.peek(ai.PROMPT_TOOLS))
    if tools:
        v.consume(ai.PROMPT_TOOLS)
        inputs["tools"] = tools
    return inputs


def prompt(v: SpanView) -> dict[str, Any] | None:
    """`ai.prompt`: the prompt arguments of the call the app made (`system`, `prompt`...)."""
    return json_or_text(v.get(ai.PROMPT), "input")


def tool_args(v: SpanView) -> dict[str, Any] | None:
    """`ai.toolCall.args` (or `.input`) of a tool run."""
    return json_or_text(v.get(ai.TOOL_CALL_ARGS), "input") or json_or_text(
        v.get(ai.TOOL_CALL_INPUT), "input"
    )


def _decoded(value: object) -> Any:
    decoded = loads(value)
    return to_jsonable(value) if decoded is None else decoded


def _one_or_many(v: SpanView, one: str, many: str) -> Any:
    """The decoded value of `one`, else the list of decoded elements of `many`, else None."""
    value = v.get(one)
    if value is not None:
        return _decoded(value)
    values = as_list(v.get(many))
    return None if values is None else [_decoded(item) for item in values]


def embed_values(v: SpanView) -> dict[str, Any] | None:
    """`ai.value` / `ai.values` (each a JSON text) as `{"input": ...}`."""
    found = _one_or_many(v, ai.VALUE, ai.VALUES)
    return None if found is None else {"input": found}


def _finish_reason(v: SpanView) -> str | None:
    reason = as_str(v.get(ai.RESPONSE_FINISH_REASON))
    if reason is None:
        return None
    return ai.FINISH_REASONS.get(reason, reason)


def response(v: SpanView) -> dict[str, Any] | None:
    """A model call's answer as an OpenAI choice (text, tool calls, or the object's JSON text);
    for the other spans the object, or the text as `{"output": text}`."""
    text = v.get(ai.RESPONSE_TEXT)
    if text is None:
        text = v.get(ai.RESULT_TEXT)
    calls = m.ai_sdk_tool_calls(v.get(ai.RESPONSE_TOOL_CALLS) or v.get(ai.RESULT_TOOL_CALLS))
    obj = v.get(ai.RESPONSE_OBJECT)
    if obj is None:
        obj = v.get(ai.RESULT_OBJECT)
    if v.run_type != "llm":
        if obj is not None:
            return json_or_text(obj, "output")
        if text is not None or calls:
            out: dict[str, Any] = {"output": to_jsonable(text) if text is not None else ""}
            if calls:
                out["tool_calls"] = calls
            return out
        return None
    if text is None and obj is None and not calls:
        return None
    content = as_str(text) or (obj if isinstance(obj, str) else None)
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    choice: dict[str, Any] = {"index": 0, "message": message}
    finish = _finish_reason(v)
    if finish is not None:
        choice["finish_reason"] = finish
    return {"choices": [choice]}


def tool_result(v: SpanView) -> dict[str, Any] | None:
    """`ai.toolCall.result` (or `.output`) of a tool run."""
    return json_or_text(v.get(ai.TOOL_CALL_RESULT), "output") or json_or_text(
        v.get(ai.TOOL_CALL_OUTPUT), "output"
    )


def embeddings(v: SpanView) -> dict[str, Any] | None:
    """`ai.embedding` / `ai.embeddings` (each a JSON text) as the vector or vectors."""
    found = _one_or_many(v, ai.EMBEDDING, ai.EMBEDDINGS)
    if found is None:
        return None
    return {"embeddings" if ai.EMBEDDING not in v.attrs else "embedding": found}


def model(v: SpanView) -> str | None:
    """`ai.response.model`, else the requested `ai.model.id`."""
    return as_str(v.get(ai.RESPONSE_MODEL)) or as_str(v.get(ai.MODEL_ID))


def provider(v: SpanView) -> str | None:
    """`ai.model.provider` (`openai.chat`...; the provider table maps it)."""
    return as_str(v.get(ai.MODEL_PROVIDER))


def streaming(v: SpanView) -> bool | None:
    """True for `streamText`/`streamObject` and their model calls."""
    return True if _operation(v) in ai.OPS_STREAMING else None


def settings(v: SpanView) -> dict[str, Any] | None:
    """`ai.settings.*` with LangChain's parameter names (`maxOutputTokens` -> `max_tokens`)."""
    found = v.prefixed(ai.SETTINGS_PREFIX)
    if not found:
        return None
    return {
        ai.SETTING_NAMES.get(key, _CAMEL.sub("_", key).lower()): to_jsonable(value)
        for key, value in found.items()
    }


def metadata(v: SpanView) -> dict[str, Any] | None:
    """`ai.telemetry.metadata.*`: the metadata the app gave the call."""
    found = v.prefixed(ai.TELEMETRY_METADATA_PREFIX)
    return {key: to_jsonable(value) for key, value in found.items()} or None


def _meta_value(v: SpanView, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = v.peek(ai.TELEMETRY_METADATA_PREFIX + key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None


def thread_id(v: SpanView) -> str | None:
    """A thread id in the call's metadata (`thread_id`, `session_id`, `sessionId`...)."""
    return _meta_value(v, _THREAD_KEYS)


def user_id(v: SpanView) -> str | None:
    """A user id in the call's metadata (`user_id`, `userId`)."""
    return _meta_value(v, _USER_KEYS)
