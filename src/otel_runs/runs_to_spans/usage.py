"""A run's token usage, in LangSmith's `usage_metadata` shape, for the spans of model calls.

Only runs whose type owns usage in spans -> runs (`USAGE_RUN_TYPES`: llm and embedding) get
usage attributes: every other run's token fields are sums over the model calls below it, and
writing them would make spans -> runs count them twice.

Source order: `outputs.usage_metadata` (what the model returned), then
`extra.metadata.usage_metadata` (what the SDK copied there), then the run's own
`prompt_tokens` / `completion_tokens` / `total_tokens` with the token details LangSmith's API
returns next to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.map_span import USAGE_RUN_TYPES
from otel_runs.model.run import Run
from otel_runs.runs_to_spans.values import INT64_MAX

Usage = dict[str, Any]

_COUNTS: Final = ("input_tokens", "output_tokens", "total_tokens")
_DETAILS: Final = ("input_token_details", "output_token_details")
# Names the LangSmith API uses for the token details next to prompt_tokens.
_FIELD_DETAILS: Final = (
    ("input_token_details", ("prompt_token_details", "input_token_details")),
    ("output_token_details", ("completion_token_details", "output_token_details")),
)


def _count(value: object) -> int | None:
    """A token count an attribute can carry (OTLP integers are int64)."""
    return value if type(value) is int and 0 <= value <= INT64_MAX else None


def _details(value: object) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    found = {}
    for key, count in value.items():  # (a loop: a comprehension costs more on one or two)
        if type(count) is int and 0 <= count <= INT64_MAX:
            found[str(key)] = count
    return found or None


def _from_object(value: object) -> Usage | None:
    """A usage_metadata object with at least one integer count."""
    if not isinstance(value, dict):
        return None
    for key in _COUNTS:  # (a loop, not any() of a generator: this runs for every model call)
        count = value.get(key)
        if type(count) is int and 0 <= count <= INT64_MAX:
            return dict(value)
    return None


def _from_fields(run: Run) -> Usage | None:
    counts = (run.prompt_tokens, run.completion_tokens, run.total_tokens)
    if all(c is None for c in counts):
        return None
    usage: Usage = {
        key: value for key, value in zip(_COUNTS, counts, strict=True) if value is not None
    }
    for group, names in _FIELD_DETAILS:
        for name in names:
            details = _details(run.unmapped.get(name))
            if details:
                usage[group] = details
                break
    return usage


def run_usage(run: Run, metadata: Mapping[str, Any]) -> Usage | None:
    """The usage a model-call run reports, or None (also for runs that own no usage)."""
    if run.run_type not in USAGE_RUN_TYPES:
        return None
    outputs = run.outputs
    if isinstance(outputs, dict):
        found = _from_object(outputs.get(ls.META_USAGE))
        if found is not None:
            return found
    found = _from_object(metadata.get(ls.META_USAGE))
    if found is not None:
        return found
    return _from_fields(run)


def counts(usage: Usage) -> tuple[int | None, int | None, int | None]:
    """Input, output and total tokens (total derived when only the parts are given)."""
    inp = _count(usage.get("input_tokens"))
    out = _count(usage.get("output_tokens"))
    total = _count(usage.get("total_tokens"))
    if total is None and inp is not None and out is not None:
        total = inp + out
    return inp, out, total


def details(usage: Usage, group: str) -> dict[str, int] | None:
    """A whole details group with its integer entries."""
    return _details(usage.get(group)) if group in _DETAILS else None


DETAIL_KEYS: Final = (
    ("input_token_details", "cache_read"),
    ("input_token_details", "cache_creation"),
    ("input_token_details", "audio"),
    ("output_token_details", "reasoning"),
    ("output_token_details", "audio"),
)
"""The token details GenAI and OpenInference both have attributes for, in `tokens()` order."""


def tokens(usage: Usage) -> tuple[int | None, ...]:
    """`counts()`, then each of `DETAIL_KEYS` (as `details()` reads them): what the GenAI and
    OpenInference writers both write, found once per run."""
    get = usage.get
    inp, out, total = get("input_tokens"), get("output_tokens"), get("total_tokens")
    # (`counts()` written out, then the details: a few calls less for every model call)
    inp = inp if type(inp) is int and 0 <= inp <= INT64_MAX else None
    out = out if type(out) is int and 0 <= out <= INT64_MAX else None
    if type(total) is not int or not 0 <= total <= INT64_MAX:
        total = inp + out if inp is not None and out is not None else None
    # (each count checked inline: a list and a comprehension over it cost ~0.3 us more)
    inputs, outputs = get("input_token_details"), get("output_token_details")
    cache_read = cache_created = audio_in = reasoning = audio_out = None
    if isinstance(inputs, dict):
        cache_read, cache_created, audio_in = (
            inputs.get("cache_read"),
            inputs.get("cache_creation"),
            inputs.get("audio"),
        )
        if type(cache_read) is not int or not 0 <= cache_read <= INT64_MAX:
            cache_read = None
        if type(cache_created) is not int or not 0 <= cache_created <= INT64_MAX:
            cache_created = None
        if type(audio_in) is not int or not 0 <= audio_in <= INT64_MAX:
            audio_in = None
    if isinstance(outputs, dict):
        reasoning, audio_out = outputs.get("reasoning"), outputs.get("audio")
        if type(reasoning) is not int or not 0 <= reasoning <= INT64_MAX:
            reasoning = None
        if type(audio_out) is not int or not 0 <= audio_out <= INT64_MAX:
            audio_out = None
    return inp, out, total, cache_read, cache_created, audio_in, reasoning, audio_out
