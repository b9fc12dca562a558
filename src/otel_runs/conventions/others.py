"""Keys from other emitters that carry run fields we read (Langfuse, Vercel AI SDK, bare keys)."""

from __future__ import annotations

from typing import Final

LANGFUSE_COMPLETION_START_TIME: Final = "langfuse.observation.completion_start_time"
"""Langfuse: ISO time of the first token (sometimes JSON-encoded twice)."""
AI_RESPONSE_MS_TO_FIRST_CHUNK: Final = "ai.response.msToFirstChunk"
"""Vercel AI SDK: milliseconds from start to the first chunk."""
AI_STREAM_MS_TO_FIRST_CHUNK: Final = "ai.stream.msToFirstChunk"
"""Vercel AI SDK (older): milliseconds from start to the first chunk."""
COMPLETION_START_TIME: Final = "completion_start_time"
"""Bare key: ISO time of the first token."""
TTFT_MS: Final = "ttft_ms"
"""Bare key (Claude Code): milliseconds to the first token."""
