"""Keys from other emitters that carry run fields we read (Langfuse, bare keys); the Vercel AI SDK's
are in `vercel_ai`."""

from __future__ import annotations

from typing import Final

LANGFUSE_COMPLETION_START_TIME: Final = "langfuse.observation.completion_start_time"
"""Langfuse: ISO time of the first token (sometimes JSON-encoded twice)."""
COMPLETION_START_TIME: Final = "completion_start_time"
"""Bare key: ISO time of the first token."""
TTFT_MS: Final = "ttft_ms"
"""Bare key (Claude Code): milliseconds to the first token."""

# Vercel AI SDK legacy `ai.*` spans (ai-sdk.dev, AI SDK Core, Telemetry).
