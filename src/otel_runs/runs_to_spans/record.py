"""One run -> one neutral `SpanRecord`: ids, times, status, events, attributes, and the
`otel_runs.run_fields` residue that makes the way back exact.

Two kinds of runs:

- A run **born in LangSmith** becomes a span in LangSmith's own attribute language plus the
  GenAI and OpenInference conventions, with an `exception` event for an error and a first-token
  event for streamed runs.
- A run that **came from a span** (it kept `extra.metadata.otel` and the `otel_*` ids) becomes
  that span again: its OTel ids, kind, nanosecond times, status, scope, resource, links, events
  and the attributes no convention consumed; the run's fields are then written in the same
  three conventions (replacing the consumed attributes, whose meaning the run now holds).

Every field is then read back the way spans -> runs will read it (`decode.py`); whatever would
not come back exactly goes into the residue.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any, Final
from uuid import UUID

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import otel
from otel_runs.convert import feedback
from otel_runs.convert.leftovers import otel_namespace
from otel_runs.convert.map_span import USAGE_RUN_TYPES
from otel_runs.dialects.view import SpanView
from otel_runs.dotted_order import datetime_to_us
from otel_runs.ids import span_id_hex, trace_id_hex
from otel_runs.model.run import FIELD_KINDS, Run, format_datetime, uuid_text
from otel_runs.model.span_record import AttributeValue, EventRecord, SpanRecord, new_span_record
from otel_runs.runs_to_spans import (
    attachments,
    decode,
    events,
    write_genai,
    write_langsmith,
    write_openinference,
)
from otel_runs.runs_to_spans.born_mapper import mapper_for
from otel_runs.runs_to_spans.facts import Facts, facts_of
from otel_runs.runs_to_spans.ids import span_id_of, trace_id_of
from otel_runs.runs_to_spans.keys import is_written
from otel_runs.runs_to_spans.origin import (
    OTEL_ID_KEYS,
    Origin,
    kept_ids,
)
from otel_runs.runs_to_spans.values import INT64_MAX, INT64_MIN, dumps

SCOPE_NAME: Final = "otel-runs"
"""Instrumentation scope of spans made from runs born in LangSmith."""
DEFAULT_SERVICE: Final = "langsmith"
"""service.name of those spans when the run names no project."""

# Run-format fields only the residue carries (server-side or unused by any convention).
_RESIDUE_ONLY: Final = (
    "feedback_stats", "total_cost", "prompt_cost", "completion_cost", "in_dataset",
    "execution_order", "serialized", "manifest_id", "manifest_s3_id", "inputs_s3_urls",
    "outputs_s3_urls", "price_model_id", "app_path", "last_queued_at", "share_token",
)  # fmt: skip


_residue_only: Final = operator.attrgetter(*_RESIDUE_ONLY)
_NOTHING: Final[frozenset[str]] = frozenset()


def _encode(name: str, value: Any) -> Any:
    """A field value as `Run.to_dict` writes it."""
    if value is None:
        return None
    kind = FIELD_KINDS[name]
    if kind in ("uuid", "decimal"):
        return str(value)
    if kind == "datetime":
        return format_datetime(value)
    if kind == "uuidlist":
        return [str(item) for item in value]
    return value


def _same(a: object, b: object) -> bool:
    """Equal, and of the same type at the top (1, 1.0 and True are different run values)."""
    return type(a) is type(b) and a == b


# --- ids ---------------------------------------------------------------------------------------


def _otel_ids(run: Run, facts: Facts) -> tuple[int, int, int | None]:
    """Trace, span and parent span ids of the span of a run that came from a span: the ids it
    kept, else those of its run ids (see `ids.py`; `_born_record` has the other case)."""
    parent = run.parent_run_id
    kept = kept_ids(facts.metadata)
    trace = kept.trace_id or trace_id_of(run.trace_id, run.id)
    span = kept.span_id or span_id_of(run.id)
    parent_span = kept.parent_span_id
    if parent_span is None and parent is not None:
        parent_span = span_id_of(parent)
    if parent_span == span:  # OTel has no self-parented spans; the lineage attributes tell
        parent_span = None
    return trace, span, parent_span


def _identity(
    run: Run, trace: int, parent_span: int | None, foreign: bool, out: dict[str, AttributeValue]
) -> tuple[str | None, list[str]]:
    """`langsmith.span.dotted_order` always, and the ids when the span's own ids do not give
    them back (or the run id is not zero-padded: then all of them, as LangSmith's ingest
    needs). After this the trace id reads back exactly, and so does a parent id; returns the
    parent spans -> runs will read (for a run without one) and the ancestors it will read."""
    out[ls.SPAN_DOTTED_ORDER] = run.dotted_order
    trace_text, parent_text, ancestors = decode.lineage(out, trace, parent_span)
    if foreign:
        out[ls.SPAN_ID] = uuid_text(run.id)
    trace_id = uuid_text(run.trace_id)
    if foreign or trace_text != trace_id:
        out[ls.TRACE_ID] = trace_id
    parent = run.parent_run_id
    if parent is not None:
        parent_id = uuid_text(parent)
        if foreign or parent_text != parent_id:
            out[ls.SPAN_PARENT_ID] = parent_id
        parent_text = parent_id
    return parent_text, ancestors


def _own_identity(
    run: Run, parent_span: int | None, out: dict[str, AttributeValue]
) -> tuple[str | None, list[str]]:
    """`_identity` of a run born in LangSmith whose span ids are not its run ids (not
    zero-padded, so every id is written): the same attributes and answer, without reading
    back the ids it writes anyway."""
    dotted = run.dotted_order
    out[ls.SPAN_DOTTED_ORDER] = dotted
    ids = decode.dotted_ids(dotted)
    out[ls.SPAN_ID] = uuid_text(run.id)
    out[ls.TRACE_ID] = uuid_text(run.trace_id)
    parent = run.parent_run_id
    parent_text: str | None
    if parent is not None:
        parent_text = out[ls.SPAN_PARENT_ID] = uuid_text(parent)
    elif ids is not None:  # what `decode.lineage` reads then
        parent_text = ids[-2] if len(ids) > 1 else None
    else:
        parent_text = str(UUID(int=parent_span)) if parent_span is not None else None
    return parent_text, (ids[:-1] if ids else [])


# --- times, status, events ------------------------------------------------------------------


def _times(facts: Facts, origin: Origin) -> tuple[int, int]:
    """Start and end of the span of a run that came from a span: the run's times (an end before
    the start, or none, is the start), in the span's exact nanoseconds unless the run's times
    changed since (`_born_record` has the first part alone)."""
    start_us = facts.start_us
    end_us = facts.end_us if facts.end_us is not None else start_us
    start_ns, end_ns = start_us * 1000, max(end_us, start_us) * 1000
    if origin.start_ns // 1000 == start_us:
        start_ns = origin.start_ns
    if origin.end_ns // 1000 == end_us and origin.end_ns >= start_ns:
        end_ns = origin.end_ns
    return start_ns, end_ns


def _has_exception(run: Run) -> bool:
    return any(isinstance(e, dict) and e.get("name") == otel.EVENT_EXCEPTION for e in run.events)


def _status(run: Run, origin: Origin) -> tuple[str, str]:
    """The status of the span of a run that came from a span (`_born_record` has the other
    case): its own, unless the run failed since."""
    if run.error is not None and origin.status_code != "ERROR" and not _has_exception(run):
        return "ERROR", run.error.partition("\n")[0]
    return origin.status_code, origin.status_message


def _span_born_events(run: Run, origin: Origin, start_ns: int) -> list[EventRecord]:
    """The span's own events back in span order, at their exact times.

    spans -> runs sorts a span's events by time and may add a `new_token` event (a first token
    read from an attribute); when it did either, or cut nanoseconds, it kept the original
    times in span order (`event_times_unix_nano`), which undoes both.
    """
    items = list(run.events)
    times = origin.event_times
    if times is None:
        return events.run_events(items, start_ns, None, from_span=True)
    if len(items) == len(times) + 1:
        added = [
            i
            for i, e in enumerate(items)
            if isinstance(e, dict) and e.get("name") == ls.EVENT_NEW_TOKEN and "kwargs" not in e
        ]
        if len(added) == 1:
            del items[added[0]]
    if len(items) != len(times):
        return events.run_events(run.events, start_ns, None, from_span=True)
    order = sorted(range(len(times)), key=lambda i: times[i] // 1000)
    original: list[Any] = [None] * len(times)
    for position, index in enumerate(order):
        original[index] = items[position]
    return events.run_events(original, start_ns, times, from_span=True)


def _events(
    run: Run, facts: Facts, start_ns: int, end_ns: int
) -> tuple[list[EventRecord], list[EventRecord]]:
    """The run's own events and the events added for other backends."""
    if facts.origin is not None:
        return _span_born_events(run, facts.origin, start_ns), []
    # (Most runs have no events and no feedback: those calls are skipped for them.)
    own = events.run_events(run.events, start_ns, None, from_span=False) if run.events else []
    added = []
    if facts.first_token_us is not None:
        added.append(events.first_token_event(facts.first_token_us))
    if run.error is not None and not _has_exception(run):
        added.append(events.exception_event(run.error, end_ns))
    unmapped = run.unmapped
    given = unmapped.get(ls.RUN_FEEDBACK) if unmapped else None
    carried = attachments.clean_feedback(given) if given is not None else None
    if carried:  # feedback the run carries: evaluation events (convert/feedback.py)
        fallback = format_datetime(run.end_time or run.start_time)
        feedback_events = [feedback.to_event(item, fallback) for item in carried]
        added += events.run_events(feedback_events, end_ns, None, from_span=False)
    return own, added


# --- attributes and residue -----------------------------------------------------------------


def _skipped_otel_keys(run: Run, facts: Facts, record: SpanRecord) -> list[str]:
    """Metadata keys spans -> runs will rebuild from the span exactly as the run has them."""
    origin = facts.origin
    if origin is None:
        return []
    metadata = facts.metadata
    rebuilt: dict[str, Any] = {
        ls.META_OTEL_TRACE_ID: trace_id_hex(record.trace_id),
        ls.META_OTEL_SPAN_ID: span_id_hex(record.span_id),
    }
    if record.parent_span_id is not None:
        rebuilt[ls.META_OTEL_PARENT_SPAN_ID] = span_id_hex(record.parent_span_id)
    # spans -> runs adds a `new_token` event when the span gives a first token but has none.
    adds_token = facts.first_token_us is not None and not any(
        event.name == ls.EVENT_NEW_TOKEN for event in record.events
    )
    rebuilt[ls.META_OTEL] = otel_namespace(
        SpanView(record), run_name=run.name, run_event_count=len(record.events) + adds_token
    )
    return [
        key
        for key in (ls.META_OTEL, *OTEL_ID_KEYS)
        if key in metadata and key in rebuilt and metadata[key] == rebuilt[key]
    ]


def _attributes(
    run: Run, facts: Facts, skip: list[str]
) -> tuple[dict[str, AttributeValue], dict[str, Any]]:
    """Our attributes with the span's kept attributes over them, and the shadowed values."""
    ours: dict[str, AttributeValue] = {}
    write_langsmith.write(facts, ours, frozenset(skip) if skip else _NOTHING)
    write_genai.write(facts, ours)
    write_openinference.write(facts, ours)
    if facts.attachments:
        rest = attachments.listed(facts.attachments, facts.attachments_in_parts)
        if rest is not None:
            ours[ls.ATTACHMENTS] = rest
    collisions: dict[str, Any] = {}
    if facts.origin is not None:
        for key, value in facts.origin.attributes.items():
            if is_written(key):  # a kept attribute under a name we write: remember ours
                collisions[key] = ours.get(key)
            ours[key] = value
    return ours, collisions


_JSON_STARTS: Final = ("{", "[", '"')


def _metadata_residue(facts: Facts, skip: list[str], reader: decode.Getter) -> dict[str, Any]:
    """Metadata values that `langsmith.metadata.*` would not give back exactly."""
    out: dict[str, Any] = {}
    for key, value in facts.metadata.items():
        kind = type(value)
        if kind is str:
            if not value.startswith(_JSON_STARTS):
                continue  # written as it is, read as it is (the common case, decided cheaply)
        elif (
            kind is bool
            or kind is dict
            or kind is list
            or (kind is int and INT64_MIN <= value <= INT64_MAX)
            or (kind is float and math.isfinite(value))
        ):
            continue
        if key in skip:
            continue
        if value is None:
            out[key] = None
            continue
        written = reader.get(ls.METADATA_PREFIX + str(key))
        if not _same(decode.meta_value(written), value):
            out[key] = value
    return out


def _residue(  # noqa: PLR0917 - positional: a keyword call of eight arguments costs ~0.4 µs
    run: Run,
    facts: Facts,
    record: SpanRecord,
    own_events: list[EventRecord],
    added: list[EventRecord],
    skip: list[str],
    collisions: dict[str, Any],
    lineage: tuple[str | None, list[str]],
    /,
) -> dict[str, Any]:
    # Each check below asks whether spans -> runs (`decode`) would read the field back as the
    # run has it; the cheap cases (nothing written, nothing to read) are decided first.
    reader = decode.reader(record.attributes, collisions)
    res: dict[str, Any] = {}
    end_time = run.end_time
    if end_time is None or facts.end_us != record.end_ns // 1000:
        res["end_time"] = _encode("end_time", end_time)  # unfinished, or ends before it starts
    error = first = None  # the added exception and first-token events
    for event in added:
        if event.name == otel.EVENT_EXCEPTION:
            error = error or event
        elif event.name != g.EVALUATION_RESULT:
            first = first or event
    predicted_error = error.attributes[otel.EXCEPTION_MESSAGE] if error is not None else None
    if run.error != predicted_error:
        res["error"] = run.error
    if (own_events or run.events) and not decode.events_read_back(own_events, run.events):
        res["events"] = run.events
    written_tags, tags = reader.get(ls.SPAN_TAGS), run.tags
    if (written_tags is not None or tags or type(tags) is not list) and not decode.tags_read_back(
        written_tags, tags
    ):
        res["tags"] = tags
    parent, ancestors = lineage
    if run.parent_run_id is None and parent is not None:
        res["parent_run_id"] = None
    if run.parent_run_ids or ancestors:
        texts = [str(u) for u in run.parent_run_ids]
        if texts != ancestors:
            res["parent_run_ids"] = texts
    if run.status != ("error" if run.error is not None else "success"):
        res["status"] = run.status
    if run.child_run_ids:
        res["child_run_ids"] = [str(u) for u in run.child_run_ids]
    if run.direct_child_run_ids:
        res["direct_child_run_ids"] = [str(u) for u in run.direct_child_run_ids]
    if run.run_type in USAGE_RUN_TYPES:
        prompt, completion, total = decode.tokens(reader, run.run_type)
        if run.prompt_tokens != prompt:
            res["prompt_tokens"] = run.prompt_tokens
        if run.completion_tokens != completion:
            res["completion_tokens"] = run.completion_tokens
        if run.total_tokens != total:
            res["total_tokens"] = run.total_tokens
    else:  # no usage attributes: spans -> runs reads no tokens
        if run.prompt_tokens is not None:
            res["prompt_tokens"] = run.prompt_tokens
        if run.completion_tokens is not None:
            res["completion_tokens"] = run.completion_tokens
        if run.total_tokens is not None:
            res["total_tokens"] = run.total_tokens
    predicted_first = first.time_ns // 1000 if first is not None else None
    first_token_time = run.first_token_time
    actual_first = datetime_to_us(first_token_time) if first_token_time else None
    if actual_first != predicted_first:
        res["first_token_time"] = _encode("first_token_time", first_token_time)
    values = _residue_only(run)
    if values.count(None) != len(values):  # most runs have none of these fields
        for name, value in zip(_RESIDUE_ONLY, values, strict=True):
            if value is not None:
                res[name] = _encode(name, value)
    extra = run.extra if isinstance(run.extra, dict) else {}
    if len(extra) != 1 or not isinstance(extra.get("metadata"), dict):  # (else nothing to keep)
        rest = dict(extra)  # extra without its metadata (last, when it is not an object)
        if "metadata" in rest:
            metadata = rest.pop("metadata")
            if not isinstance(metadata, dict):
                rest["metadata"] = metadata
        if rest:
            res["extra"] = rest
        if "metadata" not in extra:
            res["_no_metadata"] = True
    overrides = _metadata_residue(facts, skip, reader) if facts.metadata else None
    if overrides:
        res["_metadata"] = overrides
    kept = run.unmapped
    if kept and (len(kept) > 1 or not isinstance(kept.get("session_name"), str)):
        unmapped = {
            k: v for k, v in kept.items() if not (k == "session_name" and isinstance(v, str))
        }
        if facts.attachments is not None:  # written as parts and langsmith.attachments
            del unmapped[ls.RUN_ATTACHMENTS]
            res["_attachments"] = True
        if any(e.name == g.EVALUATION_RESULT for e in added):  # written as events
            del unmapped[ls.RUN_FEEDBACK]
            res["_feedback"] = True
        if unmapped:
            res["_unmapped"] = unmapped
    if skip:
        res["_from_span"] = skip
    if added:
        res["_synthetic"] = len(added)
    if collisions:
        res["_collisions"] = collisions
    return res


# --- the run -> record step ------------------------------------------------------------------


def run_to_record(run: Run, resource: Mapping[str, AttributeValue] | None = None) -> SpanRecord:
    """The neutral span record of one run (see the module rules)."""
    mapper = mapper_for(run)  # the usual run born in LangSmith: its shape's compiled mapping
    if mapper is not None:
        return mapper(run, resource)
    facts = facts_of(run)
    origin = facts.origin
    if origin is None:
        return _born_record(run, facts, resource)
    trace, span, parent_span = _otel_ids(run, facts)
    start_ns, end_ns = _times(facts, origin)
    own, added = _events(run, facts, start_ns, end_ns)
    status, message = _status(run, origin)
    attrs: dict[str, AttributeValue]
    remote = origin.parent_is_remote if parent_span is not None else None
    name = origin.span_name if origin.span_name is not None else run.name
    events = tuple(own)
    base = new_span_record(
        trace, span, parent_span, name, start_ns, end_ns, origin.attributes, events,
        origin.links, origin.kind, status, message, origin.resource, origin.scope_name,
        origin.scope_version, remote, origin.trace_state, origin.dropped_attributes,
        origin.dropped_events, origin.dropped_links,
    )  # fmt: skip
    skip = _skipped_otel_keys(run, facts, base)
    attrs, collisions = _attributes(run, facts, skip)
    lineage = _identity(run, trace, parent_span, span != run.id.int, attrs)
    record = new_span_record(
        trace, span, parent_span, name, start_ns, end_ns, attrs, events,
        origin.links, origin.kind, status, message, origin.resource, origin.scope_name,
        origin.scope_version, remote, origin.trace_state, origin.dropped_attributes,
        origin.dropped_events, origin.dropped_links,
    )  # fmt: skip
    residue = _residue(run, facts, record, own, added, skip, collisions, lineage)
    attrs[ls.RUN_FIELDS] = dumps(residue) if residue else "{}"
    return record


def _born_record(
    run: Run, facts: Facts, resource: Mapping[str, AttributeValue] | None
) -> SpanRecord:
    """`run_to_record` of a run born in LangSmith (no span to give back): the ids, times and
    status rules of `_otel_ids`, `_times` and `_status` for such a run, written inline (this is
    the path of every run the LangSmith API receives)."""
    run_id = run.id
    span = span_id_of(run_id)
    trace = run.trace_id.int or span  # `trace_id_of`
    parent = run.parent_run_id
    parent_span = span_id_of(parent) if parent is not None else None
    if parent_span == span:  # OTel has no self-parented spans; the lineage attributes tell
        parent_span = None
    start_us, end_us = facts.start_us, facts.end_us
    start_ns = start_us * 1000
    end_ns = start_ns if end_us is None or end_us < start_us else end_us * 1000
    own, added = _events(run, facts, start_ns, end_ns)
    error = run.error
    if error is not None:
        status, message = "ERROR", error.partition("\n")[0]
    else:
        status, message = ("OK" if run.end_time is not None else "UNSET"), ""
    skip: list[str] = []
    attrs, collisions = _attributes(run, facts, skip)
    if span != run_id.int:
        lineage = _own_identity(run, parent_span, attrs)
    else:
        lineage = _identity(run, trace, parent_span, False, attrs)
    if resource is None:
        project = run.unmapped.get("session_name")
        resource = _default_resource(project if isinstance(project, str) else None)
    # Positional, all fields in order (`new_span_record`): a keyword call costs ~3x more.
    record = new_span_record(
        trace, span, parent_span, run.name, start_ns, end_ns, attrs, (*own, *added), (),
        "INTERNAL", status, message, resource, SCOPE_NAME, "",
        False if parent_span is not None else None, "", 0, 0, 0,
    )  # fmt: skip
    residue = _residue(run, facts, record, own, added, skip, collisions, lineage)
    attrs[ls.RUN_FIELDS] = dumps(residue) if residue else "{}"
    return record


_RESOURCES: dict[str | None, dict[str, AttributeValue]] = {}


def _default_resource(project: str | None) -> dict[str, AttributeValue]:
    """One shared attributes dict per project, so spans of a project share one resource."""
    found = _RESOURCES.get(project)
    if found is None:
        if len(_RESOURCES) >= 256:
            _RESOURCES.clear()
        found = _RESOURCES[project] = {otel.SERVICE_NAME: project or DEFAULT_SERVICE}
    return found
