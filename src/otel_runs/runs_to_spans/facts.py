"""What the attribute writers of every convention need to know about one run, found once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_runs.conventions import langsmith as ls
from otel_runs.conventions.providers import FROM_LS_PROVIDER, LEGACY_TO_CURRENT, MODEL_NAME_HINTS
from otel_runs.convert.map_span import USAGE_RUN_TYPES
from otel_runs.dotted_order import datetime_to_us
from otel_runs.model.run import Run
from otel_runs.runs_to_spans.attachments import clean_attachments
from otel_runs.runs_to_spans.events import time_us
from otel_runs.runs_to_spans.origin import Origin, origin_of
from otel_runs.runs_to_spans.usage import Usage, run_usage, tokens
from otel_runs.runs_to_spans.values import dumps


@dataclass(slots=True)
class Facts:
    """One run, with the values several conventions write derived once."""

    run: Run
    metadata: dict[str, Any]
    """`extra.metadata` when it is an object, else empty."""
    origin: Origin | None
    """The span the run came from, when it remembers one."""
    inputs_json: str
    outputs_json: str | None
    usage: Usage | None
    tokens: tuple[int | None, ...] | None
    """`usage.tokens(usage)`: counts and details, when the run has usage."""
    model: str | None
    system: str | None
    """Provider as `gen_ai.system` (the spelling LangSmith's SDK writes)."""
    provider: str | None
    """Provider as the current `gen_ai.provider.name`."""
    params: dict[str, Any]
    """Invocation parameters: `extra.metadata.invocation_params` then `extra.invocation_params`."""
    thread_id: str | None
    user_id: str | None
    first_token_us: int | None
    start_us: int
    end_us: int | None
    """start_time and end_time in Unix microseconds."""
    attachments: dict[str, dict[str, str]] | None
    """The run's attachments, when they read back exactly (`attachments.clean_attachments`)."""
    attachments_in_parts: set[str]
    """Attachments written back into message parts (the rest go in `langsmith.attachments`)."""


def _text(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if type(value) is int:
        return str(value)
    return None


def _model(run: Run, metadata: Mapping[str, Any], params: Mapping[str, Any]) -> str | None:
    """The SDK exporter's order: inputs.model (chat requests), ls_model_name, invocation params."""
    inputs = run.inputs
    if isinstance(inputs.get("messages"), list) and isinstance(inputs.get("model"), str):
        return str(inputs["model"])
    value = metadata.get(ls.META_MODEL_NAME) if metadata else None
    if isinstance(value, str) and value:
        return value
    if params:
        for value in (params.get("model"), params.get("model_name")):
            if isinstance(value, str) and value:
                return value
    return None


def _system_from_model(model: str) -> str | None:
    lowered = model.lower()
    for substrings, prefixes, system in MODEL_NAME_HINTS:
        for hint in substrings:
            if all(part in lowered for part in hint.split("+")):
                return system
        if any(lowered.startswith(prefix) for prefix in prefixes):
            return system
    return None


def _providers(metadata: Mapping[str, Any], model: str | None) -> tuple[str | None, str | None]:
    named = metadata.get(ls.META_PROVIDER)
    if isinstance(named, str) and named:
        known = FROM_LS_PROVIDER.get(named.lower())
        return known if known is not None else (named, named)
    system = _system_from_model(model) if model else None
    if system is None:
        return None, None
    return system, LEGACY_TO_CURRENT.get(system, system)


def _first_token_us(run: Run) -> int | None:
    """first_token_time, else the first `new_token` event (as LangSmith derives it)."""
    if run.first_token_time is not None:
        return datetime_to_us(run.first_token_time)
    for event in run.events:
        if isinstance(event, dict) and event.get("name") == ls.EVENT_NEW_TOKEN:
            return time_us(event.get("time"))
    return None


def facts_of(run: Run) -> Facts:
    """Derive the shared values of one run."""
    extra = run.extra
    raw_meta = extra.get("metadata") if isinstance(extra, dict) else None
    metadata: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    params: dict[str, Any] = {}
    thread = user = origin = None
    if metadata:
        get = metadata.get
        source = get(ls.META_INVOCATION_PARAMS)
        if isinstance(source, dict):
            params.update(source)
        for key in ls.META_THREAD_KEYS:
            found = get(key)
            if found is not None:  # (_text(None) is None: absent keys need no call)
                thread = _text(found)
                if thread is not None:
                    break
        found = get(ls.META_USER_ID)
        user = _text(found) if found is not None else None
        if ls.META_OTEL in metadata:
            origin = origin_of(metadata)
    source = extra.get(ls.META_INVOCATION_PARAMS) if isinstance(extra, dict) else None
    if isinstance(source, dict):
        params.update(source)
    usage = run_usage(run, metadata) if run.run_type in USAGE_RUN_TYPES else None
    model = _model(run, metadata, params)
    if model is None and (not metadata or ls.META_PROVIDER not in metadata):
        system = provider = None  # (what _providers finds without a provider or a model)
    else:
        system, provider = _providers(metadata, model)
    outputs = run.outputs
    end = run.end_time
    unmapped = run.unmapped
    return Facts(  # positional, in field order: a keyword call costs twice as much
        run,
        metadata,
        origin,
        dumps(run.inputs),
        dumps(outputs) if outputs is not None else None,
        usage,
        tokens(usage) if usage is not None else None,
        model,
        system,
        provider,
        params,
        thread,
        user,
        _first_token_us(run) if run.events or run.first_token_time else None,
        datetime_to_us(run.start_time),
        datetime_to_us(end) if end is not None else None,
        clean_attachments(unmapped[ls.RUN_ATTACHMENTS])
        if unmapped and ls.RUN_ATTACHMENTS in unmapped
        else None,
        set(),
    )
