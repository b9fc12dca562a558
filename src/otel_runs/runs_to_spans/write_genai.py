"""GenAI semantic-convention attributes of a run (current names, plus the deprecated ones
LangSmith's exporter writes: `gen_ai.system`, `gen_ai.prompt`, `gen_ai.completion`).

- `gen_ai.operation.name`: llm -> chat (text_completion for completion models),
  embedding -> embeddings, retriever -> retrieval, tool -> execute_tool; other run types are
  written as they are, as LangSmith's exporter does.
- Provider, models, request parameters, response id / finish reasons, messages (llm runs),
  tool attributes (tool runs), thread id -> `gen_ai.conversation.id`, time to first chunk.
- Usage only on runs that own it (see `usage.py`), inclusive as the conventions define it:
  cache reads and writes inside input tokens, reasoning inside output tokens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from otel_runs.conventions import genai as g
from otel_runs.model.span_record import AttributeValue
from otel_runs.runs_to_spans import messages, usage
from otel_runs.runs_to_spans.attachments import fill_parts
from otel_runs.runs_to_spans.facts import Facts
from otel_runs.runs_to_spans.values import INT64_MAX, INT64_MIN, attribute_value, dumps

_OPERATIONS: Final = {
    "llm": "chat",
    "embedding": "embeddings",
    "retriever": "retrieval",
    "tool": "execute_tool",
}
_PARAMS: Final = (
    ("max_tokens", g.REQUEST_MAX_TOKENS),
    ("temperature", g.REQUEST_TEMPERATURE),
    ("top_p", g.REQUEST_TOP_P),
    ("top_k", g.REQUEST_TOP_K),
    ("frequency_penalty", g.REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", g.REQUEST_PRESENCE_PENALTY),
    ("seed", g.REQUEST_SEED),
)
_PARAM_NAMES: Final = frozenset(name for name, _ in _PARAMS)
_EXTRA_REQUEST: Final = (
    ("extra_query", g.REQUEST_EXTRA_QUERY),
    ("extra_body", g.REQUEST_EXTRA_BODY),
)
_TOKEN_ATTRIBUTES: Final = (
    g.USAGE_INPUT_TOKENS,
    g.USAGE_OUTPUT_TOKENS,
    g.USAGE_TOTAL_TOKENS,
    # usage.DETAIL_KEYS
    g.USAGE_CACHE_READ_INPUT_TOKENS,
    g.USAGE_CACHE_CREATION_INPUT_TOKENS,
    g.USAGE_AUDIO_INPUT_TOKENS,
    g.USAGE_REASONING_OUTPUT_TOKENS,
    g.USAGE_AUDIO_OUTPUT_TOKENS,
)
"""Attribute of each of `usage.tokens()`."""
_DETAIL_GROUPS: Final = (
    ("input_token_details", g.USAGE_INPUT_TOKEN_DETAILS),
    ("output_token_details", g.USAGE_OUTPUT_TOKEN_DETAILS),
)
_RESPONSE_KEYS: Final = (
    ("id", g.RESPONSE_ID),
    ("service_tier", g.RESPONSE_SERVICE_TIER),
    ("system_fingerprint", g.RESPONSE_SYSTEM_FINGERPRINT),
)


def _operation(facts: Facts) -> str:
    run_type = facts.run.run_type
    if run_type == "llm" and (
        facts.metadata.get("ls_model_type") == "llm" or "prompts" in facts.run.inputs
    ):
        return "text_completion"
    return _OPERATIONS.get(run_type, run_type)


_REQUEST_INPUTS: Final = frozenset(name for name, _ in _EXTRA_REQUEST)
_RESPONSE_OUTPUTS: Final = frozenset(
    {"model", *(name for name, _ in _RESPONSE_KEYS), *messages.FINISH_REASON_KEYS}
)
"""Output keys `_response` reads: outputs with none of them give no response attributes."""


def _request(facts: Facts, out: dict[str, AttributeValue]) -> None:
    _request_from(facts.params, facts.run.inputs, out)


def _request_from(
    params: Mapping[str, Any], inputs: Mapping[str, Any], out: dict[str, AttributeValue]
) -> None:
    """Request parameters and extra request inputs (also called by `born_mapper`'s mappers)."""
    if params:
        if not _PARAM_NAMES.isdisjoint(params):
            for name, key in _PARAMS:
                found = params.get(name)
                if found is not None:  # (`_number` inline: a parameter or two per model call)
                    if type(found) is int:
                        if INT64_MIN <= found <= INT64_MAX:
                            out[key] = found
                    elif isinstance(found, float) and math.isfinite(found):
                        out[key] = found
        stop = params.get("stop")
        if isinstance(stop, str):
            stop = [stop]
        if isinstance(stop, list) and stop and all(isinstance(s, str) for s in stop):
            out[g.REQUEST_STOP_SEQUENCES] = list(stop)
    if not _REQUEST_INPUTS.isdisjoint(inputs):
        for name, key in _EXTRA_REQUEST:
            if inputs.get(name) is not None:
                out[key] = attribute_value(inputs[name])
    tools = params.get("tools") if params else None
    if tools:
        out[g.TOOL_DEFINITIONS] = attribute_value(tools)


def _response(outputs: Mapping[str, Any], out: dict[str, AttributeValue]) -> None:
    if isinstance(outputs.get("model"), str):
        out[g.RESPONSE_MODEL] = outputs["model"]
    for name, key in _RESPONSE_KEYS:
        if outputs.get(name) is not None:
            out[key] = attribute_value(outputs[name])
    reasons = messages.finish_reasons(outputs)
    if reasons:
        out[g.RESPONSE_FINISH_REASONS] = reasons


def _usage(facts: Facts, out: dict[str, AttributeValue]) -> None:
    found, counts = facts.usage, facts.tokens
    assert found is not None and counts is not None  # both are there or neither
    for key, count in zip(_TOKEN_ATTRIBUTES, counts, strict=True):
        if count is not None:
            out[key] = count
    for group, key in _DETAIL_GROUPS:
        given = found.get(group)
        if given:  # (most usage has no details, or one group of them)
            details = usage.details(found, group)
            if details:
                out[key] = dumps(details)


def _messages(facts: Facts, out: dict[str, AttributeValue]) -> None:
    inputs = facts.run.inputs
    attached = facts.attachments
    found = messages.input_messages(inputs)
    if found:
        if attached:
            facts.attachments_in_parts |= fill_parts(found, attached, "input")
        out[g.INPUT_MESSAGES] = dumps(found)
    system = messages.system_instructions(inputs)
    if system:
        out[g.SYSTEM_INSTRUCTIONS] = dumps(system)
    outputs = facts.run.outputs
    if isinstance(outputs, dict):
        produced = messages.output_messages(outputs)
        if produced:
            if attached:
                facts.attachments_in_parts |= fill_parts(produced, attached, "output")
            out[g.OUTPUT_MESSAGES] = dumps(produced)


def _tool(facts: Facts, out: dict[str, AttributeValue]) -> None:
    run = facts.run
    out[g.TOOL_NAME] = run.name
    extra = run.extra if isinstance(run.extra, dict) else {}
    call_id = extra.get("tool_call_id") or facts.metadata.get("tool_call_id")
    if call_id is not None:
        out[g.TOOL_CALL_ID] = str(call_id)
    out[g.TOOL_CALL_ARGUMENTS] = facts.inputs_json
    if facts.outputs_json is not None:
        out[g.TOOL_CALL_RESULT] = facts.outputs_json


def write(facts: Facts, out: dict[str, AttributeValue]) -> None:
    """Add the run's GenAI attributes to `out`."""
    run = facts.run
    out[g.OPERATION_NAME] = _operation(facts)
    if facts.system is not None and facts.provider is not None:
        out[g.PROVIDER_NAME] = facts.provider
        out[g.SYSTEM] = facts.system
    if facts.model is not None:
        out[g.REQUEST_MODEL] = facts.model
    _request(facts, out)
    outputs = run.outputs
    if isinstance(outputs, dict) and not _RESPONSE_OUTPUTS.isdisjoint(outputs):
        _response(outputs, out)
    if facts.usage is not None:
        _usage(facts, out)
    if run.run_type == "llm":
        _messages(facts, out)
    elif run.run_type == "tool":
        _tool(facts, out)
    serialized = run.serialized
    if isinstance(serialized, dict):
        for name, key in (
            ("name", g.SERIALIZED_NAME),
            ("signature", g.SERIALIZED_SIGNATURE),
            ("doc", g.SERIALIZED_DOC),
        ):
            if serialized.get(name) is not None:
                out[key] = attribute_value(serialized[name])
    if facts.thread_id is not None:
        out[g.CONVERSATION_ID] = facts.thread_id
    if facts.first_token_us is not None:
        start_us = facts.start_us
        out[g.RESPONSE_TIME_TO_FIRST_CHUNK] = max(0, facts.first_token_us - start_us) / 1e6
    out[g.PROMPT] = facts.inputs_json
    if facts.outputs_json is not None:
        out[g.COMPLETION] = facts.outputs_json
