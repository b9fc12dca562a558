"""Hiding content, as pure functions over plain data, at two levels:

- spans: `hide_span_content(record, inputs=..., outputs=...)` on a `SpanRecord`, before it is
  converted (the exporter) or written to the spool (the receiver). A value under a content key
  of any convention (`privacy/content.py`) becomes `HIDDEN`, and so does every attribute of a
  whole-content event (`gen_ai.user.message`, `gen_ai.choice`, ...). A record with nothing to
  hide comes back unchanged (the same object).
- runs: `hide_run_content(run, inputs=..., outputs=...)` on a plain run dict (the
  `Run.to_dict()` shape), in place: `inputs` / `outputs` as the `langsmith` SDK hides them
  (`{}`, or what a hide function keeps), content events' `kwargs` dropped, and content keys
  hidden in `extra.metadata` (the leftovers under `otel.attributes`, and the converter's
  copies of prompt templates and pydantic-ai's request parameters). `clear_run_content` is the
  fail-closed version: both sides, no hook.

A run-format JSON attribute (`otel_runs.run_fields`, written by runs -> spans) is hidden field by
field as a run is. What no convention names as content (a span name, an exception message, an
app's own attribute) is not inspected: a `redact` hook (`Privacy`) sees the whole run for that.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Final

from otel_runs.conventions import langsmith as ls
from otel_runs.model.span_record import EventRecord, SpanRecord
from otel_runs.privacy.content import (
    HIDDEN,
    PARAMETER_CONTENT,
    PARAMETER_KEYS,
    RUN_KEYS,
    Scope,
    scope,
)

Hide = bool | Callable[[dict[str, Any]], dict[str, Any]]
"""True hides all of a side; a function gets the values and returns what to keep."""

PROMPT_TEMPLATE_METADATA: Final = ("template", "variables")
"""Where the converter keeps an OpenInference prompt template and its variables in
`extra.metadata` (dialects/openinference.py, `prompt_template`): prompt content."""
_REDACTION_FAILED: Final = "ls_redaction_failed"

# --- spans ----------------------------------------------------------------------------------


def hide_span_content(record: SpanRecord, *, inputs: bool, outputs: bool) -> SpanRecord:
    """`record` with its prompt (`inputs`) and/or completion (`outputs`) content hidden."""
    if not (inputs or outputs):
        return record
    where = scope(inputs, outputs)
    attributes = hide_attributes(record.attributes, where)
    events = record.events
    if events:
        hidden = tuple(hide_event_content(event, where) for event in events)
        if any(new is not old for new, old in zip(hidden, events, strict=True)):
            events = hidden
    if attributes is record.attributes and events is record.events:
        return record
    return dataclasses.replace(record, attributes=attributes, events=events)


def hide_event_content(event: EventRecord, where: Scope) -> EventRecord:
    """An event with its content hidden: every value of a whole-content event, else the values
    under content keys. The same object when there is nothing to hide."""
    if not event.attributes:
        return event
    if event.name in where.events:
        return dataclasses.replace(event, attributes=dict.fromkeys(event.attributes, HIDDEN))
    attributes = hide_attributes(event.attributes, where)
    if attributes is event.attributes:
        return event
    return dataclasses.replace(event, attributes=attributes)


def hide_attributes(attributes: Mapping[str, Any], where: Scope) -> Mapping[str, Any]:
    """The attributes with content values hidden; the same mapping when there is none."""
    changed: dict[str, Any] | None = None
    for key, value in attributes.items():
        if where.is_content(key):
            new: Any = HIDDEN
        elif key in RUN_KEYS:
            new = _hide_run_json(value, where)
        elif key in PARAMETER_KEYS and where.inputs:
            new = _hide_parameters_json(value)
        else:
            continue
        if new == value:
            continue
        if changed is None:
            changed = dict(attributes)
        changed[key] = new
    return attributes if changed is None else changed


def _json_object(value: object) -> dict[str, Any] | None:
    """The JSON object `value` holds as text; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        decoded: Any = json.loads(value)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _hide_run_json(value: object, where: Scope) -> object:
    """A run-format JSON object with its content hidden as in a run; unreadable: all hidden."""
    decoded = _json_object(value)
    if decoded is None:
        return HIDDEN
    hide_run_content(decoded, inputs=where.inputs, outputs=where.outputs, only_present=True)
    if decoded == _json_object(value):
        return value  # nothing in it was content: keep the exact text
    return json.dumps(decoded, separators=(",", ":"))


def _hide_parameters_json(value: object) -> object:
    """Request parameters (a JSON object) with the prompt-carrying ones hidden; unreadable: all
    hidden."""
    decoded = _json_object(value)
    if decoded is None:
        return HIDDEN
    if PARAMETER_CONTENT.isdisjoint(decoded):
        return value  # nothing in it was content: keep the exact text
    return json.dumps(hide_parameters(decoded), separators=(",", ":"))


def hide_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Request parameters with the prompt-carrying ones (`PARAMETER_CONTENT`) hidden."""
    return {k: HIDDEN if k in PARAMETER_CONTENT else v for k, v in parameters.items()}


# --- runs -----------------------------------------------------------------------------------


def hide_run_content(
    run: MutableMapping[str, Any], *, inputs: Hide, outputs: Hide, only_present: bool = False
) -> MutableMapping[str, Any]:
    """Hide a run dict's prompt and/or completion content, in place (and return it).

    `inputs` / `outputs` follow the `langsmith` SDK: True replaces the field with `{}`, a
    function gets a copy and returns what to keep (it may raise: the caller fails closed).
    Either way the other copies of that side's content (content events, metadata) are hidden.
    `only_present` leaves absent `inputs` / `outputs` absent (a partial run, such as the
    `otel_runs.run_fields` residue).
    """
    if inputs and (not only_present or "inputs" in run):
        run["inputs"] = hidden_values(inputs, run.get("inputs") or {})
    if outputs and (not only_present or "outputs" in run):
        run["outputs"] = hidden_values(outputs, run.get("outputs") or {})
    if inputs or outputs:
        _hide_copies(run, scope(bool(inputs), bool(outputs)))
    return run


def clear_run_content(run: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Fail closed: both sides hidden with no hook to call, and `ls_redaction_failed` set in
    `extra.metadata`. Never raises on a run dict of any shape."""
    run["inputs"] = {}
    if run.get("outputs") is not None:
        run["outputs"] = {}
    events = run.get("events")
    for event in events if isinstance(events, list) else ():
        if isinstance(event, dict):
            event.pop("kwargs", None)
    _hide_copies(run, scope(True, True))
    extra = run.get("extra")
    if not isinstance(extra, dict):
        extra = run["extra"] = {}
    metadata = extra.get("metadata")
    if not isinstance(metadata, dict):
        metadata = extra["metadata"] = {}
    metadata[_REDACTION_FAILED] = True
    return run


def hidden_values(hide: Hide, values: dict[str, Any]) -> dict[str, Any]:
    """What a hide setting keeps of a side's values."""
    if hide is True:
        return {}
    if not callable(hide):
        return values
    kept = hide(dict(values))
    if not isinstance(kept, Mapping):
        raise TypeError(f"a hide function must return a dict, got {type(kept).__name__}")
    return dict(kept)


def _hide_copies(run: MutableMapping[str, Any], where: Scope) -> None:
    """Content events and the content copies in `extra.metadata`."""
    events = run.get("events")
    for event in events if isinstance(events, list) else ():
        if not isinstance(event, dict):
            continue
        kwargs = event.get("kwargs")
        if event.get("name") in where.events:
            event.pop("kwargs", None)
        elif isinstance(kwargs, dict):
            event["kwargs"] = dict(hide_attributes(kwargs, where))
    extra = run.get("extra")
    if not isinstance(extra, dict):
        return
    params = extra.get(ls.META_INVOCATION_PARAMS)
    if where.inputs and isinstance(params, dict) and not PARAMETER_CONTENT.isdisjoint(params):
        extra[ls.META_INVOCATION_PARAMS] = hide_parameters(params)
    metadata = extra.get("metadata")
    if not isinstance(metadata, dict):
        return
    for key in list(metadata):
        if where.is_content(key) or (where.inputs and key in PROMPT_TEMPLATE_METADATA):
            metadata[key] = HIDDEN
    space = metadata.get(ls.META_OTEL)
    if not isinstance(space, dict):
        return
    leftovers = space.get("attributes")
    if isinstance(leftovers, dict):
        space["attributes"] = dict(hide_attributes(leftovers, where))
    links = space.get("links")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and isinstance(link.get("attributes"), dict):
            link["attributes"] = dict(hide_attributes(link["attributes"], where))
