"""Key prefixes that mark a span as GenAI-related (the GenAI-only span filter reads these)."""

from __future__ import annotations

from typing import Final

GENAI_KEY_PREFIXES: Final = (
    "gen_ai.",  # OTel GenAI semantic conventions
    "llm.",  # OpenInference and OpenLLMetry
    "langsmith.",  # LangSmith
    "openinference.",  # OpenInference span kind
    "traceloop.",  # OpenLLMetry workflows
    "ai.",  # Vercel AI SDK
    "pydantic_ai.",  # pydantic-ai
    "embedding.",  # OpenInference embeddings
    "retrieval.",  # OpenInference retrievers
    "tool.",  # OpenInference tools
    "input.value",  # OpenInference input
    "output.value",  # OpenInference output
    "mcp.",  # Model Context Protocol (OTel semantic conventions 1.39)
)
"""A span with any key under these prefixes is GenAI-related."""

GENAI_EVENT_PREFIXES: Final = ("gen_ai.",)
"""A span with an event under these prefixes is GenAI-related."""
