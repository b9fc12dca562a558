"""Strands Agents (`strands.telemetry.tracer`): GenAI conventions with Converse content blocks.

Only spans of Strands' scope are read here; everything else Strands writes is plain GenAI and
read by the genai dialect (with the current conventions opted in, its details events too).
"""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.conventions import strands as st
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_float, as_list, as_object, as_str, loads
from otel_runs.dialects.view import SpanView

_INPUT_EVENT_ROLES = {
    g.EVENT_SYSTEM_MESSAGE: "system",
    g.EVENT_USER_MESSAGE: "user",
    g.EVENT_ASSISTANT_MESSAGE: "assistant",
    g.EVENT_TOOL_MESSAGE: "tool",
}


def _is_strands(v: SpanView) -> bool:
    return v.record.scope_name == st.SCOPE


def first_token_ns(v: SpanView) -> int | None:
    """`gen_ai.server.time_to_first_token`, which Strands writes in milliseconds."""
    if not _is_strands(v):
        return None
    amount = as_float(v.peek(g.SERVER_TIME_TO_FIRST_TOKEN))
    if amount is None or amount < 0:
        return None
    v.consume(g.SERVER_TIME_TO_FIRST_TOKEN)
    return v.record.start_ns + round(amount * 1_000_000)


def tool_result(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.tool.call.result` of a Strands tool: its Converse text blocks as text."""
    if not _is_strands(v):
        return None
    text = m.converse_text(loads(v.peek(g.TOOL_CALL_RESULT)))
    if text is None:
        return None
    v.consume(g.TOOL_CALL_RESULT)
    return {"output": text}


def tool_details_result(v: SpanView) -> dict[str, Any] | None:
    """A Strands tool's result from its `gen_ai.client.inference.operation.details` output
    event (the only place a failed tool's error text is, with the current conventions)."""
    if not _is_strands(v) or v.run_type != "tool":
        return None
    for _, event in v.events_named(g.EVENT_INFERENCE_DETAILS):
        for message in as_list(event.attributes.get(g.OUTPUT_MESSAGES)) or []:
            for part in message.get("parts") or [] if isinstance(message, dict) else []:
                if isinstance(part, dict) and part.get("type") == "tool_call_response":
                    response = part.get("response")
                    text = m.converse_text(response)
                    return {"output": text if text is not None else response}
    return None


def _blocks(value: object) -> list[Any] | None:
    blocks = loads(value) if isinstance(value, str) else as_list(value)
    return blocks if m.is_converse(blocks) else None


def message_events_inputs(v: SpanView) -> dict[str, Any] | None:
    """Deprecated per-message events whose content is Converse blocks; a tool span's
    `gen_ai.tool.message` carries the tool's arguments."""
    if not _is_strands(v):
        return None
    if v.run_type == "tool":
        for _, event in v.events_named(g.EVENT_TOOL_MESSAGE):
            arguments = as_object(event.attributes.get("content"))
            if arguments is not None:
                return arguments
        return None
    msgs: list[m.Message] = []
    for _, event in v.events_named(*_INPUT_EVENT_ROLES):
        blocks = _blocks(event.attributes.get("content"))
        if blocks is None:
            continue
        msgs.extend(m.from_converse(_INPUT_EVENT_ROLES[event.name], blocks))
    return {"messages": msgs} if msgs else None


def choice_outputs(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.choice` events whose message is Converse blocks (or, on an agent span, text): a
    tool's result text; a model's or agent's answer as choices; an event-loop cycle's answer and
    tool results as messages."""
    if not _is_strands(v):
        return None
    for _, event in v.events_named(g.EVENT_CHOICE):
        attrs = event.attributes
        raw = attrs.get("message")
        blocks = _blocks(raw)
        if v.run_type == "tool":
            text = m.converse_text(blocks)
            if text is None:
                return None
            return {"output": text}
        if blocks is not None:
            msgs = m.from_converse("assistant", blocks)
        elif isinstance(raw, str) and raw:
            msgs = [{"role": "assistant", "content": raw}]
        else:
            return None
        results = _blocks(attrs.get(st.TOOL_RESULT_ATTR))
        if results is not None:
            return {"messages": msgs + m.from_converse("user", results)}
        finish = as_str(attrs.get("finish_reason"))
        if finish and msgs:
            msgs[0]["finish_reason"] = finish
        return m.as_choices(msgs[:1]) if msgs else None
    return None


def tool_error(v: SpanView) -> str | None:
    """A Strands tool whose status says `error`: the error text of its result (Strands catches
    the exception, hands the model `Error: ...` and leaves the span status OK)."""
    if not _is_strands(v):
        return None
    status = as_str(v.peek(st.TOOL_STATUS)) or as_str(v.peek(st.TOOL_STATUS_OLD))
    if status != st.TOOL_STATUS_ERROR:
        return None
    v.consume(st.TOOL_STATUS, st.TOOL_STATUS_OLD)
    result = tool_details_result(v) or choice_outputs(v) or tool_result(v) or {}
    text = result.get("output")
    return text if isinstance(text, str) and text else "tool error"
