"""Logfire's LLM-provider integrations (`instrument_openai`, `instrument_anthropic`, ...).

From pydantic/logfire `logfire/_internal/integrations/llm_providers/`. The `logfire.*` span keys
shared with pydantic-ai live in `pydantic_ai.py`.
"""

from __future__ import annotations

from typing import Final

USAGE_RAW: Final = "gen_ai.usage.raw"
"""The provider's own usage object, as JSON (OpenAI's, Anthropic's...)."""
REQUEST_DATA: Final = "request_data"
"""The request (version 2: only `{"model": ...}`, for the message template; version 1: the whole
request, messages included)."""
RESPONSE_DATA: Final = "response_data"
"""The response (version 1: the whole response, completion included)."""
SCOPE_PREFIX: Final = "logfire"
"""Scope names of Logfire's spans: `logfire`, `logfire.openai`, `logfire.anthropic`..."""
OWN_ARGUMENTS: Final = frozenset({REQUEST_DATA, RESPONSE_DATA, "async", "duration"})
"""Attributes Logfire lists in `logfire.json_schema` that are not the user's arguments."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (REQUEST_DATA,)
"""The request Logfire records (messages, with version 1)."""
OUTPUT_CONTENT: Final = (RESPONSE_DATA,)
"""The response Logfire records (the completion, with version 1)."""
