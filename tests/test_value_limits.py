"""The attribute value size limit: long values are cut with a marker where spans come in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_runs import RunExporter
from otel_runs.conventions import genai as g
from otel_runs.model.span_record import EventRecord, LinkRecord
from otel_runs.receiver.intake import LogEvent
from otel_runs.receiver.service import ReceiverService
from otel_runs.value_limits import ENV_VALUE_LIMIT, cap_span_values, max_value_chars
from tests.support.memory_sink import MemorySink
from tests.support.records import TRACE, record

LIMIT = 2048
LONG = "y" * 10_000
MARKER = f"...[truncated {10_000 - LIMIT} of 10000 chars]"


def test_long_values_are_cut_everywhere_in_a_span() -> None:
    made = record(
        1,
        attributes={"a": LONG, "short": "ok", "n": 3, "list": ["z", LONG], "map": {"k": LONG},
                    "raw": b"b" * 5_000},
        events=(EventRecord("e", 1, {"text": LONG}),),
    )  # fmt: skip
    made = made.__class__(**{**{f: getattr(made, f) for f in made.__slots__},
                             "links": (LinkRecord(TRACE, 9, {"l": LONG}),)})  # fmt: skip
    cut = cap_span_values(made, LIMIT)
    attributes = cut.attributes
    assert attributes["a"] == "y" * LIMIT + MARKER
    assert attributes["short"] == "ok" and attributes["n"] == 3
    assert attributes["list"] == ["z", "y" * LIMIT + MARKER]
    assert attributes["map"] == {"k": "y" * LIMIT + MARKER}
    assert attributes["raw"] == b"b" * LIMIT
    assert cut.events[0].attributes["text"] == "y" * LIMIT + MARKER
    assert cut.links[0].attributes["l"] == "y" * LIMIT + MARKER
    assert made.attributes["a"] == LONG  # the record itself is untouched


@pytest.mark.parametrize("array", [("stop", LONG), ["stop", 1, LONG], (1.5, True, (LONG,))])
def test_a_long_string_inside_an_array_alone_is_cut(array: object) -> None:
    cut = cap_span_values(record(1, attributes={"n": 1, "reasons": array}), LIMIT)
    assert "y" * LIMIT + MARKER in json.dumps(cut.attributes["reasons"])
    assert LONG not in json.dumps(cut.attributes["reasons"])


def test_a_span_with_nothing_long_comes_back_as_is() -> None:
    made = record(1, attributes={"a": "x" * LIMIT, "list": ["y"], "m": {"k": "v"}})
    assert cap_span_values(made, LIMIT) is made


def test_the_limit_comes_from_the_otel_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VALUE_LIMIT, raising=False)
    assert max_value_chars() == 4 * 1024 * 1024
    monkeypatch.setenv(ENV_VALUE_LIMIT, "4096")
    assert max_value_chars() == 4096
    assert max_value_chars(5000) == 5000


def _chat(span_id: int) -> dict[str, object]:
    message = json.dumps([{"role": "user", "parts": [{"type": "text", "content": LONG}]}])
    return {g.OPERATION_NAME: "chat", g.INPUT_MESSAGES: message}


def test_the_receiver_cuts_before_the_spool(tmp_path: Path) -> None:
    sink = MemorySink()
    service = ReceiverService(
        sink, spool_path=tmp_path / "spool.sqlite", log_settle_s=0, max_value_chars=LIMIT
    )
    service.start()
    service.accept([record(1, attributes=_chat(1)), record(2, attributes={"blob": LONG})])
    service.accept_log_events([LogEvent(TRACE, 2, EventRecord("x", 5, {"text": LONG}))])
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("spool.sqlite*"))
    assert service.stop(10)
    assert LONG.encode() not in on_disk
    assert len(sink.runs) == 2
    for run in sink.runs.values():
        text = json.dumps(run.to_dict())
        assert LONG not in text and "[truncated" in text


def test_the_exporter_cuts_before_converting() -> None:
    sink = MemorySink()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(RunExporter(sink, max_value_chars=LIMIT)))
    provider.get_tracer("app").start_span("chat", attributes={"blob": LONG}).end()
    provider.shutdown()
    [run] = sink.runs.values()
    text = json.dumps(run.to_dict())
    assert LONG not in text and "y" * LIMIT + MARKER in text
