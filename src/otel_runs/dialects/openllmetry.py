"""OpenLLMetry / Traceloop attributes (opentelemetry-instrumentation-* by Traceloop)."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.conventions import openllmetry as ol
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import as_bool, as_str, call_arguments, json_or_text, to_jsonable
from otel_runs.dialects.view import SpanView


def run_type(v: SpanView) -> str | None:
    """`traceloop.span.kind`, else `llm.request.type`."""
    kind = as_str(v.peek(ol.SPAN_KIND))
    if kind is not None:
        v.consume(ol.SPAN_KIND)
        return ol.KIND_TO_RUN_TYPE.get(kind.lower(), "chain")
    request = as_str(v.peek(ol.REQUEST_TYPE))
    if request is not None:
        v.consume(ol.REQUEST_TYPE)
        return ol.REQUEST_TYPE_TO_RUN_TYPE.get(request.lower(), "llm")
    return None


def name(v: SpanView) -> str | None:
    """`traceloop.entity.name`."""
    return as_str(v.get(ol.ENTITY_NAME))


def input_messages(v: SpanView) -> dict[str, Any] | None:
    """Indexed `gen_ai.prompt.{i}.*` as OpenAI messages."""
    if not v.has_prefix(g.PROMPT_PREFIX):
        return None
    msgs = m.from_indexed(v.prefixed(g.PROMPT_PREFIX))
    return {"messages": msgs} if msgs else None


def output_messages(v: SpanView) -> dict[str, Any] | None:
    """Indexed `gen_ai.completion.{i}.*` as OpenAI choices."""
    if not v.has_prefix(g.COMPLETION_PREFIX):
        return None
    msgs = m.from_indexed(v.prefixed(g.COMPLETION_PREFIX))
    return m.as_choices(msgs) if msgs else None


def entity_input(v: SpanView) -> dict[str, Any] | None:
    """`traceloop.entity.input`; the `{"inputs": ...}` wrapper is removed, and the decorators'
    `{"args", "kwargs"}` becomes the call's arguments (a tool's keyword arguments)."""
    found = json_or_text(v.get(ol.ENTITY_INPUT), "input")
    inner = found.get("inputs") if found else None
    if isinstance(inner, dict):
        return inner
    arguments = call_arguments(found)
    if arguments is found or isinstance(arguments, dict):
        return arguments
    return {"input": arguments}


def entity_output(v: SpanView) -> dict[str, Any] | None:
    """`traceloop.entity.output`; the `{"outputs": ...}` wrapper is removed."""
    found = json_or_text(v.get(ol.ENTITY_OUTPUT), "output")
    inner = found.get("outputs") if found else None
    return inner if isinstance(inner, dict) else found


def association_properties(v: SpanView) -> dict[str, Any] | None:
    """`traceloop.association.properties.*` as metadata."""
    found = v.prefixed(ol.ASSOCIATION_PROPERTIES_PREFIX)
    return {k: to_jsonable(val) for k, val in found.items()} or None


def _association(v: SpanView, *keys: str) -> str | None:
    for key in keys:
        value = v.peek(ol.ASSOCIATION_PROPERTIES_PREFIX + key)
        if value is not None:
            return str(value)
    return None


def thread_id(v: SpanView) -> str | None:
    """Association property `session_id`, `thread_id` or `conversation_id`."""
    return _association(v, "session_id", "thread_id", "conversation_id")


def user_id(v: SpanView) -> str | None:
    """Association property `user_id`."""
    return _association(v, "user_id")


def streaming(v: SpanView) -> bool | None:
    """`gen_ai.is_streaming`, or its name before v0.5."""
    current = as_bool(v.get(ol.IS_STREAMING))
    older = as_bool(v.get(ol.IS_STREAMING_OLD))
    return current if current is not None else older


def first_token_ns(v: SpanView) -> int | None:
    """Time of the first streamed-chunk event."""
    for _, event in v.events_named(ol.EVENT_COMPLETION_CHUNK):
        return event.time_ns
    return None


def workflow(v: SpanView) -> dict[str, Any] | None:
    """Workflow name and API base, kept in metadata."""
    out: dict[str, Any] = {}
    workflow_name = as_str(v.get(ol.WORKFLOW_NAME))
    if workflow_name:
        out["traceloop_workflow"] = workflow_name
    return out or None
