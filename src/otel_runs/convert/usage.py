"""Token usage of one span, normalized to LangSmith's inclusive semantics.

LangSmith's `usage_metadata` counts cache reads and writes inside `input_tokens` and reasoning
inside `output_tokens`, as the GenAI conventions and OpenInference do. Sources with exclusive
buckets are detected by an impossible total (cache larger than input, reasoning larger than
output) and corrected; the rule that fired is recorded in `notes`.
"""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.dialects import genai
from otel_runs.dialects.coerce import as_int
from otel_runs.dialects.precedence import TOKEN_ATTRIBUTES, USAGE_OBJECTS, first
from otel_runs.dialects.view import SpanView

Usage = dict[str, Any]

_TOP = ("input_tokens", "output_tokens", "total_tokens")


def _put(usage: Usage, path: str, count: int) -> None:
    group, _, detail = path.partition(".")
    if detail:
        usage.setdefault(group, {})[detail] = count
    else:
        usage[group] = count


# Every token attribute -> the usage paths it can fill, with its precedence rank in each. A
# span is walked once over its own keys instead of looking up every known key.
_TOKEN_KEYS: dict[str, tuple[tuple[str, int], ...]] = {}
for _path, _sources in TOKEN_ATTRIBUTES.items():
    for _rank, (_, _key) in enumerate(_sources):
        _TOKEN_KEYS[_key] = (*_TOKEN_KEYS.get(_key, ()), (_path, _rank))
_PATHS = tuple(TOKEN_ATTRIBUTES)


def _from_attributes(v: SpanView) -> Usage:
    best: dict[str, tuple[int, int]] = {}
    for key, raw in v.attrs.items():
        targets = _TOKEN_KEYS.get(key)
        if targets is None or raw is None:
            continue
        count = as_int(raw)
        if count is None:
            continue
        v.used.add(key)
        for path, rank in targets:
            held = best.get(path)
            if held is None or rank < held[0]:
                best[path] = (rank, count)
    usage: Usage = {}
    if best:
        for path in _PATHS:  # the table's order, whatever the span's
            if path in best:
                _put(usage, path, best[path][1])
    for group, key in (
        ("input_token_details", g.USAGE_INPUT_TOKEN_DETAILS),
        ("output_token_details", g.USAGE_OUTPUT_TOKEN_DETAILS),
    ):
        details = genai.token_details(v, key)
        if details:
            usage[group] = {**details, **usage.get(group, {})}
    return usage


def _clean(whole: dict[str, Any]) -> Usage:
    usage: Usage = {}
    for key in _TOP:
        count = as_int(whole.get(key))
        if count is not None:
            usage[key] = count
    for group in ("input_token_details", "output_token_details"):
        details = whole.get(group)
        if isinstance(details, dict):
            kept = {str(k): n for k, val in details.items() if (n := as_int(val)) is not None}
            if kept:
                usage[group] = kept
    for key in ("input_cost", "output_cost", "total_cost"):
        if whole.get(key) is not None:
            usage[key] = whole[key]
    for key in ("input_cost_details", "output_cost_details"):
        if isinstance(whole.get(key), dict):
            usage[key] = whole[key]
    return usage


# Usage paths by the part of a GenAI usage key after `gen_ai.usage.`, for other prefixes that
# reuse those names (pydantic-ai's `gen_ai.aggregated_usage.*`).
_BY_SUFFIX = {
    key[len(g.USAGE_PREFIX) :]: path
    for path, sources in TOKEN_ATTRIBUTES.items()
    for _, key in sources
    if key.startswith(g.USAGE_PREFIX)
}


def from_suffixes(values: dict[str, Any]) -> Usage | None:
    """Usage from `gen_ai.usage.*`-style suffixes under another prefix, in usage_metadata shape."""
    usage: Usage = {}
    for suffix, raw in values.items():
        path = _BY_SUFFIX.get(suffix)
        count = as_int(raw)
        if path is None or count is None:
            continue
        group, _, detail = path.partition(".")
        if (usage.get(group, {}) if detail else usage).get(detail or group) is None:
            _put(usage, path, count)
    if not any(key in usage for key in _TOP):
        return None
    return normalize(usage)[0]


def extract(v: SpanView) -> tuple[Usage | None, list[str]]:
    """The span's usage (or None) and the normalization rules that fired."""
    whole = first(v, USAGE_OBJECTS)
    usage = _clean(whole) if whole else _from_attributes(v)
    if usage.keys().isdisjoint(_TOP):
        return None, []
    return normalize(usage)


def normalize(usage: Usage) -> tuple[Usage, list[str]]:
    """Make input/output inclusive and total consistent; say which rule fired."""
    notes: list[str] = []
    inp, out, total = (usage.get(k) for k in _TOP)
    in_details = usage.get("input_token_details", {})
    out_details = usage.get("output_token_details", {})
    cache = in_details.get("cache_read", 0) + in_details.get("cache_creation", 0)
    if inp is None and total is not None and out is not None and total >= out:
        inp = total - out
        notes.append("input_tokens inferred as total_tokens - output_tokens")
    if inp is not None and cache > inp:
        inp += cache
        notes.append("input_tokens excluded cache tokens; cache_read + cache_creation added")
    reasoning = out_details.get("reasoning", 0)
    if out is not None and reasoning > out:
        out += reasoning
        notes.append("output_tokens excluded reasoning tokens; reasoning added")
    derived = (inp or 0) + (out or 0)
    if total is None or (notes and total != derived):
        total = derived
    elif total != derived and (inp is not None and out is not None):
        notes.append(f"total_tokens {total} differs from input + output {derived}; kept as given")
    usage["input_tokens"] = inp or 0
    usage["output_tokens"] = out or 0
    usage["total_tokens"] = total
    return usage, notes


def aggregate(carriers: list[Usage]) -> Usage:
    """Sum of usages (token counts and their details)."""
    total: Usage = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for usage in carriers:
        for key in _TOP:
            total[key] += usage.get(key, 0)
        for group in ("input_token_details", "output_token_details"):
            for detail, count in usage.get(group, {}).items():
                bucket = total.setdefault(group, {})
                bucket[detail] = bucket.get(detail, 0) + count
    return total
