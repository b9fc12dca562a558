"""Langfuse SDK (v3+) span attributes (langfuse-python `langfuse/_client/attributes.py`,
`constants.py`; the server's `packages/shared/src/server/otel/attributes.ts`).

The time to first token, `langfuse.observation.completion_start_time`, is in `others.py`.
"""

from __future__ import annotations

from typing import Final

OBSERVATION_TYPE: Final = "langfuse.observation.type"
"""generation, embedding, span, agent, tool, chain, retriever, evaluator, guardrail, event."""
OBSERVATION_INPUT: Final = "langfuse.observation.input"
"""Input as JSON (text as is); `@observe` writes `{"args": [...], "kwargs": {...}}`."""
OBSERVATION_OUTPUT: Final = "langfuse.observation.output"
"""Output as JSON (text as is)."""
OBSERVATION_MODEL: Final = "langfuse.observation.model.name"
"""Model of a generation or embedding."""
OBSERVATION_MODEL_PARAMETERS: Final = "langfuse.observation.model.parameters"
"""Request parameters (JSON object)."""
OBSERVATION_USAGE_DETAILS: Final = "langfuse.observation.usage_details"
"""Token counts (JSON object): Langfuse's exclusive `input`/`output`/... keys, or the
provider's usage object as the integrations pass it (OpenAI chat or Responses shape)."""
OBSERVATION_COST_DETAILS: Final = "langfuse.observation.cost_details"
"""Costs in USD (JSON object): `input`, `output`, `total`."""
OBSERVATION_LEVEL: Final = "langfuse.observation.level"
"""DEBUG, DEFAULT, WARNING, ERROR (ERROR also sets the span status)."""
OBSERVATION_STATUS_MESSAGE: Final = "langfuse.observation.status_message"
"""Status text (the error message when the level is ERROR)."""
OBSERVATION_METADATA_PREFIX: Final = "langfuse.observation.metadata."
"""Per-key observation metadata, each value JSON-encoded (v5) or plain (v3)."""
OBSERVATION_METADATA: Final = "langfuse.observation.metadata"
"""Observation metadata that is not an object, as JSON."""
TRACE_METADATA_PREFIX: Final = "langfuse.trace.metadata."
"""Per-key trace metadata (propagated to every observation)."""
TRACE_METADATA: Final = "langfuse.trace.metadata"
"""Trace metadata that is not an object, as JSON."""
TRACE_NAME: Final = "langfuse.trace.name"
"""Trace name (LangSmith names runs, not traces: kept in metadata)."""
TRACE_TAGS: Final = "langfuse.trace.tags"
"""Trace tags (string array)."""
SESSION_ID: Final = "langfuse.session.id"
"""Session id as the server also reads it (the SDKs write OpenInference's `session.id`)."""
USER_ID: Final = "langfuse.user.id"
"""User id as the server also reads it (the SDKs write OpenInference's `user.id`)."""

TYPE_TO_RUN_TYPE: Final = {
    "generation": "llm",
    "embedding": "embedding",
    "tool": "tool",
    "retriever": "retriever",
    "span": "chain",
    "agent": "chain",
    "chain": "chain",
    "evaluator": "chain",
    "guardrail": "chain",
    "event": "chain",
}
"""langfuse.observation.type -> LangSmith run type."""

FINISH_REASON_METADATA: Final = "finish_reason"
"""Observation metadata key where the OpenAI integration puts a stream's finish reason."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (OBSERVATION_INPUT,)
"""An observation's input (a generation's messages, a function's arguments)."""
OUTPUT_CONTENT: Final = (OBSERVATION_OUTPUT,)
"""An observation's output."""
