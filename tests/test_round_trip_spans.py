"""spans -> runs -> spans gives back the span: ids, nanosecond times, kind, status, events,
links, resource, scope, name, trace state, dropped counts and attributes.

What "attributes" means here (docs/runs-to-spans.md, "What round-trips"):

- every attribute no convention consumed comes back exactly (key, type and value);
- the attributes a convention consumed are now the run's fields (inputs, model, tokens...), and
  come back as the same fields written in the conventions runs -> spans writes, not in their
  original spelling (keeping that too would store every input and output twice). The test
  checks it the only way that has meaning: converting the span that came back gives exactly
  the same run.

Named exceptions, each with its test below:

- `parent_is_remote`: OTLP spans decoded without the HAS_IS_REMOTE flag (None) come back as
  local (False) children; spans -> runs only keeps a remote parent (True).
- status descriptions on OK/UNSET spans: the OTel SDK keeps a description only on ERROR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings

from otel_runs.convert.from_sdk import record_from_span
from otel_runs.model.span_record import SpanRecord
from otel_runs.runs_to_spans import runs_to_records, runs_to_spans
from otel_runs.runs_to_spans.keys import is_written
from tests.fixtures.runs.roundtrip import back_to_runs, differences, span_forests
from tests.support.records import record
from tests.support.strategies import PROPERTIES


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _typed(value: Any) -> Any:
    """A value with its type, so 1, 1.0 and True differ."""
    if isinstance(value, (list, tuple)):
        return ["list", [_typed(v) for v in value]]
    if isinstance(value, Mapping):
        return ["map", {k: _typed(v) for k, v in value.items()}]
    return [type(value).__name__, value]


def _attrs(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _typed(v) for k, v in attributes.items()}


def structure(span: SpanRecord) -> dict[str, Any]:
    """Everything of a span but its attributes, values typed."""
    return {
        "ids": (span.trace_id, span.span_id, span.parent_span_id),
        "name": span.name,
        "times": (span.start_ns, span.end_ns),
        "kind": span.kind,
        "status": (span.status_code, span.status_message),
        "events": [(e.name, e.time_ns, _attrs(e.attributes)) for e in span.events],
        "links": [(link.trace_id, link.span_id, _attrs(link.attributes)) for link in span.links],
        "resource": _attrs(span.resource),
        "scope": (span.scope_name, span.scope_version),
        "trace_state": span.trace_state,
        "dropped": (span.dropped_attributes, span.dropped_events, span.dropped_links),
        "parent_is_remote": span.parent_is_remote,
    }


def _kept(run_attributes: Mapping[str, Any] | None, span: SpanRecord) -> dict[str, Any]:
    """The span's attributes spans -> runs kept as leftovers."""
    kept = run_attributes or {}
    return {k: _typed(span.attributes[k]) for k in kept}


def check_round_trip(spans: Sequence[SpanRecord], back: Sequence[SpanRecord]) -> None:
    assert [structure(s) for s in back] == [structure(s) for s in spans]
    runs = back_to_runs(spans)
    for span, again, run in zip(spans, back, runs, strict=True):
        leftovers = run.metadata["otel"].get("attributes")
        assert _kept(leftovers, again) == _kept(leftovers, span)
        # Nothing else of the original is kept verbatim: the rest are written attributes.
        assert all(is_written(k) for k in again.attributes if k not in (leftovers or {}))
    assert differences(back_to_runs(back), runs) == {}


@settings(PROPERTIES, max_examples=120)
@given(spans=span_forests())
def test_spans_come_back_from_their_runs(spans: list[SpanRecord]) -> None:
    runs = back_to_runs(spans)
    check_round_trip(spans, runs_to_records(runs))


@settings(PROPERTIES, max_examples=60)
@given(spans=span_forests())
def test_spans_come_back_as_sdk_spans(spans: list[SpanRecord]) -> None:
    runs = back_to_runs(spans)
    back = [record_from_span(span) for span in runs_to_spans(runs)]
    check_round_trip(spans, back)


def test_a_local_parent_of_unknown_remoteness_comes_back_local() -> None:
    (span,) = [record(2, 1)]
    assert span.parent_is_remote is None
    (again,) = runs_to_records(back_to_runs([span]))
    assert again.parent_is_remote is False


def test_status_descriptions_stay_only_on_errors() -> None:
    ok = record(2, status="OK", status_message="fine")
    (run,) = back_to_runs([ok])
    (again,) = runs_to_records([run])
    assert (again.status_code, again.status_message) == ("OK", "fine")
    (sdk_span,) = runs_to_spans([run])
    assert sdk_span.status.description is None


@pytest.mark.parametrize("attribute", ["http.method", "custom"])
def test_a_plain_span_keeps_its_attributes_and_gains_only_written_ones(attribute: str) -> None:
    span = record(5, attributes={attribute: "GET", "count": 3, "ratio": 0.5, "flags": [True]})
    (again,) = runs_to_records(back_to_runs([span]))
    kept = {k: _plain(v) for k, v in again.attributes.items() if not is_written(k)}
    assert kept == {attribute: "GET", "count": 3, "ratio": 0.5, "flags": [True]}
