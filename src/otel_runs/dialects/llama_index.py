"""LlamaIndex's tool spans (openinference-instrumentation-llama-index): the call and the
`ToolOutput` it records, read as the tool's arguments and its return value.

Every other LlamaIndex span is plain OpenInference (dialects/openinference.py).
"""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import llama_index as li
from otel_runs.conventions import openinference as oi
from otel_runs.dialects.coerce import as_object, call_arguments, json_or_text, to_jsonable
from otel_runs.dialects.view import SpanView

_CALL_FIELDS = frozenset({li.CALL_ARGS, li.CALL_KWARGS})


def _tool_span(v: SpanView) -> bool:
    return v.run_type == "tool" and v.record.scope_name == li.SCOPE


def tool_arguments(v: SpanView) -> dict[str, Any] | None:
    """A tool's `input.value` `{"kwargs": {...}}` (the instrumentor leaves out empty `args`)
    as the arguments; a single positional argument as `{"input": value}`."""
    if not _tool_span(v):
        return None
    call = as_object(v.peek(oi.INPUT_VALUE))
    if not call or not set(call) <= _CALL_FIELDS:
        return None
    record = {li.CALL_ARGS: [], li.CALL_KWARGS: {}, **call}
    found = call_arguments(record)
    if found is record:  # positional and keyword arguments both: left as recorded
        return None
    v.consume(oi.INPUT_VALUE, oi.INPUT_MIME_TYPE)
    return found if isinstance(found, dict) else {"input": to_jsonable(found)}


def tool_output(v: SpanView) -> dict[str, Any] | None:
    """A tool's `output.value`, a serialized `ToolOutput`, as what the tool function returned:
    an object as is, anything else as `{"output": value}`."""
    if not _tool_span(v):
        return None
    output = as_object(v.peek(oi.OUTPUT_VALUE))
    if output is None or not li.TOOL_OUTPUT_FIELDS.issubset(output):
        return None
    v.consume(oi.OUTPUT_VALUE, oi.OUTPUT_MIME_TYPE)
    raw = output[li.TOOL_RAW_OUTPUT]
    return json_or_text(raw, "output") or {"output": raw}
