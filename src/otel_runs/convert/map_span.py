"""One span -> one `RunData`: every field a single span determines, by running its plan.

Fields that need the whole trace (dotted_order, trace_id, parents, token roll-ups, trace-scoped
values) are filled by the tree step. The order of the steps below is the precedence contract:
a key one step consumes is not left over for `extra.metadata.otel`, and later metadata layers
win key by key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import otel
from otel_runs.conventions.providers import TO_LS_PROVIDER
from otel_runs.convert import attachments as attach
from otel_runs.convert import costs as cost_rules
from otel_runs.convert import usage as usage_rules
from otel_runs.convert.identity import IDENTITY_KEYS, uuid_text
from otel_runs.convert.leftovers import (
    MAX_VALUE_CHARS,
    PLAIN_TYPES,
    leftover_value,
    otel_space,
    plain_attributes,
)
from otel_runs.convert.run_data import RunData
from otel_runs.convert.times import day_of, iso_time_ns
from otel_runs.dialects import genai, openinference, openllmetry, pydantic_ai
from otel_runs.dialects.coerce import as_str
from otel_runs.dialects.precedence import Source
from otel_runs.dialects.view import SpanView
from otel_runs.generated_code import CodeCache
from otel_runs.ids import parse_uuid
from otel_runs.model.ingest import COST_SOURCE_SPAN
from otel_runs.model.span_record import SpanRecord

if TYPE_CHECKING:
    from otel_runs.convert.plan import Plan

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


_EMPTY: Final[dict[str, Any]] = {}
"""One empty dict for every run whose shape can fill no project and no parameters: only read."""
_NONE: Final[tuple[Any, ...]] = ()
"""No events, no tags: one shared empty sequence instead of a new list per run."""


def _events(record: SpanRecord, first_token_ns: int | None) -> Sequence[dict[str, Any]]:
    if not record.events and first_token_ns is None:
        return _NONE
    events = [
        {
            "name": event.name,
            "time": iso_time_ns(event.time_ns),
            "kwargs": plain_attributes(attrs, MAX_VALUE_CHARS),
        }
        if (attrs := event.attributes)
        else {"name": event.name, "time": iso_time_ns(event.time_ns)}
        for event in record.events
    ]
    if first_token_ns is not None and not any(e["name"] == ls.EVENT_NEW_TOKEN for e in events):
        events.append({"name": ls.EVENT_NEW_TOKEN, "time": iso_time_ns(first_token_ns)})
    if len(events) > 1:
        events.sort(key=lambda e: str(e["time"]))
    return events


def map_span(item: RunData, max_value_chars: int = MAX_VALUE_CHARS) -> RunData:
    """Map every per-span field of a checked span (`RunData.checked`, see
    `spans_to_runs.check`) into it with its plan's mapper, compiled on the plan's first span;
    returns it."""
    plan = item.plan
    mapper = plan.mapper or compile_mapper(plan)
    return mapper(item, max_value_chars)


# --- the mapper of one plan --------------------------------------------------------------
#
# A plan fixes which steps have anything to read and which sources each field has, so its
# mapper is written out as straight-line Python once per plan: steps the shape cannot use are
# left out, each field's sources are called in precedence order without a loop, and constants
# are literals. (A generic walk re-deciding all of that per span cost ~2 us of ~9.) The steps
# below are in the precedence order the module docstring describes; every step's text is what
# runs, so reading `compile_mapper` top to bottom is reading the mapping.

Mapper = Callable[[RunData, int], RunData]

_CODE: Final = CodeCache("mapper")
"""Compiled mapper texts. A mapper's text names its plan's sources and keys (`_Writer.bind`)
rather than spelling them, so plans that differ only in those share one text: shapes with
ever-new keys (ids in key names) cost a text and a look-up, not a compilation (~1 ms)."""


class _Writer:
    """Lines of one mapper's source and the objects its names stand for."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = dict(_NAMESPACE)

    def emit(self, text: str, depth: int = 1) -> None:
        """Append statements (a block, dedented), `depth` levels into the function."""
        self.lines.extend(_block(text, depth))

    def bind(self, value: object, hint: str) -> str:
        """A global name of the mapper that stands for `value` (numbered in binding order, so
        plans that bind alike get the same text)."""
        name = f"{hint}_{len(self.names) - len(_NAMESPACE)}"
        self.names[name] = value
        return name

    def first(self, target: str, sources: Sequence[Source[Any]]) -> None:
        """`target` = the first source's value that is not None, else None."""
        if not sources:
            self.emit(f"{target} = None")
            return
        for index, source in enumerate(sources):
            call = f"{self.bind(source.get, 'get')}(v)"
            if index == 0:
                self.emit(f"{target} = {call}")
            else:
                self.emit(f"if {target} is None: {target} = {call}")


@functools.lru_cache(maxsize=1024)
def _block(text: str, depth: int) -> tuple[str, ...]:
    """The lines of a block of statements, dedented, then indented `depth` levels (the same
    blocks recur in every plan's text)."""
    lines = text.strip("\n").split("\n")
    margin = min(len(line) - len(line.lstrip(" ")) for line in lines if line.strip())
    indent = "    " * depth
    return tuple(indent + line[margin:] if line.strip() else "" for line in lines)


def compile_mapper(plan: Plan) -> Mapper:
    """Write, compile and keep (as `plan.mapper`) the mapper of one plan."""
    w = _Writer()
    w.names["plan"] = plan
    w.names["shape"] = plan.shape
    w.emit("""
        record = item.record
        v = SpanView(record, shape)
    """)
    if plan.identity:
        w.emit("v.consume(*IDENTITY_KEYS)")

    w.first("run_type", plan.run_type)
    w.emit("v.run_type = run_type = run_type or 'chain'")
    w.first("name", plan.name)
    w.emit("name = name or record.name or 'unnamed'")
    if plan.inputs:
        w.first("inputs", plan.inputs)
        w.emit("inputs = inputs or {}")
    else:
        w.emit("inputs = {}")
    w.first("outputs", plan.outputs)
    w.emit(f"""
        parent_span = record.parent_span_id
        metadata = {{
            # (`to_bytes().hex()`: twice as fast as a format spec; validated ids fit)
            {ls.META_OTEL_TRACE_ID!r}: record.trace_id.to_bytes(16, "big").hex(),
            {ls.META_OTEL_SPAN_ID!r}: record.span_id.to_bytes(8, "big").hex(),
        }}
        if parent_span is not None:
            metadata[{ls.META_OTEL_PARENT_SPAN_ID!r}] = parent_span.to_bytes(8, "big").hex()
    """)

    w.first("model", plan.model)
    w.first("raw_provider", plan.provider)
    if plan.provider:
        w.emit("""
            provider = None
            if raw_provider is not None:
                lowered = raw_provider.lower()
                provider = TO_LS_PROVIDER.get(lowered, lowered)
        """)
    else:
        w.emit("provider = None")
    # A shape without parameters shares one empty dict (only read: empty params are not kept).
    w.emit("params = {}" if plan.param_layers or plan.streaming else "params = _EMPTY")
    for source in plan.param_layers:
        w.emit(f"""
            layer = {w.bind(source.get, "get")}(v)
            if layer is not None:
                params.update(layer)
        """)
    if plan.streaming:
        w.first("stream", plan.streaming)
        w.emit("if stream is not None: params['stream'] = stream")
    w.emit(f"""
        if model is not None:
            metadata[{ls.META_MODEL_NAME!r}] = model
        if provider is not None:
            metadata[{ls.META_PROVIDER!r}] = provider
        if run_type == "llm":
            op = as_str(v.peek({g.OPERATION_NAME!r}))
            completion = op in ("text_completion", "completion")
            metadata[{ls.META_MODEL_TYPE!r}] = "llm" if completion else "chat"
            if params:
                for param, meta_key in _LLM_PARAMS:
                    if param in params:
                        metadata[meta_key] = params[param]
    """)
    if plan.response_meta:
        w.emit("if (found := genai.response_meta(v)): metadata.update(found)")
    if plan.prompt_template:
        w.emit("if (found := openinference.prompt_template(v)): metadata.update(found)")
    if plan.workflow:
        w.emit("if (found := openllmetry.workflow(v)): metadata.update(found)")
    if plan.agent_name:
        w.emit("if (agent := genai.agent_name(v)): metadata['agent_name'] = agent")
    if plan.request_parameters:
        w.emit("""
            if (request_parameters := pydantic_ai.request_parameters(v)):
                metadata["model_request_parameters"] = request_parameters
        """)

    _usage_and_costs(w, plan)

    w.first("first_token_ns", plan.first_token)
    if plan.exceptions or plan.errors:
        w.emit("error = _error(v, plan)")
    else:  # only the span's status can say it failed
        w.emit("error = _error(v, plan) if record.status_code == 'ERROR' else None")
    for source in plan.metadata_layers:
        w.emit(f"""
            layer = {w.bind(source.get, "get")}(v)
            if layer is not None:
                metadata.update(layer)
        """)
    w.first("thread", plan.thread_id)
    w.first("user", plan.user_id)
    if plan.thread_id:
        w.emit(f"if thread is not None: metadata.setdefault({ls.META_THREAD_ID!r}, thread)")
    if plan.user_id:
        w.emit(f"if user is not None: metadata.setdefault({ls.META_USER_ID!r}, user)")
    if plan.tag_sources:
        w.emit("union = []")
        for source in plan.tag_sources:
            w.emit(f"""
                found_tags = {w.bind(source.get, "get")}(v)
                if found_tags is not None:
                    for tag in found_tags:
                        if tag not in union:
                            union.append(tag)
            """)
        w.emit("tags = union or _NONE")
    else:
        w.emit("tags = _NONE")
    if plan.project:
        w.emit(f"""
            project = {{}}
            for field, attr in (
                ("session_name", {ls.SESSION_NAME!r}), ("session_id", {ls.SESSION_ID!r})
            ):
                value = as_str(v.get(attr))
                if value:
                    project[field] = value
        """)
    else:  # (shared and never written: `RunData.project`)
        w.emit("project = _EMPTY")
    if plan.reference:
        w.emit(f"reference = parse_uuid(v.get({ls.REFERENCE_EXAMPLE_ID!r}))")
    else:
        w.emit("reference = None")
    if plan.traceable:
        w.emit(f"v.used.add({ls.TRACEABLE!r})")
    if plan.content_keys or plan.content_events or plan.attachments_listed:
        w.emit("attachments = None")
        depth = 1  # listed attachments are always looked at; inline content only if it may be
        if not plan.attachments_listed:
            w.emit("if attach.may_hold_inline(inputs, outputs):")
            depth = 2
        w.emit(
            """
                taken = attach.Found()
                inputs = attach.from_content(taken, "input", inputs)
                if outputs is not None:
                    outputs = attach.from_content(taken, "output", outputs)
            """,
            depth=depth,
        )
        if plan.attachments_listed:
            w.emit(
                f"""
                if attach.from_listed(taken, v.peek({ls.ATTACHMENTS!r})):
                    v.consume({ls.ATTACHMENTS!r})
                """,
                depth=depth,
            )
        w.emit(
            """
                if taken.truncated:
                    metadata[attach.TRUNCATED_KEY] = taken.truncated
                attachments = taken.items or None
            """,
            depth=depth,
        )
    else:
        w.emit("attachments = None")
    if plan.first_token:
        w.emit("events = _events(record, first_token_ns)")
    else:
        w.emit("events = _events(record, None) if record.events else _NONE")
    _leftovers(w, plan)
    w.emit(f"""
        metadata[{ls.META_OTEL!r}] = otel_space(
            record, leftovers, max_value_chars, name, len(events)
        )
        extra = {{"metadata": metadata}}
        if params:
            extra[{ls.META_INVOCATION_PARAMS!r}] = params
        if run_costs and counts_usage:
            metadata[{ls.META_COST_SOURCE!r}] = cost_source

        run = item  # (key, parent_key, stamp and lineage are set: `RunData.checked`)
        key = run.key
        if key >> 64:
            run.id = uuid_text(key)
        else:  # a span id: the run id is it, zero-padded
            digits = key.to_bytes(8, "big").hex()
            run.id = f"00000000-0000-0000-{{digits[:4]}}-{{digits[4:]}}"
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
        run.session_id = {'project.get("session_id")' if plan.project else None}
        run.session_name = {'project.get("session_name")' if plan.project else None}
        run.usage = own_usage
        run.costs = run_costs if counts_usage else None
        run.priced = None
        run.thread_id = thread
        run.user_id = user
        run.project = project
        run.attachments = attachments
        run.record = {"record" if plan.restore else "None"}
        run.genai = {plan.genai_own!r}
        run.restored = None
    """)
    if plan.genai_own:
        w.emit("run.request = None")
    else:  # an incoming request that is not GenAI-related: renamed by `tree.name_roots`
        route = "_route(v)" if plan.http_route else "''"
        w.emit(f"run.request = {route} if record.kind == 'SERVER' else None")
    w.emit("return run")

    text = "def mapper(item, max_value_chars):\n" + "\n".join(w.lines) + "\n"
    mapper: Mapper = _CODE.define(text, w.names, "mapper")
    plan.mapper = mapper
    return mapper


def _leftovers(w: _Writer, plan: Plan) -> None:
    """`leftovers.leftover_attributes`, one test per key of the shape, in the span's order."""
    w.emit("leftovers = {}")
    if plan.keys:
        w.emit("used = v.used\nattrs = record.attributes")
    for key in plan.keys:  # (one template, filled per key: shapes may have hundreds)
        w.lines.append(_LEFTOVER.replace("KEY", w.bind(key, "key")))


_LEFTOVER: Final = "\n".join(
    _block(
        """
        if KEY not in used:
            value = attrs[KEY]
            if (type(value) is str and len(value) <= max_value_chars) or type(value) in _PLAIN:
                leftovers[KEY] = value
            else:
                leftovers[KEY] = leftover_value(value, max_value_chars)
        """,
        1,
    )
)


def _usage_and_costs(w: _Writer, plan: Plan) -> None:
    """Usage (own or rolled up into metadata) and costs (carried, else priced)."""
    has_usage = bool(plan.usage_objects or plan.token_keys or plan.token_details)
    if has_usage:
        w.emit("usage, notes = usage_rules.extract(v, plan)")
    else:
        w.emit("usage = notes = None")
    if plan.aggregated_usage:
        w.emit("""
            aggregated = None
            if (raw_aggregated := pydantic_ai.aggregated_usage(v)):
                aggregated = usage_rules.from_suffixes(raw_aggregated)
        """)
    else:
        w.emit("aggregated = None")
    w.emit(f"""
        counts_usage = run_type in USAGE_RUN_TYPES
        own_usage = None
        if usage is not None and counts_usage:
            own_usage = usage
        elif usage is not None:
            aggregated = {{**(aggregated or {{}}), **usage}}
        if aggregated:
            metadata[{ls.META_AGGREGATED_USAGE!r}] = aggregated
        if notes:
            metadata["ls_usage_normalization"] = notes
        run_costs = None
    """)
    if plan.cost_keys:
        w.emit("run_costs = cost_rules.carried(v, usage, True)")
    elif has_usage:
        w.emit("""
            if usage and not _COST_KEYS.isdisjoint(usage):
                run_costs = cost_rules.carried(v, usage, False)
        """)
    w.emit("""
        cost_source = COST_SOURCE_SPAN
        if run_costs is None and own_usage is not None and model is not None:
            day = day_of(record.start_ns // 1000)
            found_costs = cost_rules.priced(model, provider, own_usage, day)
            if found_costs is not None:
                run_costs, cost_source = found_costs
        if run_costs and not counts_usage:
            metadata["ls_aggregated_cost"] = {k: str(amount) for k, amount in run_costs.items()}
    """)


_NAMESPACE: Final[dict[str, Any]] = {
    "SpanView": SpanView, "IDENTITY_KEYS": IDENTITY_KEYS, "TO_LS_PROVIDER": TO_LS_PROVIDER,
    "as_str": as_str, "_LLM_PARAMS": _LLM_PARAMS, "genai": genai, "openinference": openinference,
    "openllmetry": openllmetry, "pydantic_ai": pydantic_ai, "usage_rules": usage_rules,
    "cost_rules": cost_rules, "USAGE_RUN_TYPES": USAGE_RUN_TYPES, "_COST_KEYS": _COST_KEYS,
    "COST_SOURCE_SPAN": COST_SOURCE_SPAN, "day_of": day_of, "_error": _error, "_NONE": _NONE,
    "parse_uuid": parse_uuid, "attach": attach, "_events": _events,
    "otel_space": otel_space, "leftover_value": leftover_value, "_PLAIN": PLAIN_TYPES,
    "RunData": RunData, "uuid_text": uuid_text,
    "_route": _route, "_EMPTY": _EMPTY,
}  # fmt: skip
"""What every mapper's text may name, besides its own bound getters."""
