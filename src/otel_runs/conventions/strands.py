"""Strands Agents telemetry (strands-agents `strands/telemetry/tracer.py`).

Strands writes the GenAI conventions, with its own twists: message contents are Bedrock
Converse content blocks (`{"text"}`, `{"toolUse"}`, `{"toolResult"}`), the time to first token
is in milliseconds, and `gen_ai.system` / `gen_ai.provider.name` name Strands itself.
"""

from __future__ import annotations

from typing import Final

SCOPE: Final = "strands.telemetry.tracer"
"""Instrumentation scope of every Strands span."""
SYSTEM: Final = "strands-agents"
"""What Strands puts in `gen_ai.system` / `gen_ai.provider.name`: the framework, not a provider."""
TOOL_RESULT_ATTR: Final = "tool.result"
"""`gen_ai.choice` event attribute of an event-loop cycle: the tool results (Converse blocks)."""
TOOL_STATUS: Final = "gen_ai.tool.status"
"""A tool span's outcome, `success` or `error` (the span status stays OK when a tool fails)."""
TOOL_STATUS_OLD: Final = "tool.status"
"""The same, as releases before the current conventions wrote it."""
TOOL_STATUS_ERROR: Final = "error"
"""The tool status value of a failed tool."""
