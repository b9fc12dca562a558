"""OpenLIT SDK span attributes (openlit `openlit/semcov/__init__.py`) beyond the GenAI ones.

The cost `gen_ai.usage.cost` is `genai.USAGE_COST`.
"""

from __future__ import annotations

from typing import Final

SCOPE_PREFIX: Final = "openlit.instrumentation."
"""Instrumentation scopes of OpenLIT's spans (`openlit.instrumentation.langchain`, ...)."""
WORKFLOW_INPUT: Final = "gen_ai.workflow.input"
"""A workflow's or agent's input, JSON (LangChain chains and agents)."""
WORKFLOW_OUTPUT: Final = "gen_ai.workflow.output"
"""A workflow's or agent's output, JSON; LangChain messages in it are their `str()`."""
CLIENT_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
"""Total tokens (a metric name OpenLIT also stamps on spans)."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (WORKFLOW_INPUT,)
"""An agent or chain span's input."""
OUTPUT_CONTENT: Final = (WORKFLOW_OUTPUT,)
"""An agent or chain span's output."""
