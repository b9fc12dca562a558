"""Evaluations become LangSmith feedback, inline content becomes attachments (issue 15).

Spans come from a real instrumentation where one emits the shape (pydantic-ai's `blob` parts),
else from the OTel SDK exactly as the conventions' text specifies it (`gen_ai.evaluation.result`
on the evaluated span, or as a log record parented to it; `uri` parts with `data:` URLs;
LangSmith's `langsmith.attachments`). The LangSmith sink is checked against the validating fake;
the store against a real SQLite file; runs -> spans by converting back.
"""

from __future__ import annotations

import base64
import copy
import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from pydantic_ai import Agent, BinaryContent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.test import TestModel

from otel_runs import Run, runs_to_spans, spans_to_runs
from otel_runs.convert import attachments as attach
from otel_runs.privacy import Privacy
from otel_runs.render import render_tree
from otel_runs.runs_to_spans import runs_to_records
from otel_runs.sinks.langsmith import LangSmithSink
from otel_runs.sinks.sqlite import SqliteSink, read_feedback, read_runs
from tests.fixtures.runs.roundtrip import back_to_runs
from tests.support.capture import capture_spans
from tests.support.fake_langsmith import FakeLangSmith, Fault, running_fake_langsmith
from tests.support.frameworks import wait_for_runs
from tests.support.receiver_proc import serving

# Names as the conventions' texts spell them (not imported from otel_runs: the test states them).
EVALUATION = "gen_ai.evaluation.result"
NAME, SCORE, LABEL, EXPLANATION = (
    "gen_ai.evaluation.name",
    "gen_ai.evaluation.score.value",
    "gen_ai.evaluation.score.label",
    "gen_ai.evaluation.explanation",
)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
WAV = b"RIFF" + bytes(200)
PROJECT = "issue-15"


def messages_with(*parts: dict[str, Any]) -> str:
    return json.dumps([{"role": "user", "parts": [{"type": "text", "content": "what?"}, *parts]}])


def chat_spans(
    *, events: Sequence[tuple[str, dict[str, Any]]] = (), **attributes: Any
) -> list[ReadableSpan]:
    """One chat span made with the OTel SDK: the attributes and span events given."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("tests").start_as_current_span("chat gpt-4o") as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.request.model", "gpt-4o")
        for key, value in attributes.items():
            span.set_attribute(key.replace("__", "."), value)
        for name, event_attributes in events:
            span.add_event(name, event_attributes)
    return list(exporter.get_finished_spans())


def evaluated_run() -> Run:
    spans = chat_spans(
        events=[
            (
                EVALUATION,
                {
                    NAME: "Relevance",
                    SCORE: 4.0,
                    LABEL: "relevant",
                    EXPLANATION: "answers the question",
                    "gen_ai.response.id": "chatcmpl-1",
                },
            ),
            (EVALUATION, {NAME: "Toxicity", SCORE: 0.0, "error.type": "timeout"}),
        ],
    )
    [run] = spans_to_runs(spans)
    return run


def feedback_of(run: Run) -> list[dict[str, Any]]:
    from otel_runs.convert.feedback import run_feedback

    return run_feedback(run)


# --- evaluations -> feedback ---------------------------------------------------------------------


def test_evaluation_events_become_feedback_on_the_run_they_evaluate() -> None:
    run = evaluated_run()
    relevance, toxicity = feedback_of(run)
    assert relevance["run_id"] == str(run.id) and relevance["trace_id"] == str(run.trace_id)
    assert (relevance["key"], relevance["score"], relevance["value"], relevance["comment"]) == (
        "Relevance",
        4.0,
        "relevant",
        "answers the question",
    )
    assert relevance["extra"] == {"gen_ai.response.id": "chatcmpl-1"}
    assert toxicity["key"] == "Toxicity" and toxicity["error"] is True
    assert toxicity["extra"] == {"error_type": "timeout"}
    # The events stay the run's events.
    assert [e["name"] for e in run.events] == [EVALUATION, EVALUATION]


def test_feedback_ids_are_fixed_by_the_event() -> None:
    spans = chat_spans(events=[(EVALUATION, {NAME: "Relevance", SCORE: 1.0})])
    first = feedback_of(spans_to_runs(spans)[0])
    again = feedback_of(spans_to_runs(spans)[0])  # the same span converted again
    assert [f["id"] for f in first] == [f["id"] for f in again]
    other = feedback_of(evaluated_run())
    assert first[0]["id"] not in {f["id"] for f in other}


def test_an_evaluation_without_a_name_gives_no_feedback_and_stays_an_event() -> None:
    [run] = spans_to_runs(chat_spans(events=[(EVALUATION, {SCORE: 3.0})]))
    assert feedback_of(run) == []
    assert run.events[0]["kwargs"] == {SCORE: 3.0}


def test_evaluation_log_record_parented_to_its_span_becomes_feedback(tmp_path: Path) -> None:
    """The convention's event is a log record parented to the evaluated span: sent with the
    SDK's own OTLP exporters to a real `otel-runs serve`, it reaches the store as feedback."""
    store = tmp_path / "runs.sqlite"
    with serving(store, grpc=False, env={"OTEL_RUNS_LOG_SETTLE_SECONDS": "0.5"}) as served:
        provider = TracerProvider()
        provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{served.http_url}/v1/traces"))
        )
        logs = LoggerProvider()
        logs.add_log_record_processor(
            SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{served.http_url}/v1/logs"))
        )
        with provider.get_tracer("tests").start_as_current_span("chat gpt-4o") as span:
            span.set_attribute("gen_ai.operation.name", "chat")
            context = span.get_span_context()
            parent = trace.set_span_in_context(
                NonRecordingSpan(
                    SpanContext(context.trace_id, context.span_id, False, TraceFlags(1))
                )
            )
            logs.get_logger("evaluator").emit(
                LogRecord(
                    context=parent,
                    event_name=EVALUATION,
                    attributes={NAME: "Groundedness", SCORE: 0.5, LABEL: "partly"},
                )
            )
        logs.shutdown()
        provider.shutdown()
        [run] = wait_for_runs(store, 1)
        found = wait_for(lambda: read_feedback(store) or None)
    [item] = found[str(run.id)]
    assert (item["key"], item["score"], item["value"]) == ("Groundedness", 0.5, "partly")


def wait_for(probe: Any, timeout: float = 30.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


# --- inline content -> attachments ---------------------------------------------------------------


def test_pydantic_ai_blob_parts_become_attachments() -> None:
    """pydantic-ai (its default format, version 5) sends an image as a GenAI `blob` part."""
    with capture_spans() as capture:
        settings = InstrumentationSettings(tracer_provider=capture.provider, include_content=True)
        agent = Agent(
            TestModel(custom_output_text="a picture"),
            capabilities=[Instrumentation(settings=settings)],
        )
        agent.run_sync(
            ["What is in this picture?", BinaryContent(data=PNG, media_type="image/png")]
        )
        runs = capture.runs()
    [chat] = [run for run in runs if run.run_type == "llm"]
    attached = chat.unmapped["attachments"]
    [(name, item)] = attached.items()
    assert base64.b64decode(item["content"]) == PNG and item["mime_type"] == "image/png"
    text = json.dumps(chat.inputs)
    assert item["content"] not in text  # no base64 left in the inputs
    parts = [p for m in chat.inputs["messages"] for p in m["content"] if isinstance(p, dict)]
    assert {
        "type": "blob",
        "modality": "image",
        "mime_type": "image/png",
        "attachment": name,
    } in parts


def test_data_urls_and_langsmith_attachments_become_attachments() -> None:
    data_url = "data:audio/wav;base64," + base64.b64encode(WAV).decode()
    listed = [
        {
            "name": "report.pdf",
            "content": base64.b64encode(b"%PDF-1.7").decode(),
            "mime_type": "application/pdf",
        }
    ]
    [run] = spans_to_runs(
        chat_spans(
            gen_ai__input__messages=messages_with(
                {"type": "uri", "modality": "audio", "uri": data_url},
                {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"},
            ),
            langsmith__attachments=json.dumps(listed),
        )
    )
    attached = run.unmapped["attachments"]
    assert attached["report_pdf"] == {
        "mime_type": "application/pdf",
        "content": listed[0]["content"],
    }
    [audio] = [n for n in attached if n.startswith("input_audio_")]
    assert base64.b64decode(attached[audio]["content"]) == WAV
    assert attached[audio]["mime_type"] == "audio/wav"
    parts = run.inputs["messages"][0]["content"]
    assert {
        "type": "uri",
        "modality": "audio",
        "mime_type": "audio/wav",
        "attachment": audio,
    } in parts
    # A URI that points elsewhere carries no bytes: it stays as it is.
    assert {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"} in parts
    assert "langsmith.attachments" not in json.dumps(run.extra)


def test_caps_leave_a_marker_never_a_silent_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attach, "MAX_ATTACHMENT_BYTES", 700)
    monkeypatch.setattr(attach, "MAX_RUN_ATTACHMENT_BYTES", 900)
    blob = {
        "type": "blob",
        "modality": "image",
        "mime_type": "image/png",
        "content": base64.b64encode(PNG).decode(),
    }  # 776 bytes: over 700
    small = {
        "type": "blob",
        "modality": "audio",
        "mime_type": "audio/wav",
        "content": base64.b64encode(WAV[:150]).decode(),
    }
    small2 = {**small, "content": base64.b64encode(WAV[:160]).decode()}
    [run] = spans_to_runs(
        chat_spans(
            gen_ai__input__messages=json.dumps(
                [{"role": "user", "parts": [blob, small, small2, small, small2]}]
            )
        )
    )
    parts = run.inputs["messages"][0]["content"]
    assert parts[0]["truncated"]["bytes"] == len(PNG)
    assert "per attachment" in parts[0]["truncated"]["limit"]
    attached = run.unmapped.get("attachments", {})
    assert parts[0]["attachment"] not in attached
    assert parts[1]["attachment"] in attached and parts[2]["attachment"] in attached
    noted = run.metadata["ls_attachments_truncated"]
    assert [n["name"] for n in noted] == [parts[0]["attachment"]]
    assert noted[0]["sha256"] and noted[0]["mime_type"] == "image/png"
    # the per-run cap: 150 + 160 fit in 900; a third distinct one would not
    monkeypatch.setattr(attach, "MAX_RUN_ATTACHMENT_BYTES", 200)
    [run] = spans_to_runs(
        chat_spans(gen_ai__input__messages=json.dumps([{"role": "user", "parts": [small, small2]}]))
    )
    second = run.inputs["messages"][0]["content"][1]
    assert "per run" in second["truncated"]["limit"]


# --- the LangSmith sink ------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeLangSmith]:
    with running_fake_langsmith() as server:
        yield server


def sink_for(fake: FakeLangSmith) -> LangSmithSink:
    return LangSmithSink(api_key=fake.api_key, endpoint=fake.url, project=PROJECT, backoff=0.01)


def multimodal_evaluated_run() -> Run:
    [run] = spans_to_runs(
        chat_spans(
            gen_ai__input__messages=messages_with(
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/png",
                    "content": base64.b64encode(PNG).decode(),
                }
            ),
            events=[(EVALUATION, {NAME: "Relevance", SCORE: 1.0, EXPLANATION: "fine"})],
        )
    )
    return run


def test_sink_sends_attachment_parts_and_feedback_after_its_run(fake: FakeLangSmith) -> None:
    run = multimodal_evaluated_run()
    with sink_for(fake) as sink:
        result = sink.write([run])
        assert result.stored == 1 and sink.feedback_counts["sent"] == 1
    run_id = str(run.id)
    [(name, (media, data))] = fake.attachments[run_id].items()
    assert name.startswith("input_image_") and media == "image/png" and data == PNG
    [feedback] = fake.feedback
    assert (feedback["run_id"], feedback["key"], feedback["score"], feedback["comment"]) == (
        run_id,
        "Relevance",
        1.0,
        "fine",
    )
    paths = [r.path for r in fake.requests if r.path != "/info"]
    assert paths == ["/runs/multipart", "/feedback"]  # the feedback after its run was taken
    posted = fake.runs[run_id]
    assert base64.b64encode(PNG).decode() not in json.dumps(posted["inputs"])


def test_feedback_sent_again_is_a_duplicate_not_a_copy(fake: FakeLangSmith) -> None:
    run = multimodal_evaluated_run()
    with sink_for(fake) as sink:
        sink.write([run])
        again = sink.write([run])
        assert again.duplicates == 1
        assert sink.feedback_counts == {"sent": 1, "duplicates": 1, "failed": 0}
    assert len(fake.feedback) == 1


def test_feedback_is_retried_like_runs(fake: FakeLangSmith) -> None:
    fake.inject(Fault(503, path="/feedback"), times=2)
    with sink_for(fake) as sink:
        sink.write([multimodal_evaluated_run()])
        assert sink.feedback_counts["sent"] == 1
    assert [r.status for r in fake.requests if r.path == "/feedback"] == [503, 503, 202]


def test_no_feedback_for_a_run_langsmith_refused(fake: FakeLangSmith) -> None:
    fake.inject(Fault(403, message="forbidden"), times=1)
    with sink_for(fake) as sink:
        result = sink.write([multimodal_evaluated_run()])
        assert result.failed == 1 and sink.feedback_counts["sent"] == 0
    assert not [r for r in fake.requests if r.path == "/feedback"]


# --- the local store -----------------------------------------------------------------------------------


def test_store_keeps_attachments_as_bytes_and_feedback_and_tree_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    run = multimodal_evaluated_run()
    with closing(SqliteSink(path)) as sink:
        assert sink.write([run]).stored == 1
    with closing(sqlite3.connect(path)) as conn:
        [(name, mime, data)] = conn.execute(
            "SELECT name, mime_type, data FROM attachments"
        ).fetchall()
        [(stored,)] = conn.execute("SELECT data FROM runs").fetchall()
    assert (mime, data) == ("image/png", PNG)
    assert base64.b64encode(PNG).decode() not in stored  # bytes, not base64 in the run JSON
    [back] = read_runs(path)
    assert back.unmapped["attachments"] == run.unmapped["attachments"]
    feedback = read_feedback(path)
    assert feedback is not None
    assert [f["key"] for f in feedback[str(run.id)]] == ["Relevance"]
    drawn = render_tree([back], feedback)
    assert f"1 attachment: {name}" in drawn and 'feedback Relevance = 1: "fine"' in drawn


def test_a_run_written_again_replaces_its_attachments_and_feedback(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    run = multimodal_evaluated_run()
    other = evaluated_run()
    other.id = uuid.UUID(int=run.id.int + 1)  # its own run: its feedback stays
    with closing(SqliteSink(path)) as sink:
        assert sink.write([run, other]).stored == 2
        again = copy.deepcopy(run)
        del again.unmapped["attachments"]
        again.events = []  # no evaluation events: no feedback
        assert sink.write([again]).duplicates == 1
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM attachments").fetchone() == (0,)
    feedback = read_feedback(path)
    assert feedback is not None and set(feedback) == {str(other.id)}
    [back] = [found for found in read_runs(path) if found.id == run.id]
    assert "attachments" not in back.unmapped


SCHEMA_1 = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE runs (id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, dotted_order TEXT NOT NULL,
        parent_run_id TEXT, name TEXT NOT NULL, run_type TEXT NOT NULL, start_time TEXT NOT NULL,
        status TEXT, project TEXT, data TEXT NOT NULL)""",
    "CREATE INDEX runs_by_trace ON runs (trace_id, dotted_order)",
    "CREATE INDEX runs_by_start ON runs (start_time)",
)
"""Schema 1 as it shipped before issue 15 (sinks/_sqlite_schema.py at 2970067)."""


def test_a_schema_1_store_is_migrated_by_its_first_writer(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = multimodal_evaluated_run()
    data = {**old.to_dict(), **old.unmapped}  # schema 1 kept attachments inside the JSON
    with closing(sqlite3.connect(path)) as conn:
        for statement in SCHEMA_1:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute(
            "INSERT INTO runs VALUES (?, ?, ?, NULL, ?, 'llm', ?, 'success', NULL, ?)",
            (
                data["id"],
                data["trace_id"],
                data["dotted_order"],
                data["name"],
                data["start_time"],
                json.dumps(data),
            ),
        )
        conn.commit()
    assert read_feedback(path) is None  # not migrated yet: read as it is
    assert read_runs(path)[0].unmapped["attachments"] == old.unmapped["attachments"]
    with closing(SqliteSink(path)) as sink:
        sink.write([evaluated_run()])
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (2,)
        [(blob,)] = conn.execute("SELECT data FROM attachments").fetchall()
        [(moved,)] = conn.execute("SELECT data FROM runs WHERE id = ?", (data["id"],)).fetchall()
    assert blob == PNG and "attachments" not in json.loads(moved)
    back = {str(run.id): run for run in read_runs(path)}[data["id"]]
    assert {**back.to_dict(), **back.unmapped} == json.loads(json.dumps(data))
    feedback = read_feedback(path)
    assert feedback is not None and [f["key"] for f in feedback[data["id"]]] == ["Relevance"]


# --- runs -> spans ----------------------------------------------------------------------------------


def test_runs_to_spans_writes_feedback_as_evaluation_events_and_attachments_as_parts() -> None:
    run = multimodal_evaluated_run()
    born = Run.from_dict(
        {**json.loads(json.dumps({**run.to_dict(), **run.unmapped})), "extra": {"metadata": {}}}
    )  # a run born in LangSmith
    born.unmapped["feedback"] = [
        {
            "id": "8d4b4d4e-6a51-4a3e-9d3b-2c1f0e9a7b61",
            "key": "human",
            "score": 0,
            "comment": "wrong",
        }
    ]
    [span] = runs_to_spans([born])
    attributes = dict(span.attributes or {})
    messages = json.loads(str(attributes["gen_ai.input.messages"]))
    blob = messages[0]["parts"][1]
    assert blob == {
        "type": "blob",
        "modality": "image",
        "mime_type": "image/png",
        "content": base64.b64encode(PNG).decode(),
    }
    assert "langsmith.attachments" not in attributes  # carried by the part
    evaluations = [e for e in span.events if e.name == EVALUATION]
    names = sorted(str((e.attributes or {})[NAME]) for e in evaluations)
    assert names == ["Relevance", "human"]
    [human] = [e for e in evaluations if (e.attributes or {})[NAME] == "human"]
    assert (human.attributes or {})[EXPLANATION] == "wrong"
    [back] = back_to_runs(runs_to_records([born]))
    assert {**back.to_dict(), **back.unmapped} == {**born.to_dict(), **born.unmapped}


# --- privacy -----------------------------------------------------------------------------------------


def test_hiding_inputs_hides_attachments_and_feedback_comments() -> None:
    privacy = Privacy(hide_inputs=True)
    [span] = chat_spans(
        gen_ai__input__messages=messages_with(
            {
                "type": "blob",
                "modality": "image",
                "mime_type": "image/png",
                "content": base64.b64encode(PNG).decode(),
            }
        ),
        langsmith__attachments=json.dumps([{"name": "a", "content": "eA==", "mime_type": "x/y"}]),
        events=[(EVALUATION, {NAME: "Relevance", SCORE: 1.0, EXPLANATION: "quotes the prompt"})],
    )
    from otel_runs.convert.from_sdk import record_from_span

    hidden = privacy.hide_record(record_from_span(span))
    [run] = back_to_runs([hidden])
    privacy.apply(run)
    assert "attachments" not in run.unmapped
    assert base64.b64encode(PNG).decode() not in json.dumps(run.to_dict())
    [feedback] = feedback_of(run)
    assert feedback["key"] == "Relevance" and feedback["comment"] == "[hidden]"


def test_hiding_outputs_removes_output_attachments_from_converted_runs() -> None:
    [run] = spans_to_runs(
        chat_spans(
            gen_ai__output__messages=json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [
                            {
                                "type": "blob",
                                "modality": "image",
                                "mime_type": "image/png",
                                "content": base64.b64encode(PNG).decode(),
                            }
                        ],
                    }
                ]
            ),
            gen_ai__input__messages=messages_with(
                {
                    "type": "blob",
                    "modality": "audio",
                    "mime_type": "audio/wav",
                    "content": base64.b64encode(WAV).decode(),
                }
            ),
        )
    )
    assert sorted(n.split("_")[0] for n in run.unmapped["attachments"]) == ["input", "output"]
    Privacy(hide_outputs=True).apply(run)
    assert [n.split("_")[0] for n in run.unmapped["attachments"]] == ["input"]
