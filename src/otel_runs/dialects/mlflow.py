"""MLflow tracing spans exported over OTLP (`mlflow.*` attributes, every value JSON-encoded)."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import mlflow as ml
from otel_runs.dialects import anthropic_format
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_int, as_list, as_object, as_str, loads
from otel_runs.dialects.view import SpanView


def _decoded(v: SpanView, key: str) -> Any:
    raw = v.peek(key)
    decoded = loads(raw)
    return decoded if decoded is not None else raw


def _text(v: SpanView, key: str) -> str | None:
    return as_str(_decoded(v, key))


def _span_type(v: SpanView) -> str | None:
    kind = _text(v, ml.SPAN_TYPE)
    return kind.upper() if kind else None


def run_type(v: SpanView) -> str | None:
    """`mlflow.spanType`: CHAT_MODEL/LLM -> llm, TOOL -> tool, AGENT and the rest -> chain."""
    kind = _span_type(v)
    if kind is None:
        return None
    v.consume(ml.SPAN_TYPE)
    return ml.SPAN_TYPE_TO_RUN_TYPE.get(kind, "chain")


def _is_llm(v: SpanView) -> bool:
    return _span_type(v) in ml.LLM_SPAN_TYPES


def _wrapped(value: Any, text_key: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else {text_key: value}


def _openai_tools(v: SpanView) -> list[Any] | None:
    tools = as_list(_decoded(v, ml.CHAT_TOOLS))
    if not tools:
        return None
    v.consume(ml.CHAT_TOOLS)
    return m.openai_tools(tools)


def inputs(v: SpanView) -> dict[str, Any] | None:
    """`mlflow.spanInputs`: a model call's request as OpenAI messages (Anthropic's and OpenAI's
    request shapes), any other span's arguments as they are."""
    value = _decoded(v, ml.SPAN_INPUTS)
    if value is None:
        return None
    found: dict[str, Any] | None = None
    request = as_object(value)
    if _is_llm(v) and request is not None:
        if _text(v, ml.MESSAGE_FORMAT) == "anthropic":
            found = anthropic_format.request_inputs(request)
        elif isinstance(request.get("messages"), list):
            found = {"messages": request["messages"]}
        if found is not None:
            v.consume(ml.MESSAGE_FORMAT)
            tools = _openai_tools(v)
            if tools:
                found["tools"] = tools
    v.consume(ml.SPAN_INPUTS)
    return found if found is not None else _wrapped(value, "input")


def outputs(v: SpanView) -> dict[str, Any] | None:
    """`mlflow.spanOutputs`: a model call's response as OpenAI choices, anything else as is."""
    value = _decoded(v, ml.SPAN_OUTPUTS)
    if value is None:
        return None
    found: dict[str, Any] | None = None
    response = as_object(value)
    if _is_llm(v) and response is not None:
        if _text(v, ml.MESSAGE_FORMAT) == "anthropic":
            found = anthropic_format.response_outputs(response)
        elif isinstance(response.get("choices"), list):
            found = {"choices": response["choices"]}
    v.consume(ml.SPAN_OUTPUTS)
    return found if found is not None else _wrapped(value, "output")


def model(v: SpanView) -> str | None:
    """`mlflow.llm.model`."""
    found = _text(v, ml.LLM_MODEL)
    if found:
        v.consume(ml.LLM_MODEL)
    return found


def provider(v: SpanView) -> str | None:
    """`mlflow.llm.provider`."""
    found = _text(v, ml.LLM_PROVIDER)
    if found:
        v.consume(ml.LLM_PROVIDER)
    return found


_USAGE_DETAILS = {
    "cache_read_input_tokens": "cache_read",
    "cache_creation_input_tokens": "cache_creation",
}


def usage(v: SpanView) -> dict[str, Any] | None:
    """`mlflow.chat.tokenUsage` (input already includes the cache reads and writes)."""
    raw = as_object(_decoded(v, ml.CHAT_USAGE))
    if raw is None:
        return None
    found: dict[str, Any] = {}
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        count = as_int(raw.get(key))
        if count is not None:
            found[key] = count
    details = {
        target: count
        for source, target in _USAGE_DETAILS.items()
        if (count := as_int(raw.get(source)))
    }
    if details:
        found["input_token_details"] = details
    if "input_tokens" not in found and "output_tokens" not in found:
        return None
    v.consume(ml.CHAT_USAGE)
    return found
