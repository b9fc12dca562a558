"""One span -> one run draft: every field a single span determines.

Fields that need the whole trace (dotted_order, trace_id, the child and parent lists, token
roll-ups, trace-scoped values) are filled by `tree.assemble`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import otel
from otel_runs.conventions.providers import TO_LS_PROVIDER
from otel_runs.convert import costs as cost_rules
from otel_runs.convert import usage as usage_rules
from otel_runs.convert.identity import IDENTITY_KEYS, Identity, identity
from otel_runs.convert.leftovers import MAX_VALUE_CHARS, cap, otel_namespace
from otel_runs.dialects import genai, openinference, openllmetry, pydantic_ai
from otel_runs.dialects import precedence as p
from otel_runs.dialects.coerce import as_str, to_jsonable
from otel_runs.dialects.view import SpanView
from otel_runs.dotted_order import ns_to_us, us_to_datetime
from otel_runs.ids import parse_uuid, span_id_hex, trace_id_hex
from otel_runs.model.run import Run, format_datetime
from otel_runs.model.span_record import SpanRecord

USAGE_RUN_TYPES = frozenset({"llm", "embedding"})
"""Run types whose own usage counts; on any other run usage is a roll-up, kept in metadata."""


@dataclass(slots=True)
class RunDraft:
    """A run before the tree is known, with what the tree step needs."""

    record: SpanRecord
    run: Run
    ident: Identity
    usage: dict[str, Any] | None = None
    """The run's own usage when it is an LLM/embedding call."""
    costs: dict[str, Decimal] | None = None
    thread_id: str | None = None
    user_id: str | None = None
    project: dict[str, str] = field(default_factory=dict)
    """Project name/id the span names (`langsmith.trace.session_{name,id}`)."""


def _time(ns: int) -> datetime:
    return us_to_datetime(ns_to_us(ns))


def _error(v: SpanView) -> str | None:
    record = v.record
    for index, event in v.events_named(otel.EVENT_EXCEPTION):
        v.used_events.add(index)
        attrs = event.attributes
        kind = as_str(attrs.get(otel.EXCEPTION_TYPE)) or "Exception"
        message = as_str(attrs.get(otel.EXCEPTION_MESSAGE)) or ""
        text = f"{kind}: {message}" if message else kind
        stack = as_str(attrs.get(otel.EXCEPTION_STACKTRACE))
        if stack and stack.strip() not in message:  # LangSmith's exporter puts it in both
            return f"{text}\n\n{stack}"
        return text
    if record.status_code == "ERROR":
        error_type = as_str(v.get(otel.ERROR_TYPE))
        if record.status_message and error_type:
            return f"{error_type}: {record.status_message}"
        return record.status_message or error_type or "error"
    return p.first(v, p.ERRORS)


def _events(v: SpanView, first_token_ns: int | None) -> list[dict[str, Any]]:
    events = [
        {
            "name": event.name,
            "time": format_datetime(_time(event.time_ns)),
            **({"kwargs": cap(to_jsonable(event.attributes))} if event.attributes else {}),
        }
        for event in v.record.events
    ]
    if first_token_ns is not None and not any(e["name"] == ls.EVENT_NEW_TOKEN for e in events):
        events.append({"name": ls.EVENT_NEW_TOKEN, "time": format_datetime(_time(first_token_ns))})
    events.sort(key=lambda e: str(e["time"]))
    return events


def _provider(v: SpanView) -> str | None:
    raw = p.first(v, p.PROVIDER)
    if raw is None:
        return None
    return TO_LS_PROVIDER.get(raw.lower(), raw.lower())


def span_to_run(
    record: SpanRecord, ident: Identity | None = None, *, max_value_chars: int = MAX_VALUE_CHARS
) -> RunDraft:
    """Map every per-span field; the record must already be valid (see `validate.problem`)."""
    v = SpanView(record)
    ident = ident or identity(record)
    v.consume(*IDENTITY_KEYS)

    v.run_type = run_type = p.first(v, p.RUN_TYPE) or "chain"
    name = p.first(v, p.NAME) or record.name or "unnamed"
    inputs = p.first(v, p.INPUTS) or {}
    outputs = p.first(v, p.OUTPUTS)
    metadata: dict[str, Any] = {
        ls.META_OTEL_TRACE_ID: trace_id_hex(record.trace_id),
        ls.META_OTEL_SPAN_ID: span_id_hex(record.span_id),
    }
    if record.parent_span_id is not None:
        metadata[ls.META_OTEL_PARENT_SPAN_ID] = span_id_hex(record.parent_span_id)

    model = p.first(v, p.MODEL)
    provider = _provider(v)
    params: dict[str, Any] = {}
    for layer in p.each(v, p.PARAM_LAYERS):
        params.update(layer)
    stream = p.first(v, p.STREAMING)
    if stream is not None:
        params["stream"] = stream
    if model is not None:
        metadata[ls.META_MODEL_NAME] = model
    if provider is not None:
        metadata[ls.META_PROVIDER] = provider
    if run_type == "llm":
        op = as_str(v.peek(g.OPERATION_NAME))
        metadata[ls.META_MODEL_TYPE] = "llm" if op in ("text_completion", "completion") else "chat"
        for param, meta_key in (
            ("temperature", ls.META_TEMPERATURE),
            ("max_tokens", ls.META_MAX_TOKENS),
            ("stop", ls.META_STOP),
        ):
            if param in params:
                metadata[meta_key] = params[param]
    for extra_meta in (
        genai.response_meta(v),
        openinference.prompt_template(v),
        openllmetry.workflow(v),
    ):
        if extra_meta:
            metadata.update(extra_meta)
    agent = genai.agent_name(v)
    if agent:
        metadata["agent_name"] = agent
    request_parameters = pydantic_ai.request_parameters(v)
    if request_parameters:
        metadata["model_request_parameters"] = request_parameters

    usage, notes = usage_rules.extract(v)
    raw_aggregated = pydantic_ai.aggregated_usage(v)
    aggregated = usage_rules.from_suffixes(raw_aggregated) if raw_aggregated else None
    own_usage = None
    if usage is not None and run_type in USAGE_RUN_TYPES:
        own_usage = usage
    elif usage is not None:
        aggregated = {**(aggregated or {}), **usage}
    if aggregated:
        metadata[ls.META_AGGREGATED_USAGE] = aggregated
    if notes:
        metadata["ls_usage_normalization"] = notes
    counts_usage = run_type in USAGE_RUN_TYPES
    run_costs = cost_rules.carried(v, usage)
    cost_source = "span"
    if run_costs is None and own_usage is not None and model is not None:
        run_costs = cost_rules.priced(model, provider, own_usage, _time(record.start_ns))
        cost_source = "genai-prices"
    if run_costs and not counts_usage:
        metadata["ls_aggregated_cost"] = {k: str(amount) for k, amount in run_costs.items()}

    first_token_ns = p.first(v, p.FIRST_TOKEN)
    error = _error(v)

    for layer in p.each(v, p.METADATA_LAYERS):
        metadata.update(layer)
    thread = p.first(v, p.THREAD_ID)
    user = p.first(v, p.USER_ID)
    if thread is not None:
        metadata.setdefault(ls.META_THREAD_ID, thread)
    if user is not None:
        metadata.setdefault(ls.META_USER_ID, user)
    tags: list[str] = []
    for found in p.each(v, p.TAG_SOURCES):
        for tag in found:
            if tag not in tags:
                tags.append(tag)
    project = {}
    for key, attr in (("session_name", ls.SESSION_NAME), ("session_id", ls.SESSION_ID)):
        value = as_str(v.get(attr))
        if value:
            project[key] = value
    reference = parse_uuid(v.get(ls.REFERENCE_EXAMPLE_ID))
    v.consume(ls.TRACEABLE)

    events = _events(v, first_token_ns)
    metadata[ls.META_OTEL] = otel_namespace(
        v, max_value_chars, run_name=name, run_event_count=len(events)
    )
    extra: dict[str, Any] = {"metadata": metadata}
    if params:
        extra[ls.META_INVOCATION_PARAMS] = params

    run = Run(
        id=ident.run_id,
        name=name,
        run_type=run_type,
        start_time=_time(record.start_ns),
        end_time=_time(record.end_ns),
        trace_id=ident.run_id,
        dotted_order="",
        inputs=inputs,
        outputs=outputs,
        extra=extra,
        error=error,
        status="error" if error is not None else "success",
        events=events,
        tags=tags,
        first_token_time=_time(first_token_ns) if first_token_ns is not None else None,
        reference_example_id=reference,
        session_id=project.get("session_id"),
    )
    if run_costs and counts_usage:
        metadata[ls.META_COST_SOURCE] = cost_source
    if "session_name" in project:
        run.unmapped["session_name"] = project["session_name"]
    return RunDraft(
        record=record,
        run=run,
        ident=ident,
        usage=own_usage,
        costs=run_costs if counts_usage else None,
        thread_id=thread,
        user_id=user,
        project=project,
    )
