"""Mastra (`@mastra/otel-exporter`): the `mastra.<span type>.input/output` of agent runs, model
generations and steps (its model and tool calls carry the GenAI conventions), metadata, tags and
the first-token time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_runs.conventions import mastra as ma
from otel_runs.dialects.coerce import as_list, as_str, json_or_text, loads, to_jsonable
from otel_runs.dialects.view import SpanView


def _key(v: SpanView, suffix: str) -> str | None:
    span_type = as_str(v.peek(ma.SPAN_TYPE))
    return f"{ma.PREFIX}{span_type}{suffix}" if span_type else None


def inputs(v: SpanView) -> dict[str, Any] | None:
    """`mastra.<span type>.input`; a list of chat messages becomes `{"messages": [...]}`."""
    key = _key(v, ma.INPUT_SUFFIX)
    if key is None:
        return None
    raw = v.get(key)
    decoded = loads(raw)
    if (
        isinstance(decoded, list)
        and decoded
        and all(isinstance(item, Mapping) and "role" in item for item in decoded)
    ):
        return {"messages": decoded}
    return json_or_text(raw, "input")


def outputs(v: SpanView) -> dict[str, Any] | None:
    """`mastra.<span type>.output`."""
    key = _key(v, ma.OUTPUT_SUFFIX)
    return json_or_text(v.get(key), "output") if key else None


def metadata(v: SpanView) -> dict[str, Any] | None:
    """`mastra.metadata.*` but the response body (content); JSON objects written as text are
    decoded."""
    found = v.prefixed(ma.METADATA_PREFIX)
    out: dict[str, Any] = {}
    for key, value in found.items():
        full = ma.METADATA_PREFIX + key
        if full == ma.METADATA_BODY or full.startswith(ma.METADATA_BODY + "."):
            v.used.discard(full)  # left for the leftovers, under its own key
            continue
        decoded = loads(value) if isinstance(value, str) else None
        out[key] = decoded if isinstance(decoded, (dict, list)) else to_jsonable(value)
    return out or None


def tags(v: SpanView) -> list[str] | None:
    """`mastra.tags`, a JSON array."""
    items = as_list(v.get(ma.TAGS))
    return [str(tag) for tag in items] if items else None
