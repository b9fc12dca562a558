"""LangSmith's own `langsmith.*` attributes."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import langsmith as ls
from otel_runs.dialects.coerce import as_list, as_object, as_str, loads, to_jsonable
from otel_runs.dialects.view import SpanView


def run_type(v: SpanView) -> str | None:
    """`langsmith.span.kind`, when it names a run type LangSmith accepts."""
    kind = as_str(v.peek(ls.SPAN_KIND))
    if kind and kind.lower() in ls.RUN_TYPES:
        v.consume(ls.SPAN_KIND)
        return kind.lower()
    return None


def name(v: SpanView) -> str | None:
    """`langsmith.trace.name`."""
    return as_str(v.get(ls.TRACE_NAME))


def tags(v: SpanView) -> list[str] | None:
    """`langsmith.span.tags`: a string array, a JSON array, or comma-separated text."""
    raw = v.get(ls.SPAN_TAGS)
    items = as_list(raw)
    if items is None and isinstance(raw, str):
        items = raw.split(",")
    if items is None:
        return None
    found = [str(t).strip() for t in items if str(t).strip()]
    return found or None


def metadata(v: SpanView) -> dict[str, Any] | None:
    """`langsmith.metadata.*`; JSON objects and arrays written as text are decoded."""
    found = v.prefixed(ls.METADATA_PREFIX)
    if not found:
        return None
    out: dict[str, Any] = {}
    for key, value in found.items():
        decoded = loads(value) if isinstance(value, str) else None
        out[key] = decoded if isinstance(decoded, (dict, list)) else to_jsonable(value)
    return out


def usage(v: SpanView) -> dict[str, Any] | None:
    """`langsmith.usage_metadata` as a whole object (LangSmith's inclusive semantics)."""
    return as_object(v.get(ls.USAGE_METADATA))


def _meta_value(v: SpanView, *keys: str) -> str | None:
    for key in keys:
        value = v.peek(ls.METADATA_PREFIX + key)
        if value is not None and not isinstance(value, (list, tuple, dict)):
            return str(value)
    return None


def thread_id(v: SpanView) -> str | None:
    """Thread id from `langsmith.metadata.{thread_id,session_id,conversation_id}`."""
    return _meta_value(v, *ls.META_THREAD_KEYS)


def user_id(v: SpanView) -> str | None:
    """`langsmith.metadata.user_id`."""
    return _meta_value(v, ls.META_USER_ID)


def streaming(v: SpanView) -> bool | None:
    """`langsmith.request.streaming`."""
    value = v.get(ls.REQUEST_STREAMING)
    return value if isinstance(value, bool) else None
