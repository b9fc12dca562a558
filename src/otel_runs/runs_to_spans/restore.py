"""spans -> runs, last step: give a span made by `runs_to_spans` its exact run back.

Call `finish(record, run)` on every converted span after the tree step (and after cross-batch
token roll-ups): it is pure, a single dictionary look-up for ordinary spans, and idempotent.
(What any run would otherwise lose of its span, its name and exact event times, is kept by
spans -> runs itself: `convert/leftovers.note_span`.)

`restore` (spans carrying `otel_runs.run_fields`): every run field is read back from the
attributes `runs_to_spans` wrote (`decode.py`), then overridden by the residue. The OTel
namespace and ids spans -> runs added are kept only where the original run had them (the
residue lists them), or where the span gained attributes or links after it was written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final
from uuid import UUID

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import otel
from otel_runs.convert.leftovers import MAX_VALUE_CHARS, cap
from otel_runs.dialects.coerce import to_jsonable
from otel_runs.dotted_order import ns_to_us, us_to_datetime
from otel_runs.errors import InvalidRunError
from otel_runs.guard import report
from otel_runs.ids import parse_uuid
from otel_runs.model.run import Run
from otel_runs.model.span_record import EventRecord, SpanRecord
from otel_runs.runs_to_spans import decode
from otel_runs.runs_to_spans.keys import is_written
from otel_runs.runs_to_spans.origin import ATTRIBUTES, LINKS, OTEL_ID_KEYS

_logger = logging.getLogger(__name__)

_OTEL_KEYS: Final = (ls.META_OTEL, *OTEL_ID_KEYS)
_CLEARED: Final = (
    "feedback_stats", "total_cost", "prompt_cost", "completion_cost", "in_dataset",
    "execution_order", "serialized", "manifest_id", "manifest_s3_id", "inputs_s3_urls",
    "outputs_s3_urls", "price_model_id", "app_path", "last_queued_at", "share_token",
)  # fmt: skip


def _carried(event: EventRecord) -> dict[str, Any] | None:
    """The feedback object an evaluation event runs -> spans wrote carries."""
    found = _residue(event.attributes.get(ls.FEEDBACK))
    return found


def finish(record: SpanRecord, run: Run) -> None:
    """The last step of spans -> runs for one span (see the module rules). Never raises."""
    try:
        raw = record.attributes.get(ls.RUN_FIELDS)
        if raw is not None:
            restore(record, run, raw)
    except Exception as exc:  # a hook: never break a conversion over the way back
        report(exc, "restoring run %s from its span", run.id)


def _residue(raw: object) -> dict[str, Any] | None:
    if not isinstance(raw, str):
        return None
    try:
        found = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


def _leftovers(record: SpanRecord, collisions: Mapping[str, Any]) -> dict[str, Any]:
    """The span's attributes `runs_to_spans` did not write, as spans -> runs keeps leftovers."""
    out: dict[str, Any] = {}
    for key, value in record.attributes.items():
        if key in collisions or not is_written(key):
            short = isinstance(value, str) and len(value) <= MAX_VALUE_CHARS
            if short or type(value) is int or type(value) is bool:
                out[key] = value
            else:
                out[key] = cap(to_jsonable(value))
    return out


def _otel_metadata(
    record: SpanRecord, converted: Mapping[str, Any], res: Mapping[str, Any], collisions: Any
) -> dict[str, Any]:
    """The OTel namespace and ids the restored run keeps."""
    space = converted.get(ls.META_OTEL)
    if isinstance(space, dict):
        space = dict(space)
        leftovers = _leftovers(record, collisions)
        if leftovers:
            space[ATTRIBUTES] = leftovers
        else:
            space.pop(ATTRIBUTES, None)
    from_span = res.get("_from_span")
    keep = from_span if isinstance(from_span, list) else []
    out = {}
    for key in _OTEL_KEYS:
        value = space if key == ls.META_OTEL else converted.get(key)
        if key in keep and value is not None:
            out[key] = value
    if not keep and isinstance(space, dict) and (space.get(ATTRIBUTES) or space.get(LINKS)):
        out[ls.META_OTEL] = space  # the span gained attributes or links since it was written
    return out


def _apply_fields(run: Run, fields: dict[str, Any]) -> None:
    """Set run-format fields from their `Run.to_dict` encoding."""
    if not fields:
        return
    probe = {
        "id": str(run.id),
        "name": run.name,
        "run_type": run.run_type,
        "start_time": run.start_time,
        **fields,
    }
    try:
        decoded = Run.from_dict(probe)
    except InvalidRunError:
        _logger.warning("run %s: unreadable otel_runs.run_fields; kept what the span says", run.id)
        return
    for name in fields:
        if hasattr(decoded, name):
            setattr(run, name, getattr(decoded, name))


def restore(record: SpanRecord, run: Run, raw: object) -> None:
    """Make `run` (converted from `record`) exactly the run `runs_to_spans` wrote."""
    res = _residue(raw)
    if res is None:  # mangled on the way: the attributes still say most of the run
        _logger.debug("run %s: unreadable %s; restoring from the attributes", run.id, ls.RUN_FIELDS)
        res = {}
    collisions = res.get("_collisions")
    collisions = collisions if isinstance(collisions, dict) else {}
    reader = decode.Reader(record.attributes, collisions)
    synthetic = res.get("_synthetic")
    count = synthetic if type(synthetic) is int and 0 <= synthetic <= len(record.events) else 0
    own = record.events[: len(record.events) - count]
    added = record.events[len(record.events) - count :]
    converted = run.metadata

    name = reader.get(ls.TRACE_NAME)
    if isinstance(name, str):
        run.name = name
    kind = reader.get(ls.SPAN_KIND)
    if isinstance(kind, str):  # (the run's own type, even one LangSmith would not take)
        run.run_type = kind
    run.inputs = decode.json_object(reader.get(g.PROMPT)) or {}
    run.outputs = decode.json_object(reader.get(g.COMPLETION))
    run.start_time = us_to_datetime(ns_to_us(record.start_ns))
    run.end_time = us_to_datetime(ns_to_us(record.end_ns))

    metadata = decode.metadata(reader)
    overrides = res.get("_metadata")
    if isinstance(overrides, dict):
        metadata.update(overrides)
    for key, value in _otel_metadata(record, converted, res, collisions).items():
        metadata.setdefault(key, value)
    extra_rest = res.get("extra")
    extra: dict[str, Any] = dict(extra_rest) if isinstance(extra_rest, dict) else {}
    if "metadata" not in extra and not res.get("_no_metadata"):
        extra["metadata"] = metadata
    run.extra = extra

    error_event = next((e for e in added if e.name == otel.EVENT_EXCEPTION), None)
    first_event = next(
        (e for e in added if e.name not in (otel.EVENT_EXCEPTION, g.EVALUATION_RESULT)), None
    )
    message = error_event.attributes.get(otel.EXCEPTION_MESSAGE) if error_event else None
    run.error = message if isinstance(message, str) else None
    run.events = decode.events(own)
    run.tags = decode.tags(reader.get(ls.SPAN_TAGS))
    trace, parent, ancestors = decode.lineage(reader, record.trace_id, record.parent_span_id)
    run.trace_id = parse_uuid(trace) or UUID(int=record.trace_id)
    run.parent_run_id = parse_uuid(parent) if parent is not None else None
    run.parent_run_ids = [u for text in ancestors if (u := parse_uuid(text)) is not None]
    dotted = reader.get(ls.SPAN_DOTTED_ORDER)
    if isinstance(dotted, str):
        run.dotted_order = dotted
    run.child_run_ids, run.direct_child_run_ids = [], []
    run.reference_example_id = parse_uuid(reader.get(ls.REFERENCE_EXAMPLE_ID))
    run.prompt_tokens, run.completion_tokens, run.total_tokens = decode.tokens(reader, run.run_type)
    run.first_token_time = (
        us_to_datetime(ns_to_us(first_event.time_ns)) if first_event is not None else None
    )
    session = reader.get(ls.SESSION_ID)
    run.session_id = session if isinstance(session, str) else None
    for field_name in _CLEARED:
        setattr(run, field_name, None)
    attached = run.unmapped.get(ls.RUN_ATTACHMENTS)  # what spans -> runs took from the span
    unmapped = res.get("_unmapped")
    run.unmapped = dict(unmapped) if isinstance(unmapped, dict) else {}
    if res.get("_attachments") and isinstance(attached, dict):
        run.unmapped[ls.RUN_ATTACHMENTS] = attached
    if res.get("_feedback"):
        carried = [_carried(e) for e in added if e.name == g.EVALUATION_RESULT]
        run.unmapped[ls.RUN_FEEDBACK] = [item for item in carried if item is not None]
    project = reader.get(ls.SESSION_NAME)
    if isinstance(project, str):
        run.unmapped["session_name"] = project

    _apply_fields(run, {k: v for k, v in res.items() if not k.startswith("_") and k != "extra"})
    run.status = (
        res["status"]
        if isinstance(res.get("status"), str)
        else ("error" if run.error is not None else "success")
    )
