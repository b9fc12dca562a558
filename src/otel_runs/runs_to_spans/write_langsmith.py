"""`langsmith.*` attributes of a run: what LangSmith's own exporter writes, and what its
OTel ingest reads (`trace-with-opentelemetry`), so LangSmith rebuilds the same run.

Identity attributes (`langsmith.span.id`, `langsmith.trace.id`, `langsmith.span.parent_id`,
`langsmith.span.dotted_order`) are decided in `record.py`, with the span ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from otel_runs.conventions import langsmith as ls
from otel_runs.model.span_record import AttributeValue
from otel_runs.runs_to_spans.facts import Facts
from otel_runs.runs_to_spans.values import INT64_MAX, INT64_MIN, attribute_value, dumps

_NAMES: dict[object, str] = {}
"""`langsmith.metadata.<key>` per metadata key: runs of an app repeat the same keys."""
_MAX_NAMES: Final = 1024
_REQUEST_INPUTS: Final = frozenset({"stream", "extra_headers"})


def _name(key: object) -> str:
    if len(_NAMES) >= _MAX_NAMES:
        _NAMES.clear()
    name = _NAMES[key] = ls.METADATA_PREFIX + str(key)
    return name


def write(facts: Facts, out: dict[str, AttributeValue], skip_meta: frozenset[str]) -> None:
    """Add the run's `langsmith.*` attributes to `out`; metadata keys in `skip_meta` are left out
    (spans -> runs gives them back from the span itself)."""
    run = facts.run
    out[ls.SPAN_KIND] = run.run_type
    out[ls.TRACE_NAME] = run.name
    if run.session_id is not None:
        out[ls.SESSION_ID] = run.session_id
    unmapped = run.unmapped
    if unmapped:
        session_name = unmapped.get("session_name")
        if isinstance(session_name, str):
            out[ls.SESSION_NAME] = session_name
    if run.tags:
        out[ls.SPAN_TAGS] = ", ".join(run.tags)
    names = _NAMES
    for key, value in facts.metadata.items():
        if value is None or key in skip_meta:
            continue
        name = names.get(key) or _name(key)
        kind = type(value)
        if kind is str or kind is bool or (kind is int and INT64_MIN <= value <= INT64_MAX):
            out[name] = value  # (what attribute_value gives them, without the call)
        else:
            out[name] = attribute_value(value)
    if facts.usage is not None:
        out[ls.USAGE_METADATA] = dumps(facts.usage)
    if run.reference_example_id is not None:
        out[ls.REFERENCE_EXAMPLE_ID] = str(run.reference_example_id)
    inputs: Mapping[str, Any] = run.inputs
    if not _REQUEST_INPUTS.isdisjoint(inputs):
        if inputs.get("stream") is not None:
            out[ls.REQUEST_STREAMING] = attribute_value(inputs["stream"])
        if inputs.get("extra_headers") is not None:
            out[ls.REQUEST_HEADERS] = attribute_value(inputs["extra_headers"])
