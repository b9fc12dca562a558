"""Providers' own usage objects (as their APIs return them) -> LangSmith usage_metadata.

Some instrumentations put the provider's usage object on the span as JSON instead of (or beside)
the GenAI `gen_ai.usage.*` counts: Logfire's `gen_ai.usage.raw`, MLflow's
`mlflow.chat.tokenUsage`. Each provider counts differently, so the parser is chosen by who
answered, never guessed from the keys (Anthropic's and MLflow's objects share key names but not
their meaning):

- OpenAI chat completions: `prompt_tokens` and `completion_tokens` already include the cached
  and reasoning parts (`*_tokens_details`).
- OpenAI Responses: the same, spelled `input_tokens` / `output_tokens`.
- Anthropic Messages: `input_tokens` leaves out `cache_read_input_tokens` and
  `cache_creation_input_tokens`; the whole prompt is their sum.
- Gemini: `prompt_token_count` includes `cached_content_token_count`; `candidates_token_count`
  leaves out `thoughts_token_count`.

Every parser returns inclusive counts (LangSmith's semantics) or None when the object has no
count it knows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from otel_runs.dialects import usage_shapes
from otel_runs.dialects.coerce import as_int

Usage = dict[str, Any]


def _count(raw: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        found = as_int(raw.get(key))
        if found is not None:
            return found
    return None


def _usage(
    inp: int | None,
    out: int | None,
    total: int | None,
    in_details: dict[str, int],
    out_details: dict[str, int],
) -> Usage | None:
    if inp is None and out is None:
        return None
    usage: Usage = {"input_tokens": inp or 0, "output_tokens": out or 0}
    usage["total_tokens"] = (
        total if total is not None else usage["input_tokens"] + usage["output_tokens"]
    )
    if in_details:
        usage["input_token_details"] = in_details
    if out_details:
        usage["output_token_details"] = out_details
    return usage


def openai(raw: Mapping[str, Any]) -> Usage | None:
    """OpenAI chat completions or Responses usage (both inclusive): the shared reading of
    those shapes (`usage_shapes`)."""
    found = usage_shapes.provider_usage(dict(raw))
    return found if "input_tokens" in found or "output_tokens" in found else None


def anthropic(raw: Mapping[str, Any]) -> Usage | None:
    """Anthropic Messages usage: the cache reads and writes are added to `input_tokens`."""
    inp = _count(raw, "input_tokens")
    read = _count(raw, "cache_read_input_tokens") or 0
    write = _count(raw, "cache_creation_input_tokens") or 0
    details = {k: n for k, n in (("cache_read", read), ("cache_creation", write)) if n}
    whole = None if inp is None else inp + read + write
    return _usage(whole, _count(raw, "output_tokens"), None, details, {})


def gemini(raw: Mapping[str, Any]) -> Usage | None:
    """Gemini usage metadata (snake_case or the API's camelCase): thoughts added to the output."""
    candidates = _count(raw, "candidates_token_count", "candidatesTokenCount")
    thoughts = _count(raw, "thoughts_token_count", "thoughtsTokenCount") or 0
    cached = _count(raw, "cached_content_token_count", "cachedContentTokenCount")
    out = None if candidates is None and not thoughts else (candidates or 0) + thoughts
    return _usage(
        _count(raw, "prompt_token_count", "promptTokenCount"),
        out,
        _count(raw, "total_token_count", "totalTokenCount"),
        {"cache_read": cached} if cached else {},
        {"reasoning": thoughts} if thoughts else {},
    )


BY_PROVIDER: dict[str, Callable[[Mapping[str, Any]], Usage | None]] = {
    "openai": openai,
    "azure": openai,
    "anthropic": anthropic,
    "google_genai": gemini,
    "google_vertexai": gemini,
}
"""ls_provider (LangChain's names) -> the parser of that provider's usage object."""
