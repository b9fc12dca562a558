"""LangSmithSink against a validating fake of LangSmith's ingest API, with real conversions.

Runs come from real SDK spans (a TracerProvider, GenAI attributes) through `spans_to_runs`, so
what the fake checks is what the library really sends.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_runs import Run, spans_to_runs
from otel_runs.conventions import genai
from otel_runs.conventions import langsmith as ls
from otel_runs.errors import ConfigError, OtelRunsError
from otel_runs.model.ingest import encode_ingest_run
from otel_runs.sinks import RunSink
from otel_runs.sinks.langsmith import LangSmithSink, parse_retry_after
from tests.support.fake_langsmith import (
    FakeLangSmith,
    Fault,
    RecordedRequest,
    running_fake_langsmith,
)

PROJECT = "otel-runs-tests"
MakeSink = Callable[..., LangSmithSink]
SERVER_DERIVED = (
    "child_run_ids", "direct_child_run_ids", "parent_run_ids", "status", "total_tokens",
    "prompt_tokens", "completion_tokens", "total_cost", "prompt_cost", "completion_cost",
    "first_token_time", "app_path", "feedback_stats", "in_dataset", "execution_order",
    "price_model_id", "share_token", "last_queued_at", "manifest_s3_id",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_langsmith_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANGSMITH_API_KEY", "LANGSMITH_ENDPOINT", "LANGSMITH_PROJECT",
                 "LANGSMITH_WORKSPACE_ID"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeLangSmith]:
    with running_fake_langsmith() as server:
        yield server


@pytest.fixture
def make_sink(fake: FakeLangSmith) -> Iterator[MakeSink]:
    sinks: list[LangSmithSink] = []

    def make(**kwargs: Any) -> LangSmithSink:
        kwargs.setdefault("api_key", fake.api_key)
        kwargs.setdefault("endpoint", fake.url)
        kwargs.setdefault("project", PROJECT)
        kwargs.setdefault("backoff", 0.01)
        sink = LangSmithSink(**kwargs)
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.close()


def agent_runs(tools: int = 1, tool_input_chars: int = 10, span_cost: bool = False) -> list[Run]:
    """An agent trace from real SDK spans: invoke_agent > chat (GenAI usage) + tool calls."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.langsmith_sink")
    agent = {genai.OPERATION_NAME: "invoke_agent", genai.AGENT_NAME: "weather"}
    chat: dict[str, Any] = {
        genai.OPERATION_NAME: "chat",
        genai.PROVIDER_NAME: "openai",
        genai.REQUEST_MODEL: "gpt-4o-mini",
        genai.RESPONSE_MODEL: "gpt-4o-mini",
        genai.USAGE_INPUT_TOKENS: 120,
        genai.USAGE_OUTPUT_TOKENS: 30,
        genai.INPUT_MESSAGES: json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
        ),
        genai.OUTPUT_MESSAGES: json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "Sunny."}],
                    "finish_reason": "stop",
                }
            ]
        ),
    }
    if span_cost:
        chat[genai.USAGE_COST] = 0.25
    with tracer.start_as_current_span("invoke_agent weather", attributes=agent):
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=chat):
            pass
        for index in range(tools):
            arguments = json.dumps({"city": "Paris", "note": "x" * tool_input_chars, "i": index})
            tool = {
                genai.OPERATION_NAME: "execute_tool",
                genai.TOOL_NAME: "get_weather",
                genai.TOOL_CALL_ARGUMENTS: arguments,
                genai.TOOL_CALL_RESULT: "sunny",
            }
            with tracer.start_as_current_span("execute_tool get_weather", attributes=tool):
                pass
    provider.shutdown()
    return spans_to_runs(exporter.get_finished_spans())


def bad_run(run: Run) -> Run:
    """A copy of a child run whose parent segment is later than its own (the classic 400)."""
    assert run.parent_run_id is not None
    bad = copy.deepcopy(run)
    head, _, rest = bad.dotted_order.partition(".")
    bad.dotted_order = "20990101T000000000000Z" + head[22:] + "." + rest
    return bad


def ingest(fake: FakeLangSmith) -> list[RecordedRequest]:
    return fake.ingest_requests()


# --- delivery -------------------------------------------------------------------------------


def test_runs_arrive_complete_and_exactly_once(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs(tools=2)
    sink = make_sink()
    assert isinstance(sink, RunSink)

    result = sink.write(runs)

    assert (result.stored, result.duplicates, result.failed, result.error) == (4, 0, 0, None)
    assert dict(fake.accepted) == {str(run.id): 1 for run in runs}
    for run in runs:
        stored = fake.runs[str(run.id)]
        assert stored["name"] == run.name
        assert stored["run_type"] == run.run_type
        assert stored["trace_id"] == str(run.trace_id)
        assert stored["dotted_order"] == run.dotted_order
        assert stored.get("parent_run_id") == (
            str(run.parent_run_id) if run.parent_run_id else None
        )
        assert stored["session_name"] == PROJECT
        assert stored["inputs"] == run.inputs
        assert stored["start_time"] == run.start_time.isoformat(timespec="microseconds")
        assert stored["start_time"].endswith("+00:00")
        assert stored["end_time"][-13:-6].startswith(".")
        assert (
            stored["extra"]["metadata"][ls.META_OTEL_SPAN_ID] == run.metadata[ls.META_OTEL_SPAN_ID]
        )
        assert not set(SERVER_DERIVED) & set(stored)
    (request,) = ingest(fake)
    assert request.path == "/runs/multipart"
    assert request.headers["content-encoding"] == "zstd"
    assert request.headers["x-api-key"] == fake.api_key
    assert "x-tenant-id" not in request.headers
    names = [part.name for part in request.parts]
    root = runs[0]
    assert names[:5] == [
        f"post.{root.id}", f"post.{root.id}.inputs", f"post.{root.id}.outputs",
        f"post.{root.id}.events", f"post.{root.id}.extra",
    ] or names[:4] == [
        f"post.{root.id}", f"post.{root.id}.inputs", f"post.{root.id}.events",
        f"post.{root.id}.extra",
    ]  # fmt: skip
    for part in request.parts:
        assert part.headers["content-type"] == "application/json"
        assert int(part.headers["content-length"]) == len(part.data)
    main = json.loads(request.parts[0].data)
    assert not {"inputs", "outputs", "events", "extra", "error", "serialized"} & set(main)


def test_llm_usage_goes_to_outputs_and_priced_costs_are_left_to_langsmith(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    runs = agent_runs()
    (llm,) = [run for run in runs if run.run_type == "llm"]
    assert llm.metadata[ls.META_USAGE]["total_cost"] > 0  # priced by genai-prices

    assert make_sink().write(runs).stored == len(runs)

    stored = fake.runs[str(llm.id)]
    usage = {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150}
    assert stored["outputs"]["usage_metadata"] == usage
    assert stored["extra"]["metadata"]["usage_metadata"] == usage
    assert stored["extra"]["metadata"]["ls_model_name"] == "gpt-4o-mini"
    assert llm.metadata[ls.META_USAGE]["total_cost"] > 0  # the Run was not modified


def test_costs_the_span_carried_are_sent(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs(span_cost=True)
    (llm,) = [run for run in runs if run.run_type == "llm"]

    assert make_sink().write(runs).stored == len(runs)

    assert fake.runs[str(llm.id)]["outputs"]["usage_metadata"]["total_cost"] == 0.25
    assert fake.runs[str(llm.id)]["extra"]["metadata"]["usage_metadata"]["total_cost"] == 0.25


def test_gzip_when_asked(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()
    assert make_sink(compression="gzip").write(runs).stored == len(runs)
    (request,) = ingest(fake)
    assert request.headers["content-encoding"] == "gzip"
    assert request.raw_body[:2] == b"\x1f\x8b"


def test_repeated_run_ids_in_one_write_send_the_last_copy(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    runs = agent_runs()
    renamed = copy.deepcopy(runs[0])
    renamed.name = "second copy"

    result = make_sink().write([*runs, renamed])

    assert (result.stored, result.duplicates, result.failed) == (len(runs), 1, 0)
    assert fake.runs[str(renamed.id)]["name"] == "second copy"


# --- retries --------------------------------------------------------------------------------


def test_429_waits_for_retry_after(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()
    fake.inject(Fault(429, retry_after="0.3", message="rate limited"))

    result = make_sink().write(runs)

    assert result.stored == len(runs)
    first, second = ingest(fake)
    assert first.status == 429
    assert second.status == 202
    assert second.received_at - first.received_at >= 0.3


def test_503s_are_retried_with_backoff(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()
    fake.inject(Fault(503), times=2)

    result = make_sink(backoff=0.05).write(runs)

    assert (result.stored, result.failed) == (len(runs), 0)
    statuses = [r.status for r in ingest(fake)]
    assert statuses == [503, 503, 202]
    times = [r.received_at for r in ingest(fake)]
    assert times[1] - times[0] >= 0.05 * 0.8
    assert times[2] - times[1] >= 0.1 * 0.8  # doubled


def test_retries_give_up_after_max_retries(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()
    fake.inject(Fault(502), times=10)

    result = make_sink(max_retries=2).write(runs)

    assert (result.stored, result.failed) == (0, len(runs))
    assert result.error is not None
    assert "502" in result.error
    assert "3 attempts" in result.error
    assert len(ingest(fake)) == 3


def test_timeouts_are_retried(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()
    fake.inject(Fault(503, delay=1.0))  # slow, then nothing stored

    result = make_sink(timeout=0.3).write(runs)

    assert (result.stored, result.failed) == (len(runs), 0)
    assert dict(fake.accepted) == {str(run.id): 1 for run in runs}


def test_a_timed_out_request_that_was_stored_comes_back_as_duplicates(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    runs = agent_runs()
    fake.inject(Fault(None, delay=1.0))  # the server stores the runs, the answer is late

    result = make_sink(timeout=0.2).write(runs)

    assert (result.stored, result.duplicates, result.failed) == (0, len(runs), 0)
    assert dict(fake.accepted) == {str(run.id): 1 for run in runs}


def test_a_stored_request_whose_answer_was_lost_costs_one_request_per_run(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    """LangSmith's 409 names no run, so the runs of the unanswered request are tried alone:
    n requests after the 409, where halving the batch took 2n - 1 (docs/reliability.md)."""
    runs = agent_runs(tools=14)  # 16 runs in one request
    fake.inject(Fault(None, delay=1.0))

    result = make_sink(timeout=0.2).write(runs)

    assert (result.stored, result.duplicates, result.failed) == (0, len(runs), 0)
    sizes = [len(r.run_ids) for r in ingest(fake)]
    assert sizes == [len(runs), len(runs)] + [1] * len(runs)  # lost, 409, then one by one
    assert dict(fake.accepted) == {str(run.id): 1 for run in runs}


def test_new_runs_beside_an_unanswered_request_still_go_together(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    """The next write holds the lost request's runs and new ones: the new ones are stored in
    one request, the suspects are tried alone, and nothing new is taken for a duplicate."""
    runs = agent_runs(tools=6)
    sink = make_sink(timeout=0.2, deadline=0.6, max_retries=0)
    fake.inject(Fault(None, delay=1.0))
    first = sink.write(runs[:4])  # stored, but no answer: handed back for a retry
    assert first.stored == 0 and len(first.retry) == 4

    result = sink.write(runs)

    assert (result.stored, result.duplicates, result.failed) == (4, 4, 0)
    sizes = [len(r.run_ids) for r in ingest(fake)][1:]
    assert sizes == [8, 1, 1, 1, 1, 4]
    assert dict(fake.accepted) == {str(run.id): 1 for run in runs}


def test_connection_errors_are_retried_until_the_deadline(make_sink: MakeSink) -> None:
    runs = agent_runs()
    closed = socket_port()
    sink = make_sink(endpoint=f"http://127.0.0.1:{closed}", deadline=0.5, backoff=0.05)

    started = time.monotonic()
    result = sink.write(runs)

    assert time.monotonic() - started < 1.5
    assert (result.stored, result.failed) == (0, len(runs))
    assert result.error is not None
    assert "ConnectError" in result.error


def socket_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- answers that are not retried -----------------------------------------------------------


def test_409_counts_as_duplicates(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs(tools=3)
    sink = make_sink()
    assert sink.write(runs[:2]).stored == 2

    result = sink.write(runs)

    assert (result.stored, result.duplicates, result.failed) == (3, 2, 0)
    assert dict(fake.accepted) == {str(run.id): 1 for run in runs}


def test_400_is_not_retried_and_reported(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()
    broken = bad_run(runs[1])

    result = make_sink().write([broken])

    assert (result.stored, result.failed) == (0, 1)
    assert result.error is not None
    assert "400" in result.error
    assert "earlier than parent timestamp" in result.error
    assert str(broken.id) in result.error
    assert len(ingest(fake)) == 1


def test_one_bad_run_does_not_sink_the_batch(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs(tools=4)
    broken = bad_run(runs[3])
    sent = [*runs[:3], broken, *runs[4:]]

    result = make_sink().write(sent)

    assert (result.stored, result.duplicates, result.failed) == (5, 0, 1)
    assert result.error is not None
    assert "earlier than parent timestamp" in result.error
    assert str(broken.id) not in fake.runs
    assert set(fake.accepted) == {str(run.id) for run in sent if run is not broken}
    assert ingest(fake)[0].status == 400  # the whole first request was rejected


def test_auth_failure_fails_every_run(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()

    result = make_sink(api_key="lsv2_wrong").write(runs)

    assert (result.stored, result.failed) == (0, len(runs))
    assert result.error is not None
    assert "403" in result.error
    assert len(ingest(fake)) == 1


def test_multipart_404_falls_back_to_batch_and_remembers(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    fake.multipart_enabled = False
    first, second = agent_runs(), agent_runs()
    sink = make_sink()

    assert sink.write(first).stored == len(first)
    assert sink.write(second).stored == len(second)

    assert [(r.path, r.status) for r in ingest(fake)] == [
        ("/runs/multipart", 404), ("/runs/batch", 202), ("/runs/batch", 202),
    ]  # fmt: skip
    batch = json.loads(ingest(fake)[1].body)
    assert batch["patch"] == []
    assert [run["id"] for run in batch["post"]] == [str(run.id) for run in first]
    assert dict(fake.accepted) == {str(run.id): 1 for run in first + second}


def test_an_unknown_session_id_is_not_taken_for_a_missing_endpoint(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    runs = agent_runs()
    lost = copy.deepcopy(runs[0])
    lost.session_id = "7d1c3f7e-0000-0000-0000-000000000404"
    sink = make_sink()

    result = sink.write([lost])
    later = sink.write(runs)

    assert (result.failed, later.stored) == (1, len(runs))
    assert result.error is not None
    assert "tracer session not found" in result.error
    assert [(r.path, r.status) for r in ingest(fake)] == [
        ("/runs/multipart", 404), ("/runs/batch", 404), ("/runs/multipart", 202),
    ]  # fmt: skip


# --- sizes ----------------------------------------------------------------------------------


def test_batches_are_split_by_bytes(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs(tools=12, tool_input_chars=1500)
    limit = 8_000

    result = make_sink(max_batch_bytes=limit).write(runs)

    assert (result.stored, result.failed) == (len(runs), 0)
    requests = ingest(fake)
    assert len(requests) > 2
    assert all(len(request.body) <= limit for request in requests)
    assert [rid for request in requests for rid in request.run_ids] == [str(r.id) for r in runs]


def test_a_run_over_the_limit_fails_alone(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs(tools=2)
    huge = agent_runs(tools=1, tool_input_chars=20_000)[-1]

    result = make_sink(max_batch_bytes=10_000).write([*runs, huge])

    assert (result.stored, result.failed) == (len(runs), 1)
    assert result.error is not None
    assert str(huge.id) in result.error
    assert "max_batch_bytes" in result.error
    assert set(fake.runs) == {str(run.id) for run in runs}


# --- lifecycle, configuration, secrets ------------------------------------------------------


def test_close_interrupts_a_backoff_wait(fake: FakeLangSmith, make_sink: MakeSink) -> None:
    runs = agent_runs()
    fake.inject(Fault(429, retry_after="20"))
    sink = make_sink()
    results = []
    writer = threading.Thread(target=lambda: results.append(sink.write(runs)))
    writer.start()
    deadline = time.monotonic() + 5
    while not ingest(fake) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)

    started = time.monotonic()
    sink.close()
    writer.join(2)

    assert not writer.is_alive()
    assert time.monotonic() - started < 1.0
    (result,) = results
    assert (result.stored, result.failed) == (0, len(runs))
    assert result.error is not None
    assert "closed" in result.error
    later = sink.write(runs)
    assert (later.failed, later.error) == (len(runs), "the LangSmith sink is closed")


def test_retry_after_beyond_the_deadline_fails_without_waiting(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    runs = agent_runs()
    fake.inject(Fault(429, retry_after="20"))
    started = time.monotonic()

    result = make_sink(deadline=2.0).write(runs)

    assert time.monotonic() - started < 1.0
    assert result.failed == len(runs)
    assert result.error is not None
    assert "deadline" in result.error
    # The caller learns how long LangSmith asked to wait, and waits at least that long.
    assert result.retry_after_s == 20.0
    assert set(result.retry) == {str(run.id) for run in runs}


def test_a_retry_after_longer_than_one_wait_hands_the_runs_back(
    fake: FakeLangSmith, make_sink: MakeSink
) -> None:
    """A write never blocks longer than 30 s on one wait; past that the caller waits as asked."""
    runs = agent_runs()
    fake.inject(Fault(429, retry_after="45"))
    started = time.monotonic()

    result = make_sink(deadline=120.0).write(runs)

    assert time.monotonic() - started < 5.0
    assert result.failed == len(runs) and set(result.retry) == {str(run.id) for run in runs}
    assert result.retry_after_s == 45.0
    assert result.error is not None and "Retry-After 45" in result.error


def test_the_api_key_never_leaks(
    fake: FakeLangSmith, make_sink: MakeSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runs = agent_runs()
    sink = make_sink()
    fake.inject(Fault(503), times=2)
    fake.inject(Fault(400, message=f"your key {fake.api_key} is odd"))

    result = sink.write(runs[:1])  # one run: a 400 cannot be narrowed down any further
    wrong = make_sink(api_key="lsv2_secret_wrong_key")
    rejected = wrong.write(runs)

    assert result.failed == 1
    assert rejected.failed == len(runs)
    texts = [repr(sink), str(sink), repr(wrong), caplog.text, str(result), str(rejected)]
    for text in texts:
        assert fake.api_key not in text
        assert "lsv2_secret_wrong_key" not in text
    assert result.error is not None
    assert "your key *** is odd" in result.error
    assert "LangSmith did not take" in caplog.text


def test_workspace_id_is_sent_as_x_tenant_id(
    make_sink: MakeSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_fake_langsmith(tenant="ws-123") as fake:
        runs = agent_runs()
        assert make_sink(endpoint=fake.url).write(runs).failed == len(runs)  # no tenant: 403
        monkeypatch.setenv("LANGSMITH_WORKSPACE_ID", "ws-123")
        sink = make_sink(endpoint=fake.url)
        assert sink.workspace_id == "ws-123"
        assert sink.write(runs).stored == len(runs)
        assert ingest(fake)[-1].headers["x-tenant-id"] == "ws-123"


def test_configuration_comes_from_arguments_then_environment(
    fake: FakeLangSmith, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="LANGSMITH_API_KEY") as raised:
        LangSmithSink()
    assert isinstance(raised.value, OtelRunsError)
    monkeypatch.setenv("LANGSMITH_API_KEY", fake.api_key)
    monkeypatch.setenv("LANGSMITH_ENDPOINT", fake.url + "/")
    monkeypatch.setenv("LANGSMITH_PROJECT", "from-env")
    with LangSmithSink() as sink:
        assert (sink.endpoint, sink.project, sink.workspace_id) == (fake.url, "from-env", None)
        runs = agent_runs()
        assert sink.write(runs).stored == len(runs)
        assert {run["session_name"] for run in fake.runs.values()} == {"from-env"}
    with LangSmithSink(endpoint="https://example.invalid", project="mine") as sink:
        assert (sink.endpoint, sink.project) == ("https://example.invalid", "mine")
    monkeypatch.delenv("LANGSMITH_ENDPOINT")
    monkeypatch.delenv("LANGSMITH_PROJECT")
    with LangSmithSink(api_key="k") as defaults:
        assert (defaults.endpoint, defaults.project) == (
            "https://api.smith.langchain.com",
            "default",
        )
    with pytest.raises(ConfigError, match="not an http"):
        LangSmithSink(api_key="k", endpoint="api.smith.langchain.com")
    with pytest.raises(ConfigError, match="compression"):
        LangSmithSink(api_key="k", compression="brotli")  # type: ignore[arg-type]


def test_requests_are_made_with_instrumentation_suppressed(
    fake: FakeLangSmith, make_sink: MakeSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What opentelemetry-instrumentation-httpx does, in miniature: a span per request unless
    # instrumentation is suppressed in the current context.
    from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.httpx_instrumentation")
    original = httpx.HTTPTransport.handle_request

    def traced(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if not is_http_instrumentation_enabled():
            return original(self, request)
        with tracer.start_as_current_span(f"{request.method} {request.url.path}"):
            return original(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", traced)
    httpx.post(fake.url + "/runs/multipart")  # control: an ordinary request is traced
    assert [span.name for span in exporter.get_finished_spans()] == ["POST /runs/multipart"]

    runs = agent_runs()
    assert make_sink().write(runs).stored == len(runs)

    assert len(exporter.get_finished_spans()) == 1
    provider.shutdown()


# --- pure parts -----------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 11, 22, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("3", now=now) == 3.0
    assert parse_retry_after("0.25", now=now) == 0.25
    assert parse_retry_after("Sat, 22 Nov 2025 12:00:07 GMT", now=now) == 7.0
    assert parse_retry_after("Sat, 22 Nov 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_payload_has_client_fields_only_and_the_runs_project() -> None:
    runs = agent_runs()
    root = runs[0]
    payload = encode_ingest_run(root, project="fallback")
    assert payload["session_name"] == "fallback"
    assert "parent_run_id" not in payload
    assert not set(SERVER_DERIVED) & set(payload)

    named = copy.deepcopy(root)
    named.unmapped["session_name"] = "from-span"
    assert encode_ingest_run(named, project="fallback")["session_name"] == "from-span"
    by_id = copy.deepcopy(root)
    by_id.session_id = "4f2c0d1e-0000-0000-0000-000000000001"
    payload = encode_ingest_run(by_id, project="fallback")
    assert payload["session_id"] == by_id.session_id
    assert "session_name" not in payload


def test_costs_without_a_source_are_stripped() -> None:
    (llm,) = [run for run in agent_runs(span_cost=True) if run.run_type == "llm"]
    del llm.metadata["ls_cost_source"]
    payload = encode_ingest_run(llm, project="p")
    assert "total_cost" not in payload["outputs"]["usage_metadata"]
    assert payload["outputs"]["usage_metadata"]["input_tokens"] == 120


# --- the fake itself checks what the real server checks --------------------------------------


@pytest.mark.parametrize(
    ("mutate", "status", "text"),
    [
        pytest.param(lambda r: r.pop("name"), 400, "missing required field 'name'", id="no-name"),
        pytest.param(lambda r: r.update(run_type="agent"), 400, "invalid run_type", id="run-type"),
        pytest.param(lambda r: r.pop("session_name"), 400, "session_name or session_id", id="no-project"),
        pytest.param(lambda r: r.update(session_id="unknown"), 404, "tracer session not found", id="unknown-session"),
        pytest.param(lambda r: r.update(dotted_order=r["dotted_order"][:18] + r["dotted_order"][21:]),
                     400, 'cannot parse ".521" as ".000000"', id="3-digit-fraction"),
        pytest.param(lambda r: r.update(trace_id="00000000-0000-0000-0000-00000000beef"), 400,
                     "does not match first part of dotted_order", id="trace-id"),
        pytest.param(lambda r: r.update(dotted_order=r["dotted_order"] + "." + r["dotted_order"]), 400,
                     "must contain a single part for root runs", id="root-two-parts"),
        pytest.param(lambda r: r.update(parent_run_id="00000000-0000-0000-0000-00000000beef"), 400,
                     "must contain at least two parts for child runs", id="child-one-part"),
    ],
)  # fmt: skip
def test_fake_rejects_what_langsmith_rejects(
    fake: FakeLangSmith, mutate: Callable[[dict[str, Any]], object], status: int, text: str
) -> None:
    run = {
        "id": "00000000-0000-0000-601e-e53820f12336",
        "trace_id": "00000000-0000-0000-601e-e53820f12336",
        "dotted_order": "20251122T171648521691Z00000000-0000-0000-601e-e53820f12336",
        "name": "agent",
        "run_type": "chain",
        "start_time": "2025-11-22T17:16:48.521691+00:00",
        "session_name": PROJECT,
        "inputs": {},
    }
    good = httpx.post(
        fake.url + "/runs/batch", json={"post": [run], "patch": []},
        headers={"x-api-key": fake.api_key},
    )  # fmt: skip
    assert good.status_code == 202
    fake.runs.clear()
    mutate(run)
    bad = httpx.post(
        fake.url + "/runs/batch", json={"post": [run], "patch": []},
        headers={"x-api-key": fake.api_key},
    )  # fmt: skip
    assert bad.status_code == status
    assert text in bad.json()["detail"]


def test_fake_checks_multipart_framing(fake: FakeLangSmith) -> None:
    run_id = "00000000-0000-0000-601e-e53820f12336"
    part = json.dumps({"id": run_id}).encode()
    body = (
        b'--b\r\nContent-Disposition: form-data; name="post.' + run_id.encode() + b'"\r\n'
        b"Content-Type: application/json\r\nContent-Length: 5\r\n\r\n" + part + b"\r\n--b--\r\n"
    )
    answer = httpx.post(
        fake.url + "/runs/multipart", content=body,
        headers={"x-api-key": fake.api_key, "Content-Type": "multipart/form-data; boundary=b"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "Content-Length 5 does not match" in answer.json()["detail"]
    missing = httpx.post(fake.url + "/runs/multipart", content=body)
    assert missing.status_code == 401
