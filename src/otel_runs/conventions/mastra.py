"""Mastra's OpenTelemetry exporter (`@mastra/otel-exporter`, `span-converter`): the `mastra.*`
attributes it writes next to the GenAI semantic conventions.
"""

from __future__ import annotations

from typing import Final

SPAN_TYPE: Final = "mastra.span.type"
"""agent_run, model_generation, model_step, model_inference, model_chunk, tool_call..."""
PREFIX: Final = "mastra."
"""Input and output of a span that is not a model or tool call: `mastra.<span type>.input`."""
INPUT_SUFFIX: Final = ".input"
"""`mastra.<span type>.input`: the span's input, text or JSON."""
OUTPUT_SUFFIX: Final = ".output"
"""`mastra.<span type>.output`: the span's output, text or JSON."""
METADATA_PREFIX: Final = "mastra.metadata."
"""Span metadata, one attribute per key (objects as JSON)."""
TAGS: Final = "mastra.tags"
"""Root span tags, a JSON array."""
COMPLETION_START_TIME: Final = "mastra.completion_start_time"
"""Model call: ISO time of the first streamed token."""
