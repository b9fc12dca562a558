"""`run_to_record` of a run born in LangSmith, written out per run *shape* as straight-line Python.

Most runs an app sends have the same few shapes (a chain, a chat model call, a tool), and the
general path (`record._born_record`: `facts_of`, the three writers, `_residue`) asks the same
questions of every one of them: which metadata keys are there, of which types, is there an
`extra.invocation_params`, are there tags, events, outputs... A run's **shape** is those
answers; `mapper_for(run)` writes the mapping of a shape once with every question the shape
answers left out, compiles it (the text cached by text, as `convert.map_span` does) and keeps
it per shape. What depends on values (an empty thread id text, a metadata text that looks like
JSON, tokens read back...) stays a test in the text, in the general path's order, so the record
is the same to the byte (`tests/runs_oracle/`, `tests/test_runs_to_spans_born_mapper.py`).

Runs with anything rarer (an error, a status of their own, token fields, a `serialized`,
residue-only fields, child or parent id lists, attachments or feedback, a run that came from a
span, containers that are not plain dicts and lists) take the general path: `mapper_for`
answers None.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.convert.map_span import USAGE_RUN_TYPES
from otel_runs.dotted_order import SEGMENT_LEN
from otel_runs.generated_code import CodeCache, ShapeTable
from otel_runs.model.run import Run, id_lists_empty, uuid_text
from otel_runs.model.span_record import AttributeValue, SpanRecord
from otel_runs.runs_to_spans import write_genai, write_openinference

BornMapper = Callable[[Run, "Mapping[str, AttributeValue] | None"], SpanRecord]

# Fields whose value sends a run down the general path unless it is None / empty / as shown.
_NONE_FIELDS: Final = (
    "error", "serialized", "session_id", "reference_example_id", "first_token_time",
    "total_tokens", "prompt_tokens", "completion_tokens",
    # record._RESIDUE_ONLY
    "feedback_stats", "total_cost", "prompt_cost", "completion_cost", "in_dataset",
    "execution_order", "serialized", "manifest_id", "manifest_s3_id", "inputs_s3_urls",
    "outputs_s3_urls", "price_model_id", "app_path", "last_queued_at", "share_token",
)  # fmt: skip
"""(With the three id lists, which must be empty: `id_lists_empty`.)"""
_rare: Final = operator.attrgetter(*_NONE_FIELDS)
_NONES: Final[tuple[object, ...]] = (None,) * len(_NONE_FIELDS)
_UNMAPPED_KEYS: Final = frozenset({(), ("session_name",)})

_CODE: Final = CodeCache("born mapper")
"""Compiled texts: shapes that differ only in their metadata key names share one."""


def mapper_for(run: Run) -> BornMapper | None:
    """The compiled mapping of the run's shape, or None for the general path (also for the
    first run of a shape)."""
    tags, events = run.tags, run.events  # (properties: read once; model/run.py)
    if (
        _rare(run) != _NONES
        or not id_lists_empty(run)
        or run.status != "success"
        or type(run.inputs) is not dict
        or type(tags) is not list
        or type(events) is not list
    ):
        return None
    extra = run.extra
    unmapped = run.unmapped
    if type(extra) is not dict or type(unmapped) is not dict:
        return None
    meta = extra.get("metadata")
    # One flat tuple (`_parts` reads it back): five tuples cost ~0.2 us more per run.
    if type(meta) is dict:
        return _MAPPERS.get((
            run.run_type, type(run.outputs), run.end_time is None, run.parent_run_id is None,
            not tags, not events, len(unmapped), *unmapped, len(extra), *extra,
            *map(type, extra.values()), *meta, *map(type, meta.values()),
        ))  # fmt: skip
    return _MAPPERS.get((
        run.run_type, type(run.outputs), run.end_time is None, run.parent_run_id is None,
        not tags, not events, len(unmapped), *unmapped, len(extra), *extra,
        *map(type, extra.values()),
    ))  # fmt: skip


def _parts(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """`mapper_for`'s flat shape as its parts: (run type, extra keys, their types, metadata
    keys, their types (both None when `extra.metadata` is not a dict), unmapped keys, outputs
    type, unfinished, root, no tags, no events). The counts before the unmapped and the extra
    keys say where each part ends; what follows the extra types is the metadata's keys, then
    their types (there only when the extra types say `extra.metadata` is a dict)."""
    run_type, outputs_type, unfinished, root, no_tags, no_events, n_unmapped = shape[:7]
    at = 7 + n_unmapped
    unmapped_keys = shape[7:at]
    n_extra = shape[at]
    extra_keys = shape[at + 1 : at + 1 + n_extra]
    extra_types = shape[at + 1 + n_extra : at + 1 + 2 * n_extra]
    rest = shape[at + 1 + 2 * n_extra :]
    half = len(rest) // 2
    meta = dict(zip(extra_keys, extra_types, strict=True)).get("metadata") is dict
    return (
        run_type, extra_keys, extra_types, rest[:half] if meta else None,
        rest[half:] if meta else None, unmapped_keys, outputs_type, unfinished, root, no_tags,
        no_events,
    )  # fmt: skip


class _Writer:
    """Lines of one mapper's source and the objects its global names stand for."""

    def __init__(self, names: dict[str, Any]) -> None:
        self.lines: list[str] = []
        self.names = names
        self._bound = 0

    def emit(self, *lines: str, depth: int = 1) -> None:
        self.lines.extend("    " * depth + line for line in lines)

    def bind(self, value: object, hint: str) -> str:
        name = f"{hint}_{self._bound}"
        self._bound += 1
        self.names[name] = value
        return name


def _namespace() -> dict[str, Any]:
    # (imported here: `record` imports this module)
    from otel_runs.dotted_order import datetime_to_us
    from otel_runs.model.span_record import new_span_record
    from otel_runs.runs_to_spans import decode, events, facts, messages, record
    from otel_runs.runs_to_spans import usage as usage_module
    from otel_runs.runs_to_spans.ids import span_id_of
    from otel_runs.runs_to_spans.values import INT64_MAX, INT64_MIN, attribute_value, dumps

    return {
        "dumps": dumps,
        "attribute_value": attribute_value,
        "INT64_MIN": INT64_MIN,
        "INT64_MAX": INT64_MAX,
        "isfinite": math.isfinite,
        "span_id_of": span_id_of,
        "datetime_to_us": datetime_to_us,
        "new_span_record": new_span_record,
        "text_of": facts._text,
        "model_of": facts._model,
        "providers_of": facts._providers,
        "first_token_us_of": facts._first_token_us,
        "run_usage": usage_module.run_usage,
        "details_of": usage_module.details,
        "tokens": usage_module.tokens,
        "run_events": events.run_events,
        "first_token_event": events.first_token_event,
        "response_of": write_genai._response,
        "request_of": write_genai._request_from,
        "input_messages": messages.input_messages,
        "system_instructions": messages.system_instructions,
        "output_messages": messages.output_messages,
        "tags_read_back": decode.tags_read_back,
        "events_read_back": decode.events_read_back,
        "meta_value": decode.meta_value,
        "same": record._same,
        "uuid_text": uuid_text,
        "dotted_depth": dotted_depth,
        "identity": record._identity,
        "default_resource": record._default_resource,
        "JSON_STARTS": record._JSON_STARTS,
        "SCOPE_NAME": record.SCOPE_NAME,
        "REQUEST_INPUTS_LS": frozenset({"stream", "extra_headers"}),
        "REQUEST_INPUTS_GENAI": write_genai._REQUEST_INPUTS,
        "RESPONSE_OUTPUTS": write_genai._RESPONSE_OUTPUTS,
    }


_GENAI: Final = write_genai._TOKEN_ATTRIBUTES
_OI: Final = write_openinference._TOKEN_ATTRIBUTES


def dotted_depth(dotted: object) -> int:
    """`len(decode.dotted_ids(dotted) or [])`, without the id texts."""
    if not isinstance(dotted, str) or not dotted:
        return 0
    parts = dotted.split(".")
    for part in parts:
        if len(part) != SEGMENT_LEN or part[21] != "Z":
            return 0
    return len(parts)


def _text_of(value: str, kind: type) -> str | None:
    """The expression of `facts._text(value)` for a value of a known type (None: it is None)."""
    if kind is str:
        return f"{value} or None"
    if kind is int:
        return f"str({value})"
    if kind is type(None) or kind is bool:
        return None
    return f"text_of({value})"


def _compile(shape: tuple[Any, ...]) -> BornMapper | None:
    (
        run_type, extra_keys, extra_types, meta_keys, meta_types, unmapped_keys,
        outputs_type, unfinished, root, no_tags, no_events,
    ) = _parts(shape)  # fmt: skip
    if unmapped_keys not in _UNMAPPED_KEYS or outputs_type not in (dict, type(None)):
        return None
    extra_kinds = dict(zip(extra_keys, extra_types, strict=True))
    meta_kind = extra_kinds.get("metadata")
    if meta_kind is not None and meta_kind is not dict and issubclass(meta_kind, dict):
        return None  # (metadata of a dict subclass: the general path reads it)
    meta = dict(zip(meta_keys, meta_types, strict=True)) if meta_keys is not None else {}
    if ls.META_OTEL in meta or not all(type(key) is str for key in meta):
        return None  # a run that came from a span, or keys `langsmith.metadata.` cannot name
    names = _namespace()
    w = _Writer(names)
    has_outputs = outputs_type is dict
    usage_type = run_type in USAGE_RUN_TYPES
    session = bool(unmapped_keys)

    # ids (`_born_record`)
    w.emit(
        "run_id = run.id",
        "span = span_id_of(run_id)",
        "trace = run.trace_id.int or span",
    )
    if root:
        w.emit("parent_span = None")
    else:
        w.emit(
            "parent_span = span_id_of(run.parent_run_id)",
            "if parent_span == span:",
            "    parent_span = None",
        )
    # facts (`facts_of`)
    w.emit("inputs = run.inputs", "extra = run.extra")
    if meta_keys is not None:
        w.emit("metadata = extra['metadata']")
    else:
        w.emit("metadata = {}")
    params_possible = False
    w.emit("params = {}")
    meta_params = meta.get(ls.META_INVOCATION_PARAMS)
    if meta_params is not None and issubclass(meta_params, dict):
        w.emit(f"params.update(metadata[{ls.META_INVOCATION_PARAMS!r}])")
        params_possible = True
    w.emit("thread = None")
    for key in ls.META_THREAD_KEYS:
        found = _text_of(f"metadata[{key!r}]", meta[key]) if key in meta else None
        if found is not None:
            w.emit("if thread is None:", f"    thread = {found}")
    found = _text_of(f"metadata[{ls.META_USER_ID!r}]", meta.get(ls.META_USER_ID, type(None)))
    w.emit(f"user = {found}")
    extra_params = extra_kinds.get(ls.META_INVOCATION_PARAMS)
    if extra_params is not None and issubclass(extra_params, dict):
        w.emit(f"params.update(extra[{ls.META_INVOCATION_PARAMS!r}])")
        params_possible = True
    if usage_type:
        w.emit(
            "usage = run_usage(run, metadata)",
            "if usage is not None:",
        )
        w.emit("    c0, c1, c2, c3, c4, c5, c6, c7 = tokens(usage)")  # counts, then details
    w.emit("model = model_of(run, metadata, params)")
    if ls.META_PROVIDER in meta:
        w.emit("system, provider = providers_of(metadata, model)")
    else:
        w.emit(
            "if model is None:",
            "    system = provider = None",
            "else:",
            "    system, provider = providers_of(metadata, model)",
        )
    w.emit("outputs = run.outputs")
    w.emit("inputs_json = dumps(inputs)")
    if has_outputs:
        w.emit("outputs_json = dumps(outputs)")
    w.emit("first_us = first_token_us_of(run)" if not no_events else "first_us = None")
    w.emit("start_us = datetime_to_us(run.start_time)", "start_ns = start_us * 1000")
    if unfinished:
        w.emit("end_ns = start_ns")
    else:
        w.emit(
            "end_us = datetime_to_us(run.end_time)",
            "end_ns = start_ns if end_us < start_us else end_us * 1000",
        )
    # events (`_events`): the run's own, then a first token's
    if no_events:
        w.emit("own = []")
    else:
        w.emit("own = run_events(run.events, start_ns, None, False)")
    w.emit(
        "first = first_token_event(first_us) if first_us is not None else None",
        "status = 'UNSET'" if unfinished else "status = 'OK'",
    )

    # attributes: `write_langsmith.write`
    w.emit(
        "attrs = {",
        f"    {ls.SPAN_KIND!r}: run.run_type,",
        f"    {ls.TRACE_NAME!r}: run.name,",
        "}",
    )
    if session:
        w.emit(
            "project = run.unmapped['session_name']",
            "if isinstance(project, str):",
            f"    attrs[{ls.SESSION_NAME!r}] = project",
        )
    if not no_tags:
        w.emit(f"attrs[{ls.SPAN_TAGS!r}] = tags_text = ', '.join(run.tags)")
    meta_names: dict[str, str] = {}
    for key, kind in meta.items():
        if kind is type(None):
            continue
        key_name = meta_names[key] = w.bind(ls.METADATA_PREFIX + key, "attr")
        value = f"metadata[{w.bind(key, 'key')}]"
        if kind is str or kind is bool:
            w.emit(f"attrs[{key_name}] = {value}")
        elif kind is int:
            w.emit(
                f"value = {value}",
                f"attrs[{key_name}] = value if INT64_MIN <= value <= INT64_MAX"
                " else attribute_value(value)",
            )
        elif kind is float:  # (`attribute_value`'s outcomes for these exact types, inline)
            w.emit(
                f"value = {value}",
                f"attrs[{key_name}] = value if isfinite(value) else str(value)",
            )
        elif kind is dict or kind is list:
            w.emit(f"attrs[{key_name}] = dumps({value})")
        else:
            w.emit(f"attrs[{key_name}] = attribute_value({value})")
    if usage_type:
        w.emit("if usage is not None:", f"    attrs[{ls.USAGE_METADATA!r}] = dumps(usage)")
    w.emit(
        "if not REQUEST_INPUTS_LS.isdisjoint(inputs):",
        "    if inputs.get('stream') is not None:",
        f"        attrs[{ls.REQUEST_STREAMING!r}] = attribute_value(inputs['stream'])",
        "    if inputs.get('extra_headers') is not None:",
        f"        attrs[{ls.REQUEST_HEADERS!r}] = attribute_value(inputs['extra_headers'])",
    )

    # `write_genai.write`
    if run_type == "llm":
        test = "'prompts' in inputs"
        if "ls_model_type" in meta:
            test = f"metadata['ls_model_type'] == 'llm' or {test}"
        w.emit(f"attrs[{g.OPERATION_NAME!r}] = 'text_completion' if {test} else 'chat'")
    else:
        operation = {
            "embedding": "embeddings", "retriever": "retrieval", "tool": "execute_tool",
        }.get(run_type, run_type)  # fmt: skip
        w.emit(f"attrs[{g.OPERATION_NAME!r}] = {w.bind(operation, 'operation')}")
    w.emit(
        "if system is not None and provider is not None:",
        f"    attrs[{g.PROVIDER_NAME!r}] = provider",
        f"    attrs[{g.SYSTEM!r}] = system",
        "if model is not None:",
        f"    attrs[{g.REQUEST_MODEL!r}] = model",
    )
    if params_possible:
        w.emit("request_of(params, inputs, attrs)")
    else:  # (`_request` without parameters: the extra request inputs only)
        w.emit(
            "if not REQUEST_INPUTS_GENAI.isdisjoint(inputs):",
            "    request_of(params, inputs, attrs)",
        )
    if has_outputs:
        w.emit("if not RESPONSE_OUTPUTS.isdisjoint(outputs):", "    response_of(outputs, attrs)")
    if usage_type:
        w.emit(
            "if usage is not None:",
            *(f"    if c{i} is not None: attrs[{key!r}] = c{i}" for i, key in enumerate(_GENAI)),
            "    details = details_of(usage, 'input_token_details')",
            "    if details:",
            f"        attrs[{g.USAGE_INPUT_TOKEN_DETAILS!r}] = dumps(details)",
            "    details = details_of(usage, 'output_token_details')",
            "    if details:",
            f"        attrs[{g.USAGE_OUTPUT_TOKEN_DETAILS!r}] = dumps(details)",
        )
    if run_type == "llm":
        w.emit(
            "found = input_messages(inputs)",
            "if found:",
            f"    attrs[{g.INPUT_MESSAGES!r}] = dumps(found)",
            "found = system_instructions(inputs)",
            "if found:",
            f"    attrs[{g.SYSTEM_INSTRUCTIONS!r}] = dumps(found)",
        )
        if has_outputs:
            w.emit(
                "found = output_messages(outputs)",
                "if found:",
                f"    attrs[{g.OUTPUT_MESSAGES!r}] = dumps(found)",
            )
    elif run_type == "tool":
        w.emit(f"attrs[{g.TOOL_NAME!r}] = run.name")
        in_extra, in_meta = "tool_call_id" in extra_kinds, "tool_call_id" in meta
        if in_extra or in_meta:  # `extra.get(...) or metadata.get(...)`
            first = "extra['tool_call_id']" if in_extra else "None"
            second = "metadata['tool_call_id']" if in_meta else "None"
            w.emit(
                f"call_id = {first} or {second}",
                "if call_id is not None:",
                f"    attrs[{g.TOOL_CALL_ID!r}] = str(call_id)",
            )
        w.emit(f"attrs[{g.TOOL_CALL_ARGUMENTS!r}] = inputs_json")
        if has_outputs:
            w.emit(f"attrs[{g.TOOL_CALL_RESULT!r}] = outputs_json")
    w.emit("if thread is not None:", f"    attrs[{g.CONVERSATION_ID!r}] = thread")
    if not no_events:
        w.emit(
            "if first_us is not None:",
            f"    attrs[{g.RESPONSE_TIME_TO_FIRST_CHUNK!r}] = max(0, first_us - start_us) / 1e6",
        )
    w.emit(f"attrs[{g.PROMPT!r}] = inputs_json")
    if has_outputs:
        w.emit(f"attrs[{g.COMPLETION!r}] = outputs_json")

    # `write_openinference.write`
    kind = oi.RUN_TYPE_TO_KIND.get(run_type, "CHAIN")
    w.emit(
        f"attrs[{oi.SPAN_KIND!r}] = {kind!r}",
        f"attrs[{oi.INPUT_VALUE!r}] = inputs_json",
        f"attrs[{oi.INPUT_MIME_TYPE!r}] = {oi.MIME_JSON!r}",
    )
    if has_outputs:
        w.emit(
            f"attrs[{oi.OUTPUT_VALUE!r}] = outputs_json",
            f"attrs[{oi.OUTPUT_MIME_TYPE!r}] = {oi.MIME_JSON!r}",
        )
    if run_type == "llm":
        w.emit("if model is not None:", f"    attrs[{oi.LLM_MODEL_NAME!r}] = model")
        if params_possible:
            w.emit(
                "    if params:",
                f"        attrs[{oi.LLM_INVOCATION_PARAMETERS!r}] = dumps(params)",
            )
    elif run_type == "embedding":
        w.emit("if model is not None:", f"    attrs[{oi.EMBEDDING_MODEL_NAME!r}] = model")
    if usage_type:
        w.emit(
            "if usage is not None:",
            *(f"    if c{i} is not None: attrs[{key!r}] = c{i}" for i, key in enumerate(_OI)),
        )
    w.emit(
        "if thread is not None:",
        f"    attrs[{oi.SESSION_ID!r}] = thread",
        "if user is not None:",
        f"    attrs[{oi.USER_ID!r}] = user",
    )
    if not no_tags:
        w.emit(f"attrs[{oi.TAG_TAGS!r}] = list(run.tags)")

    # identity, resource, the record (`_born_record`)
    w.emit(
        "if span != run_id.int:",
        # (`record._own_identity` written out: every id is written, so spans -> runs reads
        # the parent and the ancestors from the dotted order; the residue only asks whether
        # there are any, i.e. whether it has more than one segment)
        f"    attrs[{ls.SPAN_DOTTED_ORDER!r}] = dotted = run.dotted_order",
        f"    attrs[{ls.SPAN_ID!r}] = uuid_text(run_id)",
        f"    attrs[{ls.TRACE_ID!r}] = uuid_text(run.trace_id)",
        *(() if root else (f"    attrs[{ls.SPAN_PARENT_ID!r}] = uuid_text(run.parent_run_id)",)),
        "    deep = dotted_depth(dotted) > 1",
        "    has_parent = deep" if root else "    has_parent = True",
        "else:",
        "    parent, ancestors = identity(run, trace, parent_span, False, attrs)",
        "    deep = bool(ancestors)",
        "    has_parent = parent is not None",
        "if resource is None:",
    )
    if session:
        w.emit("    resource = default_resource(project if isinstance(project, str) else None)")
    else:
        w.emit("    resource = default_resource(None)")
    events = "(*own, first) if first is not None else tuple(own)"
    if no_events:
        events = "()"
    remote = "None" if root else "False if parent_span is not None else None"
    w.emit(
        "record = new_span_record(",
        f"    trace, span, parent_span, run.name, start_ns, end_ns, attrs, {events}, (),",
        f"    'INTERNAL', status, '', resource, SCOPE_NAME, '', {remote}, '', 0, 0, 0,",
        ")",
    )

    # the residue (`_residue`): what would not read back exactly
    w.emit("res = {}")
    if unfinished:
        w.emit("res['end_time'] = None")
    else:
        w.emit("if end_us != end_ns // 1000:", "    res['end_time'] = run_time_text(run.end_time)")
        names["run_time_text"] = _end_time_text()
    if not no_events:
        w.emit(
            "if not events_read_back(own, run.events):",
            "    res['events'] = run.events",
        )
    if not no_tags:
        w.emit("if not tags_read_back(tags_text, run.tags):", "    res['tags'] = run.tags")
    if root:
        w.emit("if has_parent:", "    res['parent_run_id'] = None")
    w.emit("if deep:", "    res['parent_run_ids'] = []")
    if usage_type:  # (the usage attributes read back: the counts written, ints)
        w.emit("if usage is not None:")
        for index, field in enumerate(("prompt_tokens", "completion_tokens", "total_tokens")):
            w.emit(f"    if c{index} is not None:", f"        res[{field!r}] = None")
    if not no_events:
        w.emit("if first is not None:", "    res['first_token_time'] = None")
    if len(extra_keys) != 1 or meta_keys is None:
        w.emit(
            "rest = dict(extra)",
            "if 'metadata' in rest:",
            "    kept = rest.pop('metadata')",
            "    if not isinstance(kept, dict):",
            "        rest['metadata'] = kept",
            "if rest:",
            "    res['extra'] = rest",
        )
        if "metadata" not in extra_kinds:
            w.emit("res['_no_metadata'] = True")
    overrides = False
    for key, kind in meta.items():
        if kind in (bool, dict, list):
            continue
        if not overrides:
            w.emit("overrides = {}")
            overrides = True
        key_name = w.bind(key, "key")
        if kind is type(None):
            w.emit(f"overrides[{key_name}] = None")
            continue
        check = (
            f"if not same(meta_value(attrs.get({meta_names[key]})), value):",
            f"    overrides[{key_name}] = value",
        )
        w.emit(f"value = metadata[{key_name}]")
        if kind is str:
            w.emit("if value.startswith(JSON_STARTS):", *("    " + line for line in check))
        elif kind is int:
            w.emit("if not INT64_MIN <= value <= INT64_MAX:", *("    " + line for line in check))
        elif kind is float:
            w.emit("if not isfinite(value):", *("    " + line for line in check))
        else:
            w.emit(*check)
    if overrides:
        w.emit("if overrides:", "    res['_metadata'] = overrides")
    if session:
        w.emit(
            "if not isinstance(project, str):",
            "    res['_unmapped'] = {'session_name': project}",
        )
    if not no_events:
        w.emit("if first is not None:", "    res['_synthetic'] = 1")
    w.emit(f"attrs[{ls.RUN_FIELDS!r}] = dumps(res) if res else '{{}}'", "return record")
    return _define(w)


def _end_time_text() -> Callable[[Any], Any]:
    from otel_runs.model.run import format_datetime

    return format_datetime


def _define(w: _Writer) -> BornMapper:
    text = "def mapper(run, resource):\n" + "\n".join(w.lines) + "\n"
    mapper: BornMapper = _CODE.define(text, w.names, "mapper")
    return mapper


_MAPPERS: Final[ShapeTable[tuple[Any, ...], BornMapper]] = ShapeTable(_compile, 512)
"""Mapping per shape (None: the shape takes the general path), written for its second run."""
