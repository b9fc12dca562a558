"""Google ADK's spans: GenAI conventions with one quirk of its own."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.dialects import messages as m
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
