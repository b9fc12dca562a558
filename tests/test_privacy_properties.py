"""Hidden means hidden: spans carrying content under every content key of every convention (the
lists `otel_runs.privacy.content` gathers from `conventions/`, so a new key is covered without a
change here), alone or several conventions on one span, in attributes, in events and in a
runs -> spans residue. With hiding on, the marker text must appear nowhere in the serialized
run, nor in the receiver's spool, nor in the run store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_runs import Run
from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.conventions import openllmetry as ol
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.model.span_record import AttributeValue, EventRecord, SpanRecord
from otel_runs.privacy import Privacy, hide_run_content
from otel_runs.privacy.content import INPUT_EVENTS, INPUT_KEYS, OUTPUT_EVENTS, OUTPUT_KEYS, RUN_KEYS
from otel_runs.receiver.intake import LogEvent
from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks.sqlite import SqliteSink, read_runs
from tests.support.records import T0, TRACE, record

MARKER = "qz7Kx-private-text"
"""Stands for a prompt or a completion; must never come out."""

SIDES = {
    "inputs": (sorted(INPUT_KEYS), sorted(INPUT_EVENTS)),
    "outputs": (sorted(OUTPUT_KEYS), sorted(OUTPUT_EVENTS)),
    "both": (sorted(INPUT_KEYS | OUTPUT_KEYS), sorted(INPUT_EVENTS | OUTPUT_EVENTS)),
}
ONLY = {
    "inputs": (sorted(INPUT_KEYS - OUTPUT_KEYS), sorted(INPUT_EVENTS - OUTPUT_EVENTS)),
    "outputs": (sorted(OUTPUT_KEYS - INPUT_KEYS), sorted(OUTPUT_EVENTS - INPUT_EVENTS)),
    "both": SIDES["both"],
}
"""For the run-level pass alone: a key that is content of both sides (`pydantic_ai.all_messages`)
fills the run's inputs and its outputs, and hiding one side rightly keeps the other."""

# How content is written under a key: as the key itself or a flattened child, and as text, as
# JSON messages of the GenAI parts schema, as OpenAI-style messages, as a JSON object or a list.
SUFFIXES = ("", ".0.content", ".0.message.content", ".0.document.content", ".1.prompt.text")
VALUES: tuple[object, ...] = (
    MARKER,
    json.dumps([{"role": "user", "parts": [{"type": "text", "content": MARKER}]}]),
    json.dumps(
        [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": MARKER}],
                "finish_reason": "stop",
            }
        ]
    ),
    json.dumps([{"role": "user", "content": MARKER}]),
    json.dumps({"inputs": {"question": MARKER}, "args": [MARKER], "kwargs": {}}),
    json.dumps({"instruction_parts": [{"content": MARKER, "part_kind": "instruction"}]}),
    [MARKER, "second"],
)
# Attributes that steer the dialects (run types, which convention wins) without content.
STEERING: tuple[dict[str, object], ...] = (
    {},
    {g.OPERATION_NAME: "chat", g.REQUEST_MODEL: "gpt-4o-mini", g.USAGE_INPUT_TOKENS: 3},
    {g.OPERATION_NAME: "execute_tool", g.TOOL_NAME: "lookup"},
    {g.OPERATION_NAME: "invoke_agent", g.AGENT_NAME: "agent"},
    {oi.SPAN_KIND: "LLM", oi.LLM_MODEL_NAME: "gpt-4o"},
    {oi.SPAN_KIND: "RETRIEVER"},
    {oi.SPAN_KIND: "CHAIN"},
    {ol.SPAN_KIND: "task", ol.ENTITY_NAME: "step"},
    {ol.REQUEST_TYPE: "chat"},
    {ls.SPAN_KIND: "llm"},
    {pa.LOGFIRE_MSG_TEMPLATE: "agent run"},
)


@st.composite
def content_attributes(draw: st.DrawFn, keys: list[str]) -> dict[str, object]:
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=6, unique=True))
    attributes: dict[str, object] = dict(draw(st.sampled_from(STEERING)))
    for key in chosen:
        suffix = draw(st.sampled_from(SUFFIXES))
        attributes[key + suffix] = draw(st.sampled_from(VALUES))
        if suffix.endswith(".content"):  # a role beside a flattened content, as the dialects read
            attributes[key + suffix.rsplit(".", 1)[0] + ".role"] = "user"
    return attributes


@st.composite
def content_events(draw: st.DrawFn, keys: list[str], names: list[str]) -> tuple[EventRecord, ...]:
    events = []
    for index, name in enumerate(draw(st.lists(st.sampled_from(names), max_size=3))):
        attributes: dict[str, AttributeValue] = {
            "content": MARKER,
            "message": json.dumps({"content": MARKER}),
            "index": 0,
        }
        events.append(EventRecord(name, T0 + 10 + index, attributes))
    if draw(st.booleans()):  # content keys inside any event (the inference details event)
        key = draw(st.sampled_from(keys))
        events.append(EventRecord(g.EVENT_INFERENCE_DETAILS, T0 + 20, {key: MARKER}))
    return tuple(events)


def residue(key: str, event: str) -> str:
    """A runs -> spans residue carrying content where a run keeps it."""
    return json.dumps({
        "events": [{"name": event, "time": "2025-11-22T08:53:20.000010",
                    "kwargs": {"content": MARKER}}],
        "extra": {"metadata": {key: MARKER, "otel": {"attributes": {key: MARKER}}}},
    })  # fmt: skip


@st.composite
def traces(draw: st.DrawFn, side: str, *, shared: bool = True) -> list[SpanRecord]:
    keys, names = SIDES[side] if shared else ONLY[side]
    root_attributes = draw(content_attributes(keys))
    if draw(st.booleans()):
        key, event = draw(st.sampled_from(keys)), draw(st.sampled_from(names))
        root_attributes[next(iter(RUN_KEYS))] = residue(key, event)
    spans = [record(1, attributes=root_attributes, events=draw(content_events(keys, names)))]
    if draw(st.booleans()):
        spans.append(record(2, 1, start=100, attributes=draw(content_attributes(keys))))
    return spans


def privacy_for(side: str, hide: bool | Callable[[dict[str, Any]], dict[str, Any]]) -> Privacy:
    return Privacy(
        hide_inputs=hide if side in ("inputs", "both") else False,
        hide_outputs=hide if side in ("outputs", "both") else False,
    )


def text_of(run: Run) -> str:
    return json.dumps(run.to_dict(), default=str) + json.dumps(run.unmapped, default=str)


def keep_nothing(values: dict[str, Any]) -> dict[str, Any]:
    return {}


def keep_keys(values: dict[str, Any]) -> dict[str, Any]:
    return dict.fromkeys(values, "kept")


@pytest.mark.parametrize("side", SIDES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hidden_content_is_in_no_field_of_a_run(side: str, data: st.DataObject) -> None:
    spans = data.draw(traces(side))
    assert MARKER in json.dumps([dict(s.attributes) for s in spans])  # there is something to hide
    privacy = privacy_for(side, True)
    # As the exporter does: spans hidden before conversion, then the run-level pass.
    runs = convert_records([privacy.hide_record(span) for span in spans]).runs
    for run in runs:
        privacy.apply(run)
        assert MARKER not in text_of(run)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("hide", [keep_nothing, keep_keys])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hide_functions_leave_no_other_copy(
    side: str, hide: Callable[[dict[str, Any]], dict[str, Any]], data: st.DataObject
) -> None:
    """A hide function needs the values, so the spans are converted with their content; the
    run-level pass alone must then find every other copy."""
    privacy = privacy_for(side, hide)
    assert not privacy.hides_spans
    for run in convert_records(data.draw(traces(side, shared=False))).runs:
        privacy.apply(run)
        assert MARKER not in text_of(run)


@pytest.mark.parametrize("side", SIDES)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_run_dict_pass_alone_hides_everything(side: str, data: st.DataObject) -> None:
    """For runs that arrive with their content (an older spool, a run from elsewhere): the pure
    function over a plain run dict."""
    inputs, outputs = side in ("inputs", "both"), side in ("outputs", "both")
    for run in convert_records(data.draw(traces(side, shared=False))).runs:
        as_dict = run.to_dict()
        assert hide_run_content(as_dict, inputs=inputs, outputs=outputs) is as_dict
        assert MARKER not in json.dumps(as_dict, default=str)


@pytest.mark.parametrize("side", SIDES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_failing_redaction_hook_leaves_no_content(side: str, data: st.DataObject) -> None:
    def broken(run: Run) -> None:
        raise RuntimeError("hook bug")

    privacy = Privacy(redact=broken)
    for run in convert_records(data.draw(traces(side))).runs:
        privacy.apply(run)
        assert MARKER not in text_of(run)
        assert run.metadata["ls_redaction_failed"] is True


def every_key_span(span_id: int) -> SpanRecord:
    """One span carrying content under every content key at once, and every content event."""
    attributes: dict[str, object] = {key: MARKER for key in INPUT_KEYS | OUTPUT_KEYS}
    attributes[next(iter(RUN_KEYS))] = residue(pa.MODEL_REQUEST_PARAMETERS, g.EVENT_CHOICE)
    attributes[g.OPERATION_NAME] = "chat"
    events = tuple(
        EventRecord(name, T0 + 10, {"content": MARKER}) for name in INPUT_EVENTS | OUTPUT_EVENTS
    )
    return record(span_id, attributes=attributes, events=events)


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    yield tmp_path / "spool.sqlite", tmp_path / "runs.sqlite"


def disk_bytes(*paths: Path) -> bytes:
    return b"".join(
        found.read_bytes() for path in paths for found in path.parent.glob(path.name + "*")
    )


def test_hidden_content_never_reaches_the_spool_or_the_store(files: tuple[Path, Path]) -> None:
    spool, store = files
    service = ReceiverService(
        SqliteSink(store), spool_path=spool, log_settle_s=0,
        privacy=Privacy(hide_inputs=True, hide_outputs=True),
    )  # fmt: skip
    service.start()
    service.accept([every_key_span(1)], project="p")
    service.accept_log_events(
        [LogEvent(TRACE, 1, EventRecord(name, T0 + 30, {"content": MARKER}))
         for name in INPUT_EVENTS | OUTPUT_EVENTS]
        + [LogEvent(TRACE, 1, EventRecord("x", T0 + 40, {g.INPUT_MESSAGES: MARKER}))]
    )  # fmt: skip
    on_disk = disk_bytes(spool)  # before anything was forwarded and deleted
    assert service.stop(10)
    [run] = read_runs(store)
    assert MARKER.encode() not in on_disk + disk_bytes(store)
    assert MARKER not in text_of(run)
    assert run.run_type == "llm"  # the span kept its shape


def test_without_hiding_the_marker_does_reach_the_disk(files: tuple[Path, Path]) -> None:
    """The check above can fail: the same span, hiding off."""
    spool, store = files
    service = ReceiverService(SqliteSink(store), spool_path=spool, log_settle_s=0,
                              privacy=Privacy())  # fmt: skip
    service.start()
    service.accept([every_key_span(1)])
    on_disk = disk_bytes(spool)
    assert service.stop(10)
    assert MARKER.encode() in on_disk and MARKER.encode() in disk_bytes(store)
