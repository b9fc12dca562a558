"""One span -> one `RunData`: every field a single span determines, by running its plan.

Fields that need the whole trace (dotted_order, trace_id, parents, token roll-ups, trace-scoped
values) are filled by the tree step. The order of the steps below is the precedence contract:
a key one step consumes is not left over for `extra.metadata.otel`, and later metadata layers
win key by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import otel
from otel_runs.conventions.providers import TO_LS_PROVIDER
from otel_runs.convert import attachments as attach
from otel_runs.convert import costs as cost_rules
from otel_runs.convert import usage as usage_rules
from otel_runs.convert.identity import IDENTITY_KEYS, uuid_text
from otel_runs.convert.leftovers import MAX_VALUE_CHARS, cap, otel_namespace
from otel_runs.convert.run_data import RunData
from otel_runs.convert.times import day_of, iso_time_ns
from otel_runs.dialects import genai, openinference, openllmetry, pydantic_ai
from otel_runs.dialects.coerce import as_str, to_jsonable
from otel_runs.dialects.precedence import Source
from otel_runs.dialects.view import SpanView
from otel_runs.ids import parse_uuid
from otel_runs.model.ingest import COST_SOURCE_SPAN
from otel_runs.model.span_record import SpanRecord

if TYPE_CHECKING:
    from otel_runs.convert.plan import Plan
    from otel_runs.convert.spans_to_runs import Checked

USAGE_RUN_TYPES: Final = frozenset({"llm", "embedding"})
"""Run types whose own usage counts; on any other run usage is a roll-up, kept in metadata."""

_COST_KEYS: Final = frozenset({"input_cost", "output_cost", "total_cost"})
"""Keys of a usage object that carry costs."""
_LLM_PARAMS: Final = (
    ("temperature", ls.META_TEMPERATURE),
    ("max_tokens", ls.META_MAX_TOKENS),
    ("stop", ls.META_STOP),
)

T = TypeVar("T")


def _first(v: SpanView, sources: Sequence[Source[T]]) -> T | None:
    """The first source's value that is not None (sources: a plan's, all applicable)."""
    for source in sources:
        value = source.get(v)
        if value is not None:
            return value
    return None


def _error(v: SpanView, plan: Plan) -> str | None:
    record = v.record
    if plan.exceptions:
        for _, event in v.events_named(otel.EVENT_EXCEPTION):
            attrs = event.attributes
            kind = as_str(attrs.get(otel.EXCEPTION_TYPE)) or "Exception"
            message = as_str(attrs.get(otel.EXCEPTION_MESSAGE)) or ""
            headed = f"{kind}: {message}" if message else kind
            # A message that already starts with its type (LangSmith JS records `Error: ...` as
            # an `Error`) is not prefixed again.
            text = message if message.startswith(f"{kind}:") else headed
            stack = as_str(attrs.get(otel.EXCEPTION_STACKTRACE))
            if stack and stack.startswith(headed):  # a JavaScript stack opens with `type: message`
                return text + stack[len(headed) :]
            if stack and stack.strip() not in message:  # LangSmith's exporter puts it in both
                return f"{text}\n\n{stack}"
            return text
    if record.status_code == "ERROR":
        error_type = as_str(v.get(otel.ERROR_TYPE))
        if record.status_message and error_type:
            return f"{error_type}: {record.status_message}"
        return record.status_message or error_type or "error"
    return _first(v, plan.errors) if plan.errors else None


def _route(v: SpanView) -> str:
    """`{method} {http.route}` of an HTTP server span (the name the HTTP conventions ask for),
    read without consuming: the keys stay with the span; "" without a route."""
    route = as_str(v.peek(otel.HTTP_ROUTE))
    if route is None:
        return ""
    method = as_str(v.peek(otel.HTTP_REQUEST_METHOD)) or as_str(v.peek(otel.HTTP_METHOD))
    return f"{method} {route}" if method else route


_NONE: Final[tuple[Any, ...]] = ()
"""No events, no tags: one shared empty sequence instead of a new list per run."""


def _events(record: SpanRecord, first_token_ns: int | None) -> Sequence[dict[str, Any]]:
    if not record.events and first_token_ns is None:
        return _NONE
    events = [
        {"name": event.name, "time": iso_time_ns(event.time_ns), "kwargs": cap(to_jsonable(attrs))}
        if (attrs := event.attributes)
        else {"name": event.name, "time": iso_time_ns(event.time_ns)}
        for event in record.events
    ]
    if first_token_ns is not None and not any(e["name"] == ls.EVENT_NEW_TOKEN for e in events):
        events.append({"name": ls.EVENT_NEW_TOKEN, "time": iso_time_ns(first_token_ns)})
    if len(events) > 1:
        events.sort(key=lambda e: str(e["time"]))
    return events


def map_span(item: Checked, max_value_chars: int = MAX_VALUE_CHARS) -> RunData:
    """Map every per-span field of a checked span (see `spans_to_runs.check`)."""
    record = item.record
    plan = item.plan
    v = SpanView(record, plan.shape)
    if plan.identity:
        v.consume(*IDENTITY_KEYS)

    v.run_type = run_type = (_first(v, plan.run_type) if plan.run_type else None) or "chain"
    name = (_first(v, plan.name) if plan.name else None) or record.name or "unnamed"
    inputs: dict[str, Any] = (_first(v, plan.inputs) if plan.inputs else None) or {}
    outputs: dict[str, Any] | None = _first(v, plan.outputs) if plan.outputs else None
    parent_span = record.parent_span_id
    metadata: dict[str, Any] = {
        # (`to_bytes().hex()`: twice as fast as a format spec; validated ids fit)
        ls.META_OTEL_TRACE_ID: record.trace_id.to_bytes(16, "big").hex(),
        ls.META_OTEL_SPAN_ID: record.span_id.to_bytes(8, "big").hex(),
    }
    if parent_span is not None:
        metadata[ls.META_OTEL_PARENT_SPAN_ID] = parent_span.to_bytes(8, "big").hex()

    model = _first(v, plan.model) if plan.model else None
    raw_provider = _first(v, plan.provider) if plan.provider else None
    provider = None
    if raw_provider is not None:
        lowered = raw_provider.lower()
        provider = TO_LS_PROVIDER.get(lowered, lowered)
    params: dict[str, Any] = {}
    for source in plan.param_layers:
        layer = source.get(v)
        if layer is not None:
            params.update(layer)
    if plan.streaming and (stream := _first(v, plan.streaming)) is not None:
        params["stream"] = stream
    if model is not None:
        metadata[ls.META_MODEL_NAME] = model
    if provider is not None:
        metadata[ls.META_PROVIDER] = provider
    if run_type == "llm":
        op = as_str(v.peek(g.OPERATION_NAME))
        metadata[ls.META_MODEL_TYPE] = "llm" if op in ("text_completion", "completion") else "chat"
        if params:
            for param, meta_key in _LLM_PARAMS:
                if param in params:
                    metadata[meta_key] = params[param]
    if plan.response_meta and (found := genai.response_meta(v)):
        metadata.update(found)
    if plan.prompt_template and (found := openinference.prompt_template(v)):
        metadata.update(found)
    if plan.workflow and (found := openllmetry.workflow(v)):
        metadata.update(found)
    if plan.agent_name and (agent := genai.agent_name(v)):
        metadata["agent_name"] = agent
    if plan.request_parameters and (request_parameters := pydantic_ai.request_parameters(v)):
        metadata["model_request_parameters"] = request_parameters

    usage, notes = usage_rules.extract(v, plan)
    aggregated = None
    if plan.aggregated_usage and (raw_aggregated := pydantic_ai.aggregated_usage(v)):
        aggregated = usage_rules.from_suffixes(raw_aggregated)
    counts_usage = run_type in USAGE_RUN_TYPES
    own_usage = None
    if usage is not None and counts_usage:
        own_usage = usage
    elif usage is not None:
        aggregated = {**(aggregated or {}), **usage}
    if aggregated:
        metadata[ls.META_AGGREGATED_USAGE] = aggregated
    if notes:
        metadata["ls_usage_normalization"] = notes
    run_costs: dict[str, Decimal] | None = None
    if plan.cost_keys or (usage and not _COST_KEYS.isdisjoint(usage)):
        run_costs = cost_rules.carried(v, usage, plan.cost_keys)
    cost_source = COST_SOURCE_SPAN
    if run_costs is None and own_usage is not None and model is not None:
        found_costs = cost_rules.priced(model, provider, own_usage, day_of(record.start_ns // 1000))
        if found_costs is not None:
            run_costs, cost_source = found_costs
    if run_costs and not counts_usage:
        metadata["ls_aggregated_cost"] = {k: str(amount) for k, amount in run_costs.items()}

    first_token_ns = _first(v, plan.first_token) if plan.first_token else None
    error = _error(v, plan)

    for source in plan.metadata_layers:
        layer = source.get(v)
        if layer is not None:
            metadata.update(layer)
    thread = _first(v, plan.thread_id) if plan.thread_id else None
    user = _first(v, plan.user_id) if plan.user_id else None
    if thread is not None:
        metadata.setdefault(ls.META_THREAD_ID, thread)
    if user is not None:
        metadata.setdefault(ls.META_USER_ID, user)
    tags: Sequence[str] = _NONE
    if plan.tag_sources:
        union: list[str] = []
        for source in plan.tag_sources:
            found_tags = source.get(v)
            if found_tags is not None:
                for tag in found_tags:
                    if tag not in union:
                        union.append(tag)
        tags = union or _NONE
    project: dict[str, str] = {}
    if plan.project:
        for field, attr in (("session_name", ls.SESSION_NAME), ("session_id", ls.SESSION_ID)):
            value = as_str(v.get(attr))
            if value:
                project[field] = value
    reference = parse_uuid(v.get(ls.REFERENCE_EXAMPLE_ID)) if plan.reference else None
    if plan.traceable:
        v.used.add(ls.TRACEABLE)

    attachments = None
    if (plan.content_keys or plan.content_events or plan.attachments_listed) and (
        plan.attachments_listed or attach.may_hold_inline(inputs, outputs)
    ):
        taken = attach.Found()
        inputs = attach.from_content(taken, "input", inputs)
        if outputs is not None:
            outputs = attach.from_content(taken, "output", outputs)
        if plan.attachments_listed and attach.from_listed(taken, v.peek(ls.ATTACHMENTS)):
            v.consume(ls.ATTACHMENTS)
        if taken.truncated:
            metadata[attach.TRUNCATED_KEY] = taken.truncated
        attachments = taken.items or None

    events = _events(record, first_token_ns)
    metadata[ls.META_OTEL] = otel_namespace(
        v, max_value_chars, run_name=name, run_event_count=len(events)
    )
    extra: dict[str, Any] = {"metadata": metadata}
    if params:
        extra[ls.META_INVOCATION_PARAMS] = params
    if run_costs and counts_usage:
        metadata[ls.META_COST_SOURCE] = cost_source

    run = RunData()
    key = item.key
    run.key = key
    if key >> 64:
        run.id = uuid_text(key)
    else:  # a span id: the run id is it, zero-padded
        digits = key.to_bytes(8, "big").hex()
        run.id = f"00000000-0000-0000-{digits[:4]}-{digits[4:]}"
    run.parent_key = item.parent
    run.stamp = item.stamp
    run.lineage = item.lineage
    run.name = name
    run.run_type = run_type
    run.start_ns = record.start_ns
    run.end_ns = record.end_ns
    run.inputs = inputs
    run.outputs = outputs
    run.extra = extra
    run.error = error
    run.events = events
    run.tags = tags
    run.first_token_ns = first_token_ns
    run.reference_example_id = str(reference) if reference is not None else None
    run.session_id = project.get("session_id")
    run.session_name = project.get("session_name")
    run.usage = own_usage
    run.costs = run_costs if counts_usage else None
    run.priced = None
    run.thread_id = thread
    run.user_id = user
    run.project = project
    run.attachments = attachments
    run.record = record if plan.restore else None
    run.genai = is_genai = plan.genai_own
    is_request = record.kind == "SERVER" and not is_genai
    run.request = (_route(v) if plan.http_route else "") if is_request else None
    run.restored = None
    return run
