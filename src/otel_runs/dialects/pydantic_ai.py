"""pydantic-ai and Logfire attributes."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_int, as_str, json_or_text, loads
from otel_runs.dialects.view import SpanView


def is_pending(v: SpanView) -> bool:
    """Logfire's placeholder emitted at span start; its final span follows."""
    return as_str(v.peek(pa.LOGFIRE_SPAN_TYPE)) == pa.PENDING_SPAN


def agent_inputs(v: SpanView) -> dict[str, Any] | None:
    """Agent run input: the conversation up to the final answer (`pydantic_ai.all_messages`)."""
    msgs = m.from_genai(v.peek(pa.ALL_MESSAGES))
    if not msgs:
        return None
    v.consume(pa.ALL_MESSAGES)
    m.without_finish_reasons(msgs)
    system = m.system_messages(v.get(g.SYSTEM_INSTRUCTIONS))
    if len(msgs) > 1 and msgs[-1].get("role") == "assistant":
        return {"messages": system + msgs[:-1]}
    return {"messages": system + msgs}


def agent_outputs(v: SpanView) -> dict[str, Any] | None:
    """Agent run output: `final_result` (decoded when JSON), plus the final message."""
    raw = v.get(pa.FINAL_RESULT)
    if raw is None:
        return None
    decoded = loads(raw)
    out: dict[str, Any] = {"output": decoded if decoded is not None else raw}
    msgs = m.from_genai(v.peek(pa.ALL_MESSAGES))
    if msgs and msgs[-1].get("role") == "assistant":
        out["messages"] = msgs
    return out


def tool_arguments(v: SpanView) -> dict[str, Any] | None:
    """`tool_arguments` of older pydantic-ai tool spans."""
    return json_or_text(v.get(pa.TOOL_ARGUMENTS), "input")


def tool_response(v: SpanView) -> dict[str, Any] | None:
    """`tool_response` of older pydantic-ai tool spans."""
    return json_or_text(v.get(pa.TOOL_RESPONSE), "output")


def aggregated_usage(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.aggregated_usage.*` with the prefix removed (same names as `gen_ai.usage.*`)."""
    found = v.prefixed(pa.AGGREGATED_USAGE_PREFIX)
    return {k: val for k, val in found.items() if as_int(val) is not None} or None


def request_parameters(v: SpanView) -> dict[str, Any] | None:
    """`model_request_parameters` (JSON), kept in metadata."""
    decoded = loads(v.get(pa.MODEL_REQUEST_PARAMETERS))
    return decoded if isinstance(decoded, dict) else None
