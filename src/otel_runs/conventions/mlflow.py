"""MLflow tracing span attributes (mlflow/mlflow `mlflow/tracing/constant.py`, SpanAttributeKey).

MLflow JSON-encodes every attribute value it sets, strings included (`"\\"CHAT_MODEL\\""`).
"""

from __future__ import annotations

from typing import Final

SPAN_TYPE: Final = "mlflow.spanType"
"""LLM, CHAT_MODEL, AGENT, TOOL, CHAIN, RETRIEVER, EMBEDDING, PARSER, RERANKER, UNKNOWN..."""
SPAN_INPUTS: Final = "mlflow.spanInputs"
"""The traced function's arguments, or the client request (JSON)."""
SPAN_OUTPUTS: Final = "mlflow.spanOutputs"
"""The traced function's return value, or the client response (JSON)."""
MESSAGE_FORMAT: Final = "mlflow.message.format"
"""Which client's shapes the LLM span's inputs/outputs are in: openai, anthropic, gemini..."""
CHAT_TOOLS: Final = "mlflow.chat.tools"
"""Tools offered to the model, in OpenAI's shape (JSON)."""
CHAT_USAGE: Final = "mlflow.chat.tokenUsage"
"""{input_tokens, output_tokens, total_tokens, cache_read_input_tokens?,
cache_creation_input_tokens?}, input inclusive of the cache (JSON)."""
LLM_MODEL: Final = "mlflow.llm.model"
"""Model name (JSON string)."""
LLM_PROVIDER: Final = "mlflow.llm.provider"
"""Provider name (JSON string)."""
TRACE_REQUEST_ID: Final = "mlflow.traceRequestId"
"""MLflow's trace id (`tr-...`)."""
SPAN_FUNCTION_NAME: Final = "mlflow.spanFunctionName"
"""Name of the traced function."""

SPAN_TYPE_TO_RUN_TYPE: Final = {
    "LLM": "llm",
    "CHAT_MODEL": "llm",
    "EMBEDDING": "embedding",
    "RETRIEVER": "retriever",
    "RERANKER": "retriever",
    "TOOL": "tool",
    "PARSER": "parser",
    "PROMPT": "prompt",
}
"""mlflow.spanType -> LangSmith run type; every other type (AGENT, CHAIN...) is a chain."""
LLM_SPAN_TYPES: Final = frozenset({"LLM", "CHAT_MODEL"})
"""Span types whose inputs/outputs are a client's request/response."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (SPAN_INPUTS,)
"""A span's inputs (a model call's request)."""
OUTPUT_CONTENT: Final = (SPAN_OUTPUTS,)
"""A span's outputs (a model call's response)."""
