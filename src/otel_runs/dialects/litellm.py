"""LiteLLM's model strings (openinference-instrumentation-litellm): the model without the
provider prefix LiteLLM routes by, so the run is priced as the provider's model."""

from __future__ import annotations

from otel_runs.conventions import litellm as lt
from otel_runs.conventions import openinference as oi
from otel_runs.dialects.coerce import as_str
from otel_runs.dialects.view import SpanView


def model(v: SpanView) -> str | None:
    """`llm.model_name` less its `<provider>/` prefix when that is the span's `llm.provider`
    (`openai/gpt-4o-mini` -> `gpt-4o-mini`); the provider stays in `ls_provider`."""
    if v.record.scope_name != lt.SCOPE:
        return None
    name = as_str(v.peek(oi.LLM_MODEL_NAME))
    provider = as_str(v.peek(oi.LLM_PROVIDER))
    if not name or not provider:
        return None
    prefix, separator, rest = name.partition("/")
    if not separator or not rest or prefix.lower() != provider.lower():
        return None
    v.consume(oi.LLM_MODEL_NAME)
    return rest
