"""Plans: what the precedence tables decide for every span with the same keys, worked out once.

Spans from one instrumentation point carry the same attribute keys and event names, so which
sources of each table can apply to them, which of their keys are token counts or costs, which
metadata extractors have anything to read, whether the span is GenAI-related, and whether it can
be a Logfire placeholder or a span made by runs -> spans, are all decided by its *shape* (its
keys, in order, and its event names). A plan holds those decisions; `map_span` runs it. The
tables in `dialects/precedence.py` stay the single source of truth: a plan is only their
projection onto one shape, and an unknown shape compiles a new one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.conventions import openllmetry as ol
from otel_runs.conventions import otel
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.conventions.families import GENAI_EVENT_PREFIXES, GENAI_KEY_PREFIXES
from otel_runs.convert.identity import IDENTITY_KEYS
from otel_runs.convert.usage import PATHS, TOKEN_KEYS
from otel_runs.dialects import precedence as p
from otel_runs.dialects.precedence import COST_ATTRIBUTES, Source
from otel_runs.dialects.view import Shape
from otel_runs.model.span_record import SpanRecord

if TYPE_CHECKING:
    from otel_runs.convert.map_span import Mapper

_COST_KEYS: Final = frozenset(attr for sources in COST_ATTRIBUTES.values() for _, attr in sources)

# Keys whose presence turns on one step of the mapping; absent, the step has nothing to read.
_RESPONSE_META: Final = frozenset({g.RESPONSE_ID, g.RESPONSE_FINISH_REASONS})
_PROMPT_TEMPLATE: Final = frozenset({oi.LLM_PROMPT_TEMPLATE, oi.LLM_PROMPT_TEMPLATE_VARIABLES})
_PROJECT: Final = frozenset({ls.SESSION_NAME, ls.SESSION_ID})
_IDENTITY: Final = frozenset(IDENTITY_KEYS)
_CONTENT_KEYS: Final = frozenset(
    {g.INPUT_MESSAGES, g.OUTPUT_MESSAGES, g.SYSTEM_INSTRUCTIONS, g.PROMPT, g.COMPLETION,
     oi.INPUT_VALUE, oi.OUTPUT_VALUE}
)  # fmt: skip
"""Keys whose messages may hold inline content parts (blob parts, `data:` URLs)."""
_CONTENT_PREFIXES: Final = (oi.LLM_INPUT_MESSAGES_PREFIX, oi.LLM_OUTPUT_MESSAGES_PREFIX)
_TOKEN_DETAILS: Final = (
    ("input_token_details", g.USAGE_INPUT_TOKEN_DETAILS),
    ("output_token_details", g.USAGE_OUTPUT_TOKEN_DETAILS),
)


class Plan:
    """The decisions one span shape fixes (see the module docstring). Read-only once built."""

    __slots__ = (
        "agent_name",
        "aggregated_usage",
        "attachments_listed",
        "content_events",
        "content_keys",
        "cost_keys",
        "errors",
        "exceptions",
        "first_token",
        "genai",
        "genai_own",
        "http_route",
        "identity",
        "inputs",
        "keys",
        "mapper",
        "metadata_layers",
        "model",
        "name",
        "outputs",
        "param_layers",
        "pending",
        "project",
        "prompt_template",
        "provider",
        "reference",
        "request_parameters",
        "response_meta",
        "restore",
        "run_type",
        "shape",
        "streaming",
        "tag_sources",
        "thread_id",
        "token_details",
        "token_direct",
        "token_keys",
        "token_paths",
        "traceable",
        "usage_objects",
        "user_id",
        "workflow",
    )  # fmt: skip

    def __init__(self, keys: tuple[str, ...], event_names: frozenset[str]) -> None:
        self.shape = shape = Shape(keys, event_names)
        self.keys = keys
        """The shape's attribute keys, in span order."""
        self.mapper: Mapper | None = None
        """The plan's compiled mapping (`map_span.compile_mapper`), made on its first span."""
        present = frozenset(keys)

        def sources(table: tuple[Source[Any], ...]) -> tuple[Source[Any], ...]:
            return tuple(source for source in table if source.applies_to(shape, present))

        self.run_type = sources(p.RUN_TYPE)
        self.name = sources(p.NAME)
        self.inputs = sources(p.INPUTS)
        self.outputs = sources(p.OUTPUTS)
        self.model = sources(p.MODEL)
        self.provider = sources(p.PROVIDER)
        self.param_layers = sources(p.PARAM_LAYERS)
        self.streaming = sources(p.STREAMING)
        self.first_token = sources(p.FIRST_TOKEN)
        self.metadata_layers = sources(p.METADATA_LAYERS)
        self.thread_id = sources(p.THREAD_ID)
        self.user_id = sources(p.USER_ID)
        self.tag_sources = sources(p.TAG_SOURCES)
        self.errors = sources(p.ERRORS)
        self.usage_objects = sources(p.USAGE_OBJECTS)

        self.identity = not _IDENTITY.isdisjoint(present)
        self.token_keys = tuple(
            (key, TOKEN_KEYS[key]) for key in keys if key in TOKEN_KEYS
        )  # span order, as the attribute walk found them
        fillable = {path for _, targets in self.token_keys for path, _ in targets}
        self.token_paths = tuple(path for path in PATHS if path in fillable)
        self.token_direct = _uncontested(self.token_keys, self.token_paths)
        self.token_details = tuple(pair for pair in _TOKEN_DETAILS if pair[1] in present)
        self.cost_keys = not _COST_KEYS.isdisjoint(present)
        self.response_meta = not _RESPONSE_META.isdisjoint(present)
        self.prompt_template = not _PROMPT_TEMPLATE.isdisjoint(present)
        self.workflow = ol.WORKFLOW_NAME in present
        self.agent_name = g.AGENT_NAME in present
        self.request_parameters = pa.MODEL_REQUEST_PARAMETERS in present
        self.aggregated_usage = any(key.startswith(pa.AGGREGATED_USAGE_PREFIX) for key in keys)
        self.project = not _PROJECT.isdisjoint(present)
        self.reference = ls.REFERENCE_EXAMPLE_ID in present
        self.exceptions = otel.EVENT_EXCEPTION in event_names
        self.pending = pa.LOGFIRE_SPAN_TYPE in present
        self.restore = ls.RUN_FIELDS in present
        # Attachments: which keys may hold inline content, checked per span only on such shapes.
        self.content_keys = tuple(
            key for key in keys if key in _CONTENT_KEYS or key.startswith(_CONTENT_PREFIXES)
        )
        self.content_events = g.EVENT_INFERENCE_DETAILS in event_names
        self.attachments_listed = ls.ATTACHMENTS in present
        self.traceable = ls.TRACEABLE in present
        self.http_route = otel.HTTP_ROUTE in present
        genai_events = any(name.startswith(GENAI_EVENT_PREFIXES) for name in event_names)
        self.genai = genai_events or any(key.startswith(GENAI_KEY_PREFIXES) for key in keys)
        # GenAI-related by more than the run identity our processor stamps on every span (an
        # HTTP server span carries that too): what names a trace (`tree.name_roots`).
        self.genai_own = self.genai and (
            genai_events
            or any(key.startswith(GENAI_KEY_PREFIXES) and key not in _IDENTITY for key in keys)
        )


def _uncontested(
    token_keys: tuple[tuple[str, tuple[tuple[str, int], ...]], ...], paths: tuple[str, ...]
) -> tuple[tuple[str, str, str], ...] | None:
    """When the shape has one token key per usage path (the usual case), each path's
    (group, detail, key) in the table's order: no precedence left to decide per span. None
    when two keys compete for a path."""
    by_path: dict[str, list[str]] = {}
    for key, targets in token_keys:
        for path, _ in targets:
            by_path.setdefault(path, []).append(key)
    if any(len(keys) > 1 for keys in by_path.values()):
        return None
    return tuple((*_split(path), by_path[path][0]) for path in paths)


def _split(path: str) -> tuple[str, str]:
    group, _, detail = path.partition(".")
    return group, detail


_NO_NAMES: Final = frozenset[str]()
_PLANS: dict[tuple[tuple[str, ...], frozenset[str]], Plan] = {}
_MAX_PLANS: Final = 1024


_ONE_NAME: dict[str, frozenset[str]] = {}
"""The event names of spans with one event (most spans with any), by that name: one set made
and hashed once, not per span (~0.17 us)."""


def plan_of(record: SpanRecord) -> Plan:
    """The record's plan, compiled on the first span of its shape."""
    events = record.events
    if not events:
        names = _NO_NAMES
    elif len(events) == 1:
        name = events[0].name
        names = _ONE_NAME.get(name) or _one_name(name)
    else:
        names = frozenset([e.name for e in events])
    key = (tuple(record.attributes), names)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:  # high-cardinality keys must not grow memory
            _PLANS.clear()
        plan = _PLANS[key] = Plan(*key)
    return plan


def _one_name(name: str) -> frozenset[str]:
    if len(_ONE_NAME) >= _MAX_PLANS:  # high-cardinality event names must not grow memory
        _ONE_NAME.clear()
    found = _ONE_NAME[name] = frozenset((name,))
    return found
