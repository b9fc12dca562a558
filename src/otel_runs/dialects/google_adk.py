"""Google ADK's spans: ADK 2's GenAI conventions (one quirk), ADK 1's JSON copies."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.conventions import google_adk as adk
from otel_runs.dialects import gemini_format, provider_usage
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_object, json_or_text, loads
from otel_runs.dialects.view import SpanView


def streamed_output(v: SpanView) -> dict[str, Any] | None:
    """A streamed model call: ADK writes one assistant message per text chunk, every one but the
    last without a finish reason. They are one answer, joined."""
    msgs = m.from_genai(v.peek(g.OUTPUT_MESSAGES))
    if not msgs or len(msgs) < 2:
        return None
    if any(msg.get("finish_reason") for msg in msgs[:-1]) or not all(
        msg.get("role") == "assistant"
        and isinstance(msg.get("content"), str)
        and "tool_calls" not in msg
        for msg in msgs
    ):
        return None
    v.consume(g.OUTPUT_MESSAGES)
    joined = {**msgs[-1], "content": "".join(str(msg["content"]) for msg in msgs)}
    return m.as_choices([joined])


def _json_object(v: SpanView, key: str) -> dict[str, Any] | None:
    found = as_object(loads(v.peek(key)))
    return found or None  # ADK writes "{}" where it has nothing


def llm_request(v: SpanView) -> dict[str, Any] | None:
    """ADK 1's `call_llm` span: the model request as OpenAI messages."""
    request = _json_object(v, adk.LLM_REQUEST)
    found = gemini_format.request_inputs(request) if request else None
    if found is not None:
        v.consume(adk.LLM_REQUEST)
    return found


def llm_response(v: SpanView) -> dict[str, Any] | None:
    """ADK 1's `call_llm` span: the model response as OpenAI choices."""
    response = _json_object(v, adk.LLM_RESPONSE)
    found = gemini_format.response_outputs(response) if response else None
    if found is not None:
        v.consume(adk.LLM_RESPONSE)
    return found


def usage(v: SpanView) -> dict[str, Any] | None:
    """ADK 1's `call_llm` span: the response's own `usage_metadata` (its flat
    `gen_ai.usage.output_tokens` leaves out the thinking tokens)."""
    response = _json_object(v, adk.LLM_RESPONSE)
    raw = response.get("usage_metadata", response.get("usageMetadata")) if response else None
    return provider_usage.gemini(raw) if isinstance(raw, dict) else None


def tool_arguments(v: SpanView) -> dict[str, Any] | None:
    """ADK 1's tool span: `gcp.vertex.agent.tool_call_args`."""
    found = _json_object(v, adk.TOOL_CALL_ARGS)
    if found is not None:
        v.consume(adk.TOOL_CALL_ARGS)
    return found


def tool_response(v: SpanView) -> dict[str, Any] | None:
    """ADK 1's tool span: `gcp.vertex.agent.tool_response`."""
    raw = v.peek(adk.TOOL_RESPONSE)
    found = json_or_text(raw, "output") if raw not in (None, "{}") else None
    if found is not None:
        v.consume(adk.TOOL_RESPONSE)
    return found


def run_type(v: SpanView) -> str | None:
    """ADK 1's `call_llm` span is a model call, even when it failed before ADK set any
    attribute on it."""
    record = v.record
    return "llm" if record.scope_name == adk.SCOPE and record.name == adk.CALL_LLM_SPAN else None
