"""Token usage of one span, normalized to LangSmith's inclusive semantics.

LangSmith's `usage_metadata` counts cache reads and writes inside `input_tokens` and reasoning
inside `output_tokens`, as the GenAI conventions and OpenInference do. Sources with exclusive
buckets are detected by an impossible total (cache larger than input, reasoning larger than
output) and corrected; the rule that fired is recorded in `notes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from otel_runs.conventions import genai as g
from otel_runs.dialects import genai
from otel_runs.dialects.coerce import as_int
from otel_runs.dialects.precedence import TOKEN_ATTRIBUTES
from otel_runs.dialects.view import SpanView

if TYPE_CHECKING:
    from otel_runs.convert.plan import Plan

Usage = dict[str, Any]

_TOP = ("input_tokens", "output_tokens", "total_tokens")


def _put(usage: Usage, path: str, count: int) -> None:
    group, _, detail = path.partition(".")
    if detail:
        usage.setdefault(group, {})[detail] = count
    else:
        usage[group] = count


TOKEN_KEYS: dict[str, tuple[tuple[str, int], ...]] = {}
"""Every token attribute -> the usage paths it can fill, with its precedence rank in each (a
plan lists the ones a span shape has, so a span is never walked for them)."""
for _path, _sources in TOKEN_ATTRIBUTES.items():
    for _rank, (_, _key) in enumerate(_sources):
        TOKEN_KEYS[_key] = (*TOKEN_KEYS.get(_key, ()), (_path, _rank))
PATHS = tuple(TOKEN_ATTRIBUTES)
"""Usage paths in the table's order."""


def _from_attributes(v: SpanView, plan: Plan) -> Usage:
    direct = plan.token_direct
    if direct is not None:
        return _from_uncontested(v, plan, direct)
    best: dict[str, tuple[int, int]] = {}
    attrs = v.attrs
    for key, targets in plan.token_keys:
        raw = attrs[key]
        if raw is None:
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
        for path in plan.token_paths:  # the table's order, whatever the span's
            if path in best:
                _put(usage, path, best[path][1])
    return _with_details(v, plan, usage)


def _from_uncontested(
    v: SpanView, plan: Plan, direct: tuple[tuple[str, str, str], ...]
) -> Usage:
    """`_from_attributes` for a shape whose every usage path has one key (`Plan.token_direct`)."""
    usage: Usage = {}
    attrs = v.attrs
    used = v.used
    for group, detail, key in direct:  # the table's order, whatever the span's
        count = as_int(attrs[key])
        if count is None:
            continue
        used.add(key)
        if detail:
            usage.setdefault(group, {})[detail] = count
        else:
            usage[group] = count
    return _with_details(v, plan, usage) if plan.token_details else usage


def _with_details(v: SpanView, plan: Plan, usage: Usage) -> Usage:
    """Usage with the detail objects (`gen_ai.usage.*_token_details`) merged under the counts."""
    for group, key in plan.token_details:
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


def _first_object(v: SpanView, plan: Plan) -> dict[str, Any] | None:
    """The first whole usage object the span carries (`precedence.USAGE_OBJECTS`)."""
    for source in plan.usage_objects:
        found: dict[str, Any] | None = source.get(v)
        if found is not None:
            return found
    return None


def extract(v: SpanView, plan: Plan) -> tuple[Usage | None, list[str]]:
    """The span's usage (or None) and the normalization rules that fired."""
    direct = plan.token_direct
    if direct and not plan.usage_objects and not plan.token_details:  # the usual shape
        usage = _from_uncontested(v, plan, direct)
        return (None, []) if usage.keys().isdisjoint(_TOP) else normalize(usage)
    whole = _first_object(v, plan)
    if not whole and not plan.token_keys and not plan.token_details:
        return None, []
    usage = _clean(whole) if whole else _from_attributes(v, plan)
    if usage.keys().isdisjoint(_TOP):
        return None, []
    return normalize(usage)


_NO_DETAILS: dict[str, int] = {}  # (read only)


def normalize(usage: Usage) -> tuple[Usage, list[str]]:
    """Make input/output inclusive and total consistent; say which rule fired."""
    notes: list[str] = []
    inp = usage.get("input_tokens")
    out = usage.get("output_tokens")
    total = usage.get("total_tokens")
    in_details = usage.get("input_token_details", _NO_DETAILS)
    out_details = usage.get("output_token_details", _NO_DETAILS)
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
