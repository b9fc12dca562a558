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
METADATA_BODY: Final = "mastra.metadata.body"
"""The model's raw response body a step keeps in its metadata: content, not metadata (left in
the leftovers under its own key, where hiding finds it)."""
TAGS: Final = "mastra.tags"
"""Root span tags, a JSON array."""
COMPLETION_START_TIME: Final = "mastra.completion_start_time"
"""Model call: ISO time of the first streamed token."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (PREFIX + "{}" + INPUT_SUFFIX,)
"""`mastra.<span type>.input`, whatever the span type."""
OUTPUT_CONTENT: Final = (PREFIX + "{}" + OUTPUT_SUFFIX, METADATA_BODY)
"""`mastra.<span type>.output`, whatever the span type, and the model response body Mastra keeps
in a step's metadata."""
