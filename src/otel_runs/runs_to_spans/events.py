"""Span events of a run: its own events, then (for runs born in LangSmith) the events other
backends look for.

- Each run event becomes a span event: `name`, `time` (ISO, read to the microsecond; the exact
  nanoseconds when the run came from a span and kept them) and `kwargs` as attributes (objects
  and arrays of objects as JSON text). `new_token` events stay `new_token` events.
- A first token (`first_token_time`, else the first `new_token` event) adds OpenInference's
  `First Token Stream Event` at that time.
- An error adds an `exception` event: `exception.type` (read off the error text when it starts
  with a class name, else "Exception", as LangSmith's exporter writes), `exception.message`
  (the whole error text), `exception.stacktrace` (the traceback part, else the whole text) and
  `exception.escaped` ("False", as the SDK's `record_exception` writes it).

The added events are appended after the run's own, and the span records how many there are,
so spans -> runs leaves them out of the run's events.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from otel_runs.conventions import openinference as oi
from otel_runs.conventions import otel
from otel_runs.dotted_order import datetime_to_us
from otel_runs.model.run import parse_datetime
from otel_runs.model.span_record import AttributeValue, EventRecord, new_event_record
from otel_runs.runs_to_spans.values import any_value, attribute_value

_ERROR_TYPE: Final = re.compile(r"^([A-Za-z_][\w.]*)(?:\(|: )")
_TRACEBACK: Final = "Traceback (most recent call last):"


def _kwargs(raw: object, from_span: bool) -> dict[str, AttributeValue]:
    if not isinstance(raw, dict):
        return {}
    if from_span:  # values that were attribute values already: give them back as they were
        return {str(k): any_value(v) for k, v in raw.items()}
    out: dict[str, AttributeValue] = {}
    for key, value in raw.items():
        if isinstance(value, list) and all(
            isinstance(item, (str, bool, int, float)) for item in value
        ):
            out[str(key)] = [attribute_value(item) for item in value]
        else:
            out[str(key)] = attribute_value(value)
    return out


_TIMES_US: dict[str, int] = {}
"""Event time texts read lately: a run's first `new_token` time is read twice (its first token,
then its event)."""
_MAX_TIMES: Final = 1024


def time_us(raw: object) -> int | None:
    """An event's time in Unix microseconds, or None when it is not a time."""
    if type(raw) is str:
        found = _TIMES_US.get(raw)
        if found is not None:
            return found
    try:
        us = datetime_to_us(parse_datetime(raw))
    except (TypeError, ValueError, OverflowError):
        return None
    if type(raw) is str:
        if len(_TIMES_US) >= _MAX_TIMES:
            _TIMES_US.clear()
        _TIMES_US[raw] = us
    return us


def _time_ns(raw: object, fallback_ns: int) -> int:
    us = time_us(raw)
    return us * 1000 if us is not None else fallback_ns


def run_events(
    events: Sequence[Any], start_ns: int, exact_times: Sequence[int] | None, from_span: bool
) -> list[EventRecord]:
    """The run's own events as span events, in the run's order.

    `exact_times` are the original nanosecond times (a run that came from a span kept them);
    an event without a readable time gets the span's start.
    """
    out = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        name = event.get("name")
        time_ns = _time_ns(event.get("time"), start_ns)
        if exact_times is not None and index < len(exact_times):
            time_ns = exact_times[index]
        kwargs = event.get("kwargs")
        out.append(
            new_event_record(
                name if isinstance(name, str) else "event",
                time_ns,
                _kwargs(kwargs, from_span) if kwargs is not None else {},
            )
        )
    return out


def first_token_event(first_token_us: int) -> EventRecord:
    """OpenInference's first-token event."""
    return new_event_record(oi.EVENT_FIRST_TOKEN, first_token_us * 1000, {})


def error_type(error: str) -> str:
    """The exception class an error text starts with (`ValueError('x')`, `Error: x`)."""
    found = _ERROR_TYPE.match(error)
    return found.group(1) if found else "Exception"


def exception_event(error: str, time_ns: int) -> EventRecord:
    """The `exception` event of a failed run."""
    at = error.find(_TRACEBACK)
    stack = error[at:] if at >= 0 else error
    return new_event_record(
        otel.EVENT_EXCEPTION,
        time_ns,
        {
            otel.EXCEPTION_TYPE: error_type(error),
            otel.EXCEPTION_MESSAGE: error,
            otel.EXCEPTION_STACKTRACE: stack,
            otel.EXCEPTION_ESCAPED: "False",
        },
    )
