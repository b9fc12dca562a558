"""pydantic-ai and Logfire span attributes (pydantic/pydantic-ai `_instrumentation.py`, logfire)."""

from __future__ import annotations

from typing import Final

ALL_MESSAGES: Final = "pydantic_ai.all_messages"
"""Agent span: the whole conversation, JSON in the GenAI parts schema."""
FINAL_RESULT: Final = "final_result"
"""Agent span: the run's output."""
TOOL_ARGUMENTS: Final = "tool_arguments"
"""Tool span arguments (older pydantic-ai)."""
TOOL_RESPONSE: Final = "tool_response"
"""Tool span result (older pydantic-ai)."""
AGGREGATED_USAGE_PREFIX: Final = "gen_ai.aggregated_usage."
"""Agent span usage rolled up from its model calls."""
MODEL_REQUEST_PARAMETERS: Final = "model_request_parameters"
"""Model request parameters JSON."""
LOGFIRE_MSG: Final = "logfire.msg"
"""Rendered message (carries values: not a stable name)."""
LOGFIRE_MSG_TEMPLATE: Final = "logfire.msg_template"
"""Message template (stable name)."""
LOGFIRE_JSON_SCHEMA: Final = "logfire.json_schema"
"""Which attributes are JSON-encoded."""
LOGFIRE_SPAN_TYPE: Final = "logfire.span_type"
"""span, log, pending_span."""
PENDING_PARENT_ID: Final = "logfire.pending_parent_id"
"""On a pending span: the real parent of the span it stands for."""
PENDING_SPAN: Final = "pending_span"
"""Placeholder span Logfire emits at start; never a run."""
OPERATION_COST: Final = "operation.cost"
"""Cost computed client-side by Logfire."""
TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
"""Seconds to first chunk, stamped on spans by pydantic-ai."""
USAGE_DETAILS_REASONING: Final = "gen_ai.usage.details.reasoning_tokens"
"""Reasoning part of the output (provider detail); also the name LangSmith's OTel ingest documents
for reasoning tokens ("Trace with OpenTelemetry": -> `usage_metadata.reasoning_tokens`)."""
USAGE_DETAILS_CACHE_READ: Final = "gen_ai.usage.details.cache_read_tokens"
"""Cache-read part of the input (repeats gen_ai.usage.cache_read.input_tokens)."""
USAGE_DETAILS_CACHE_WRITE: Final = "gen_ai.usage.details.cache_write_tokens"
"""Cache-write part of the input (repeats gen_ai.usage.cache_creation.input_tokens)."""
USAGE_DETAILS_INPUT_AUDIO: Final = "gen_ai.usage.details.input_audio_tokens"
"""Audio part of the input."""
USAGE_DETAILS_OUTPUT_AUDIO: Final = "gen_ai.usage.details.output_audio_tokens"
"""Audio part of the output."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (ALL_MESSAGES, TOOL_ARGUMENTS, MODEL_REQUEST_PARAMETERS)
"""Attributes carrying prompt content. `model_request_parameters` holds the agent's
instructions (`instruction_parts`) and output template besides its tools."""
OUTPUT_CONTENT: Final = (ALL_MESSAGES, FINAL_RESULT, TOOL_RESPONSE)
"""Attributes carrying completion content; `pydantic_ai.all_messages` ends with the answer, so
it is both."""
