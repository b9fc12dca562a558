"""OpenInference attributes of a run, so Phoenix, Arize and Langfuse classify and show it:
span kind, `input.value` / `output.value` as JSON, model, invocation parameters, token counts
(model calls only), thread (`session.id`), user and tags."""

from __future__ import annotations

from typing import Final

from otel_runs.conventions import openinference as oi
from otel_runs.model.span_record import AttributeValue
from otel_runs.runs_to_spans.facts import Facts
from otel_runs.runs_to_spans.values import dumps

_TOKEN_ATTRIBUTES: Final = (
    oi.TOKEN_COUNT_PROMPT,
    oi.TOKEN_COUNT_COMPLETION,
    oi.TOKEN_COUNT_TOTAL,
    # usage.DETAIL_KEYS
    oi.TOKEN_COUNT_CACHE_READ,
    oi.TOKEN_COUNT_CACHE_WRITE,
    oi.TOKEN_COUNT_PROMPT_AUDIO,
    oi.TOKEN_COUNT_REASONING,
    oi.TOKEN_COUNT_COMPLETION_AUDIO,
)
"""Attribute of each of `usage.tokens()`."""


def write(facts: Facts, out: dict[str, AttributeValue]) -> None:
    """Add the run's OpenInference attributes to `out`."""
    run = facts.run
    out[oi.SPAN_KIND] = oi.RUN_TYPE_TO_KIND.get(run.run_type, "CHAIN")
    out[oi.INPUT_VALUE] = facts.inputs_json
    out[oi.INPUT_MIME_TYPE] = oi.MIME_JSON
    if facts.outputs_json is not None:
        out[oi.OUTPUT_VALUE] = facts.outputs_json
        out[oi.OUTPUT_MIME_TYPE] = oi.MIME_JSON
    if facts.model is not None and run.run_type == "llm":
        out[oi.LLM_MODEL_NAME] = facts.model
        if facts.params:
            out[oi.LLM_INVOCATION_PARAMETERS] = dumps(facts.params)
    elif facts.model is not None and run.run_type == "embedding":
        out[oi.EMBEDDING_MODEL_NAME] = facts.model
    if facts.tokens is not None:
        for key, count in zip(_TOKEN_ATTRIBUTES, facts.tokens, strict=True):
            if count is not None:
                out[key] = count
    if facts.thread_id is not None:
        out[oi.SESSION_ID] = facts.thread_id
    if facts.user_id is not None:
        out[oi.USER_ID] = facts.user_id
    if run.tags:
        out[oi.TAG_TAGS] = list(run.tags)
