"""Google ADK's span attributes (google/adk-python `src/google/adk/telemetry/tracing.py`)."""

from __future__ import annotations

from typing import Final

EVENT_ID: Final = "gcp.vertex.agent.event_id"
"""ADK event id, on its model-call and tool spans."""
INVOCATION_ID: Final = "gcp.vertex.agent.invocation_id"
"""ADK invocation id."""

# ADK 1's own model-call (`call_llm`) and tool spans: JSON copies of what went in and out.
LLM_REQUEST: Final = "gcp.vertex.agent.llm_request"
"""The model request (`model`, `config` with `system_instruction` and `tools`, `contents`)."""
LLM_RESPONSE: Final = "gcp.vertex.agent.llm_response"
"""The model response (`content`, `finish_reason`, `usage_metadata`)."""
TOOL_CALL_ARGS: Final = "gcp.vertex.agent.tool_call_args"
"""A tool's arguments (JSON object)."""
TOOL_RESPONSE: Final = "gcp.vertex.agent.tool_response"
"""A tool's result (JSON)."""
USAGE_REASONING_TOKENS: Final = "gen_ai.usage.experimental.reasoning_tokens"
"""ADK 1's name for the thinking tokens, which its `gen_ai.usage.output_tokens` leaves out."""
SCOPE: Final = "gcp.vertex.agent"
"""Scope name of ADK's spans."""
CALL_LLM_SPAN: Final = "call_llm"
"""ADK 1's model-call span name; a failed one carries no attribute at all."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (LLM_REQUEST, TOOL_CALL_ARGS)
"""The model request (messages, instructions) and a tool's arguments."""
OUTPUT_CONTENT: Final = (LLM_RESPONSE, TOOL_RESPONSE)
"""The model's response and a tool's result."""
