"""Google ADK's span attributes (google/adk-python `src/google/adk/telemetry/tracing.py`)."""

from __future__ import annotations

from typing import Final

EVENT_ID: Final = "gcp.vertex.agent.event_id"
"""ADK event id, on its model-call and tool spans."""
INVOCATION_ID: Final = "gcp.vertex.agent.invocation_id"
"""ADK invocation id."""
