"""Time to first token, from every source that reports it, as absolute Unix nanoseconds."""

from __future__ import annotations

import json

from otel_runs.conventions import genai as g
from otel_runs.conventions import mastra as ma
from otel_runs.conventions import others as o
from otel_runs.conventions import vercel_ai as ai
from otel_runs.dialects.coerce import as_float, as_str
from otel_runs.dialects.view import SpanView
from otel_runs.dotted_order import datetime_to_us

_LATEST_NS = 32_503_680_000 * 10**9
"""Year 3000: a first token past it is no time at all (the span's own times stop there too)."""


def _after_start(v: SpanView, key: str, unit_ns: int) -> int | None:
    amount = as_float(v.peek(key))
    if amount is None or amount < 0:
        return None
    found = v.record.start_ns + round(amount * unit_ns)
    if found > _LATEST_NS:
        return None  # (left in the leftovers, as it came)
    v.consume(key)
    return found


def _iso(v: SpanView, key: str) -> int | None:
    raw = v.peek(key)
    if isinstance(raw, str) and raw.startswith('"'):
        try:
            raw = json.loads(raw)  # Langfuse SDKs JSON-encode it a second time
        except ValueError:
            return None
    text = as_str(raw)
    if text is None:
        return None
    from otel_runs.model.run import parse_datetime

    try:
        us = datetime_to_us(parse_datetime(text))
    except (TypeError, ValueError):
        return None
    if us * 1000 < v.record.start_ns - v.record.start_ns % 1000:
        return None  # before the call began: not this call's first token (Mastra repeats one)
    v.consume(key)
    return us * 1000


def langfuse_completion_start(v: SpanView) -> int | None:
    """`langfuse.observation.completion_start_time` (ISO)."""
    return _iso(v, o.LANGFUSE_COMPLETION_START_TIME)


def genai_seconds(v: SpanView) -> int | None:
    """GenAI seconds-after-start attributes, current first, then metric names stamped on spans."""
    for key in (
        g.RESPONSE_TIME_TO_FIRST_CHUNK,
        g.CLIENT_TIME_TO_FIRST_CHUNK,
        g.RESPONSE_TIME_TO_FIRST_TOKEN,
        g.SERVER_TIME_TO_FIRST_TOKEN,
    ):
        found = _after_start(v, key, 1_000_000_000)
        if found is not None:
            return found
    return None


def vercel_ms(v: SpanView) -> int | None:
    """Vercel AI SDK `ai.response.msToFirstChunk` / `ai.stream.msToFirstChunk`."""
    for key in (ai.RESPONSE_MS_TO_FIRST_CHUNK, ai.STREAM_MS_TO_FIRST_CHUNK):
        found = _after_start(v, key, 1_000_000)
        if found is not None:
            return found
    return None


def mastra_completion_start(v: SpanView) -> int | None:
    """Mastra's `mastra.completion_start_time` (ISO)."""
    return _iso(v, ma.COMPLETION_START_TIME)


def bare_completion_start(v: SpanView) -> int | None:
    """A bare `completion_start_time` (ISO)."""
    return _iso(v, o.COMPLETION_START_TIME)


def bare_ttft_ms(v: SpanView) -> int | None:
    """A bare `ttft_ms`."""
    return _after_start(v, o.TTFT_MS, 1_000_000)
