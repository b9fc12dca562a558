"""Langfuse SDK (v3+) attributes: `langfuse.observation.*` and `langfuse.trace.*`.

Langfuse's own usage keys are exclusive buckets (`input` leaves out `input_cached_tokens`,
`output` leaves out `output_reasoning_tokens`; the server sums every key into the total), while
the integrations pass the provider's usage object through (OpenAI's chat and Responses shapes
count cache and reasoning inside input and output). Both become LangSmith's inclusive
usage_metadata here; `cost_details` rides along as its costs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from otel_runs.conventions import langfuse as lf
from otel_runs.dialects import messages as m
from otel_runs.dialects import usage_shapes
from otel_runs.dialects.coerce import (
    as_int,
    as_list,
    as_object,
    as_str,
    call_arguments,
    to_jsonable,
)
from otel_runs.dialects.view import SpanView


def _type(v: SpanView) -> str | None:
    kind = as_str(v.peek(lf.OBSERVATION_TYPE))
    return kind.lower() if kind else None


def run_type(v: SpanView) -> str | None:
    """`langfuse.observation.type` mapped to a run type (agents, spans, events are chains)."""
    kind = _type(v)
    if kind is None:
        return None
    v.consume(lf.OBSERVATION_TYPE)
    return lf.TYPE_TO_RUN_TYPE.get(kind, "chain")


def _decoded(value: object) -> Any:
    """A JSON attribute decoded (any JSON value); text that is not JSON as is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return to_jsonable(value)


def _wrap(value: Any, text_key: str) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value or None
    if value is None or value == "":
        return None
    return {text_key: value}


def _is_messages(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) and "role" in item for item in value)
    )


def _llm_inputs(value: Any) -> dict[str, Any] | None:
    if _is_messages(value):
        return {"messages": value}
    if isinstance(value, dict) and _is_messages(value.get("messages")):
        inputs = dict(value)
        tools = as_list(inputs.get("tools"))
        if tools:
            inputs["tools"] = m.openai_tools(tools)
        return inputs
    return None


def inputs(v: SpanView) -> dict[str, Any] | None:
    """`langfuse.observation.input`: a generation's messages in OpenAI's shape, a tool's
    arguments, a retriever's query; `@observe`'s args/kwargs wrapper removed."""
    raw = v.peek(lf.OBSERVATION_INPUT)
    if raw is None:
        return None
    value = call_arguments(_decoded(raw))
    found = _llm_inputs(value) if v.run_type in ("llm", "embedding") else None
    if found is None:
        found = _wrap(value, "query" if v.run_type == "retriever" else "input")
    if found is not None:
        v.consume(lf.OBSERVATION_INPUT)
    return found


def _finish_reason(v: SpanView) -> str | None:
    raw = v.peek(lf.OBSERVATION_METADATA_PREFIX + lf.FINISH_REASON_METADATA)
    reason = _decoded(raw) if raw is not None else None
    return reason if isinstance(reason, str) and reason else None


def outputs(v: SpanView) -> dict[str, Any] | None:
    """`langfuse.observation.output`: a generation's answer as OpenAI choices, a retriever's
    documents, anything else as is (text wrapped)."""
    raw = v.peek(lf.OBSERVATION_OUTPUT)
    if raw is None:
        return None
    value = _decoded(raw)
    found: dict[str, Any] | None = None
    if v.run_type == "llm":
        if isinstance(value, dict) and "role" in value:
            message = dict(value)
        elif isinstance(value, str) and value:
            message = {"role": "assistant", "content": value}
        else:
            message = {}
        if message:
            reason = _finish_reason(v)
            if reason is None and message.get("tool_calls"):
                reason = "tool_calls"
            if reason is not None:
                message["finish_reason"] = reason
            found = m.as_choices([message])
    elif v.run_type == "retriever" and isinstance(value, list):
        found = {"documents": [m.document(item) for item in value]}
    if found is None:
        found = _wrap(value, "output")
    if found is not None:
        v.consume(lf.OBSERVATION_OUTPUT)
    return found


def model(v: SpanView) -> str | None:
    """`langfuse.observation.model.name`."""
    return as_str(v.get(lf.OBSERVATION_MODEL))


def model_parameters(v: SpanView) -> dict[str, Any] | None:
    """`langfuse.observation.model.parameters` (the OpenAI integration writes "Infinity" for
    an unset max_tokens: dropped)."""
    params = as_object(v.get(lf.OBSERVATION_MODEL_PARAMETERS))
    if not params:
        return None
    return {k: val for k, val in params.items() if val != "Infinity"}


# --- usage ------------------------------------------------------------------------------------


def _bucket(key: str) -> tuple[str, str | None]:
    """Side (input/output) and LangSmith detail name of one of Langfuse's exclusive keys."""
    name = key.lower()
    side = "output" if name.startswith("output") or "reasoning" in name else "input"
    if "cache" in name and any(w in name for w in ("creation", "write", "create")):
        return "input", "cache_creation"
    if "cache" in name:
        return "input", "cache_read"
    if "reasoning" in name:
        return "output", "reasoning"
    if "audio" in name:
        return side, "audio"
    if "image" in name:
        return side, "image"
    return side, None


def _langfuse_usage(raw: dict[str, Any]) -> dict[str, Any]:
    totals = {"input": 0, "output": 0}
    usage: dict[str, Any] = {}
    seen = False
    for key, count_raw in raw.items():
        count = as_int(count_raw)
        if count is None:
            continue
        if key == "total":
            usage["total_tokens"] = count
            continue
        seen = True
        if key in ("input", "output"):
            totals[key] += count
            continue
        side, detail = _bucket(key)
        totals[side] += count
        if detail is not None:
            group = usage.setdefault(f"{side}_token_details", {})
            group[detail] = group.get(detail, 0) + count
    if not seen:
        return {}
    usage["input_tokens"] = totals["input"]
    usage["output_tokens"] = totals["output"]
    return usage


def _costs(raw: dict[str, Any] | None) -> dict[str, Any]:
    if not raw:
        return {}
    sides: dict[str, float] = {}
    costs: dict[str, Any] = {}
    for key, amount in raw.items():
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            continue
        if key == "total":
            costs["total_cost"] = amount
        else:
            side = "output" if key.lower().startswith("output") else "input"
            sides[side] = sides.get(side, 0.0) + amount
    for side, amount in sides.items():
        costs[f"{side}_cost"] = amount
    return costs


def usage(v: SpanView) -> dict[str, Any] | None:
    """`usage_details` (and `cost_details`) as a LangSmith usage_metadata object."""
    raw = as_object(v.peek(lf.OBSERVATION_USAGE_DETAILS))
    if not raw:
        return None
    is_provider = any(key in raw for key in usage_shapes.TOP)
    found = usage_shapes.provider_usage(raw) if is_provider else _langfuse_usage(raw)
    if "input_tokens" not in found and "output_tokens" not in found:
        return None
    v.consume(lf.OBSERVATION_USAGE_DETAILS)
    costs = _costs(as_object(v.peek(lf.OBSERVATION_COST_DETAILS)))
    if costs:
        v.consume(lf.OBSERVATION_COST_DETAILS)
        found.update(costs)
    return found


# --- trace-level and metadata -------------------------------------------------------------------


def metadata(v: SpanView) -> dict[str, Any] | None:
    """Trace then observation metadata (per-key values JSON-decoded); the level and status
    message too, unless the span status already says the same error."""
    out: dict[str, Any] = {}
    for prefix, whole in (
        (lf.TRACE_METADATA_PREFIX, lf.TRACE_METADATA),
        (lf.OBSERVATION_METADATA_PREFIX, lf.OBSERVATION_METADATA),
    ):
        found = as_object(v.get(whole))
        if found:
            out.update(found)
        for key, raw in v.prefixed(prefix).items():
            out[key] = _decoded(raw)
    level = as_str(v.peek(lf.OBSERVATION_LEVEL))
    message = as_str(v.peek(lf.OBSERVATION_STATUS_MESSAGE))
    if level == "ERROR" and v.record.status_code == "ERROR":
        v.consume(lf.OBSERVATION_LEVEL, lf.OBSERVATION_STATUS_MESSAGE)
    elif level is not None:
        v.consume(lf.OBSERVATION_LEVEL, lf.OBSERVATION_STATUS_MESSAGE)
        out["level"] = level
        if message:
            out["status_message"] = message
    return out or None


def tags(v: SpanView) -> list[str] | None:
    """`langfuse.trace.tags`."""
    items = as_list(v.get(lf.TRACE_TAGS))
    return [str(t) for t in items] if items else None


def thread_id(v: SpanView) -> str | None:
    """`langfuse.session.id`."""
    return as_str(v.get(lf.SESSION_ID))


def user_id(v: SpanView) -> str | None:
    """`langfuse.user.id`."""
    return as_str(v.get(lf.USER_ID))
