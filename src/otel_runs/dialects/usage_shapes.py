"""Provider usage objects (OpenAI chat / Responses, Anthropic) as usage_metadata, for dialects
that carry the provider's object whole (Langfuse's usage_details, generic `usage` keys)."""

from __future__ import annotations

from typing import Any, Final

from otel_runs.dialects.coerce import as_int

TOP: Final = {
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "total_tokens": "total_tokens",
}
"""Top-level count keys of provider usage objects (inclusive of their details)."""
_DETAIL_GROUPS = {
    "prompt_tokens_details": "input_token_details",
    "input_tokens_details": "input_token_details",
    "completion_tokens_details": "output_token_details",
    "output_tokens_details": "output_token_details",
}
_DETAIL_NAMES = {
    "cached_tokens": "cache_read",
    "cache_read_tokens": "cache_read",
    "cache_creation_tokens": "cache_creation",
    "cache_write_tokens": "cache_creation",
    "reasoning_tokens": "reasoning",
    "audio_tokens": "audio",
}
# Anthropic's flat cache keys: counted outside input_tokens.
_ANTHROPIC_CACHE = {
    "cache_read_input_tokens": "cache_read",
    "cache_creation_input_tokens": "cache_creation",
}


def provider_usage(raw: dict[str, Any]) -> dict[str, Any]:
    """A provider's usage object in usage_metadata shape (empty when it has no counts)."""
    usage: dict[str, Any] = {}
    for key, target in TOP.items():
        count = as_int(raw.get(key))
        if count is not None and target not in usage:
            usage[target] = count
    for key, group in _DETAIL_GROUPS.items():
        details = raw.get(key)
        if not isinstance(details, dict):
            continue
        for name, count_raw in details.items():
            count = as_int(count_raw)
            if count is not None:
                detail = _DETAIL_NAMES.get(name, name.removesuffix("_tokens"))
                usage.setdefault(group, {})[detail] = count
    cache_total = 0
    for key, detail in _ANTHROPIC_CACHE.items():
        count = as_int(raw.get(key))
        if count is not None:
            usage.setdefault("input_token_details", {})[detail] = count
            cache_total += count
    if cache_total and "input_tokens" in usage:
        usage["input_tokens"] += cache_total
        usage.pop("total_tokens", None)
    return usage
