"""Last-resort fallbacks for spans no dialect understood: input/output, tokens and model found by
the last segment of an attribute's name (`input`, `myapp.request`, `usage`, `input_tokens`...).

They run after every convention's rows, so a span any dialect maps never reaches them, and they
skip the families the conventions own (a `gen_ai.*` key a dialect left unread stays in the
leftovers rather than being guessed at).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Final

from otel_runs.dialects import usage_shapes
from otel_runs.dialects.coerce import as_int, as_object, as_str, is_empty, json_or_text, loads
from otel_runs.dialects.view import SpanView

OWNED_FAMILIES: Final = frozenset(
    {
        "gen_ai", "llm", "langsmith", "traceloop", "langfuse", "ai", "openinference", "logfire",
        "mlflow", "http", "url", "server", "client", "network", "db", "rpc", "messaging",
        "exception", "error", "code", "thread", "otel", "telemetry", "service", "process",
    }
)  # fmt: skip
"""First dotted segments of keys a convention (or plain OTel) owns: never read here."""
INPUT_NAMES: Final = frozenset(
    {"input", "inputs", "request", "prompt", "query", "question", "arguments", "args"}
)
"""Last name segments of keys taken for a span's input."""
OUTPUT_NAMES: Final = frozenset({"output", "outputs", "response", "result", "completion", "answer"})
"""Last name segments of keys taken for a span's output."""
USAGE_OBJECT_NAMES: Final = frozenset({"usage", "token_usage", "usage_metadata"})
"""Last name segments of keys holding a provider's usage object (JSON)."""
TOKEN_NAMES: Final = frozenset(
    {*usage_shapes.TOP, "cache_read_input_tokens", "cache_creation_input_tokens"}
)
"""Last name segments of flat token counts (OpenAI's and Anthropic's names)."""
MODEL_NAMES: Final = frozenset({"model", "model_name", "model_id"})
"""Last name segments of keys naming the model."""


def named(names: Collection[str]) -> Callable[[str], bool]:
    """The rule `_candidates` picks keys by, for one key (whether it was read aside): a plan
    leaves a fallback out for span shapes with no such key."""
    wanted = frozenset(names)

    def rule(key: str) -> bool:
        family, dot, _ = key.partition(".")
        if dot and family in OWNED_FAMILIES:
            return False
        return key.rpartition(".")[2].lower() in wanted

    return rule


def _candidates(v: SpanView, names: Collection[str]) -> list[tuple[str, str]]:
    """(key, last segment) of unread attributes outside the owned families whose last name
    segment is one of `names`."""
    found = []
    for key in v.attrs:
        if key in v.used:
            continue
        family, _, _ = key.partition(".")
        if family in OWNED_FAMILIES and "." in key:
            continue
        last = key.rpartition(".")[2].lower()
        if last in names:
            found.append((key, last))
    return found


def _found(v: SpanView, names: Collection[str], text_key: str) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    for key, _ in _candidates(v, names):
        raw = v.attrs[key]
        if is_empty(raw):
            continue
        decoded = loads(raw)
        values[key] = decoded if decoded is not None else raw
    if not values:
        return None
    v.consume(*values)
    if len(values) == 1:
        [(key, value)] = values.items()
        return json_or_text(value, text_key)
    return values


def inputs(v: SpanView) -> dict[str, Any] | None:
    """An unread `...input` / `...request` / `...prompt`-like attribute (several: by key)."""
    return _found(v, INPUT_NAMES, "input")


def outputs(v: SpanView) -> dict[str, Any] | None:
    """An unread `...output` / `...response` / `...result`-like attribute (several: by key)."""
    return _found(v, OUTPUT_NAMES, "output")


def usage(v: SpanView, known: Collection[str]) -> dict[str, Any] | None:
    """Tokens under generic names when the span has none of the `known` token attributes: a
    provider usage object (`usage`, `token_usage`...) or flat `input_tokens`-like counts."""
    attrs = v.attrs
    if not known or any(key in attrs for key in known):
        return None
    for key, _ in _candidates(v, USAGE_OBJECT_NAMES):
        raw = as_object(attrs[key])
        found = usage_shapes.provider_usage(raw) if raw else {}
        if found:
            v.consume(key)
            return found
    flat: dict[str, Any] = {}
    keys = []
    for key, last in _candidates(v, TOKEN_NAMES):
        count = as_int(attrs[key])
        if count is not None and last not in flat:
            flat[last] = count
            keys.append(key)
    found = usage_shapes.provider_usage(flat) if flat else {}
    if not found:
        return None
    v.consume(*keys)
    return found


def model(v: SpanView) -> str | None:
    """An unread `...model` / `...model_name` attribute, on spans taken for LLM calls."""
    for key, _ in _candidates(v, MODEL_NAMES):
        name = as_str(v.attrs[key])
        if name:
            v.consume(key)
            return name
    return None


def run_type(v: SpanView, known: Collection[str]) -> str | None:
    """llm for a span with a model and tokens under generic names (and no kind of its own)."""
    if _candidates(v, MODEL_NAMES) and (
        _candidates(v, TOKEN_NAMES) or _candidates(v, USAGE_OBJECT_NAMES)
    ):
        return "llm" if not any(key in v.attrs for key in known) else None
    return None
