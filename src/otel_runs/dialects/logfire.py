"""Logfire's LLM-provider integrations and its plain spans (`logfire.span(...)`)."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.conventions import logfire as lf
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.conventions.providers import TO_LS_PROVIDER
from otel_runs.dialects import provider_usage
from otel_runs.dialects.coerce import as_object, as_str, loads, to_jsonable
from otel_runs.dialects.view import SpanView


def rendered_name(v: SpanView) -> str | None:
    """`logfire.msg` when the span name is the unrendered template (`Chat Completion with
    {request_data[model]!r}`): the message Logfire itself shows."""
    if "{" not in v.record.name:
        return None
    return as_str(v.get(pa.LOGFIRE_MSG))


def arguments(v: SpanView) -> dict[str, Any] | None:
    """A plain span's own attributes (those `logfire.json_schema` lists, without Logfire's and
    the conventions' dotted keys) as its inputs: `logfire.span("get_weather {city}", city=...)`."""
    if v.run_type != "chain":
        return None
    schema = as_object(loads(v.peek(pa.LOGFIRE_JSON_SCHEMA)))
    properties = schema.get("properties") if schema else None
    if not isinstance(properties, dict):
        return None
    found: dict[str, Any] = {}
    for key, spec in properties.items():
        if "." in key or key in lf.OWN_ARGUMENTS or key not in v.attrs:
            continue
        value = v.get(key)
        kind = spec.get("type") if isinstance(spec, dict) else None
        decoded = loads(value) if kind in ("object", "array") else None
        found[key] = decoded if decoded is not None else to_jsonable(value)
    return found or None


def usage(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.usage.raw` read by the provider's own rules (it carries OpenAI's reasoning
    tokens, which the flat `gen_ai.usage.*` keys leave out)."""
    raw = as_object(loads(v.peek(lf.USAGE_RAW)))
    if raw is None:
        return None
    named = as_str(v.peek(g.PROVIDER_NAME)) or as_str(v.peek(g.SYSTEM)) or ""
    parse = provider_usage.BY_PROVIDER.get(TO_LS_PROVIDER.get(named.lower(), named.lower()))
    found = parse(raw) if parse else None
    if found is not None:
        v.consume(lf.USAGE_RAW)
    return found
