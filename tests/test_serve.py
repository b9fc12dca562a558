"""`otel-runs serve` end to end: a real subprocess, real exporters, the real spool and sinks.

- Spans from a real instrumentation (pydantic-ai calling the fake OpenAI server) go through
  OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC, and the store ends up with exactly the runs
  `spans_to_runs` makes of the same spans; `otel-runs runs --json` reads them back.
- `kill -9` in the middle of a stream, then a restart: every acknowledged span is delivered to
  (a fake) LangSmith, and a run delivered twice is the same run both times.
- Three receivers behind a trace-id router make the same runs as one receiver.
- SIGTERM and SIGINT stop it with exit code 0; bad flags and busy ports exit non-zero.
"""

from __future__ import annotations

import bisect
import itertools
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from otel_runs import RunSpanProcessor, spans_to_runs
from otel_runs.convert.from_sdk import record_from_span
from otel_runs.errors import StoreError
from otel_runs.otlp import encode_json_request
from otel_runs.sinks.sqlite import read_runs
from tests.support.agent_spans import MS, T0_NS, agent_trace
from tests.support.capture import REQUEST_SPAN, capture_spans
from tests.support.fake_langsmith import running_fake_langsmith
from tests.support.fake_openai import fake_openai
from tests.support.memory_sink import MemorySink
from tests.support.receiver_proc import ServeProcess, serving, start_serve

ROOT = Path(__file__).resolve().parents[1]
FAST = {"OTEL_RUNS_LOG_SETTLE_SECONDS": "0.1"}
"""Convert spooled spans almost at once (no log events are awaited in these tests)."""
PROTOBUF = {"content-type": "application/x-protobuf"}


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _run_ids(spans: Sequence[ReadableSpan]) -> set[str]:
    return {str(UUID(int=span.context.span_id)) for span in spans if span.context is not None}


def _stored_ids(store: Path) -> set[str]:
    """Run ids in the store so far."""
    return set(_runs(store))


def _expected(spans: Sequence[ReadableSpan]) -> list[dict[str, Any]]:
    return [run.to_dict() for run in spans_to_runs(spans)]


def _cli_runs(store: Path, trace_id: str) -> list[dict[str, Any]]:
    """`otel-runs runs --store STORE --trace ID --json`, parsed."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "otel_runs.cli",
            "runs",
            "--store",
            str(store),
            "--trace",
            trace_id,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return [json.loads(line) for line in out.stdout.splitlines()]


# --- spans from a real instrumentation ------------------------------------------------------------


@pytest.fixture(scope="module")
def openai_url() -> Iterator[str]:
    with fake_openai() as url:
        yield url


def _agent_spans(openai_url: str) -> tuple[ReadableSpan, ...]:
    """One pydantic-ai agent run (chat, tool call, chat) inside a request span."""
    with capture_spans() as capture:
        settings = InstrumentationSettings(tracer_provider=capture.provider, include_content=True)
        model = OpenAIChatModel(
            "gpt-4o-mini", provider=OpenAIProvider(base_url=openai_url, api_key="sk-test")
        )
        agent = Agent(
            model, instructions="be brief", capabilities=[Instrumentation(settings=settings)]
        )

        @agent.tool_plain
        def get_weather(city: str) -> str:
            """Current weather in a city."""
            return f"sunny in {city}"

        with capture.tracer.start_as_current_span(REQUEST_SPAN):
            agent.run_sync("weather in Paris?")
        return capture.spans()


def _send_http_protobuf(served: ServeProcess, spans: Sequence[ReadableSpan]) -> None:
    exporter = OTLPSpanExporter(endpoint=f"{served.http_url}/v1/traces")
    try:
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]


def _send_http_json(served: ServeProcess, spans: Sequence[ReadableSpan]) -> None:
    # The installed SDK has no OTLP/JSON exporter (opentelemetry-exporter-otlp-json-http pins
    # other versions of the shared transport packages), so the body is our own OTLP/JSON.
    body = json.dumps(encode_json_request([record_from_span(s) for s in spans]))
    response = httpx.post(
        f"{served.http_url}/v1/traces",
        content=body,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200 and response.json() == {}


def _send_grpc(served: ServeProcess, spans: Sequence[ReadableSpan]) -> None:
    exporter = GrpcSpanExporter(
        endpoint=served.grpc_target, insecure=True, compression=grpc.Compression.Gzip
    )
    try:
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()


WIRES = {
    "http-protobuf": _send_http_protobuf,
    "http-json": _send_http_json,
    "grpc": _send_grpc,
}


def test_every_wire_stores_the_runs_spans_to_runs_makes(tmp_path: Path, openai_url: str) -> None:
    store = tmp_path / "runs.sqlite"
    sent = {wire: _agent_spans(openai_url) for wire in WIRES}
    expected_ids = set().union(*(_run_ids(spans) for spans in sent.values()))
    served = start_serve(store, env=FAST)
    try:
        for wire, send in WIRES.items():
            send(served, sent[wire])
        _wait_for(lambda: _stored_ids(store) >= expected_ids, "the runs in the store")
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.log()
    for wire, spans in sent.items():
        expected = _expected(spans)
        assert len(expected) == 5, wire  # request, agent, chat, tool, chat
        trace_id = expected[0]["trace_id"]
        assert _cli_runs(store, trace_id) == expected, wire
    assert _stored_ids(store) == expected_ids


@pytest.mark.parametrize("workers", ["1", "2"])
def test_stats_counts_what_the_receiver_did(
    tmp_path: Path, openai_url: str, workers: str
) -> None:
    spans = _agent_spans(openai_url)
    spans += _stamped_traces(6)  # traces for both workers
    store = tmp_path / "runs.sqlite"
    with serving(
        store, "--token", "s3cret", "--workers", workers, grpc=False, env=FAST
    ) as served:
        stats_url = f"{served.http_url}/stats"
        auth = {"authorization": "Bearer s3cret"}
        assert httpx.get(stats_url, timeout=10).status_code == 401
        assert httpx.post(stats_url, headers=auth, timeout=10).status_code == 405
        before = httpx.get(stats_url, headers=auth, timeout=10).json()
        assert before["accepted"] == 0 and before["delivered"] == 0

        exporter = OTLPSpanExporter(endpoint=f"{served.http_url}/v1/traces", headers=auth)
        try:
            assert exporter.export(spans) is SpanExportResult.SUCCESS
        finally:
            exporter.shutdown()  # type: ignore[no-untyped-call]

        def delivered() -> bool:
            counts = httpx.get(stats_url, headers=auth, timeout=10).json()
            return bool(counts["delivered"] == len(spans))

        _wait_for(delivered, "every run delivered")
        after = httpx.get(stats_url, headers=auth, timeout=10).json()
    # With workers, what each converted and delivered is summed.
    assert after["accepted"] == after["converted"] == len(spans)
    assert after["pending"] == after["failed"] == after["rejected"] == 0
    assert len(_stored_ids(store)) == len(spans)


def test_genai_content_sent_as_log_events_joins_its_span(tmp_path: Path, openai_url: str) -> None:
    store = tmp_path / "runs.sqlite"
    with serving(store, grpc=False) as served:  # default settle time: logs may trail spans
        subprocess.run(
            [sys.executable, "-m", "tests.support.otlp_openai_app", openai_url, served.http_url],
            check=True,
            cwd=ROOT,
            timeout=120,
        )
        _wait_for(lambda: len(_runs(store)) == 1, "the chat run")
        assert served.stop() == 0
    [run] = _runs(store).values()
    assert run["run_type"] == "llm"
    # Only the log record carried the messages (the span has none in EVENT_ONLY mode).
    assert "weather in Paris?" in json.dumps(run["inputs"])
    assert "It is sunny." in json.dumps(run["outputs"])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigint_stops_it_cleanly_and_nothing_is_left_behind(tmp_path: Path, workers: str) -> None:
    store = tmp_path / "runs.sqlite"
    spool = str(tmp_path / "spool.sqlite")
    # A long settle time: the runs are made by the final flush, in every worker.
    env = {"OTEL_RUNS_LOG_SETTLE_SECONDS": "600"}
    served = start_serve(store, "--spool", spool, "--workers", workers, env=env)
    children = _worker_processes(served)
    assert len(children) == (int(workers) if workers != "1" else 0)
    spans = _stamped_traces(6)
    response = httpx.post(
        f"{served.http_url}/v1/traces",
        content=encode_spans(spans).SerializeToString(),
        headers=PROTOBUF,
        timeout=30,
    )
    assert response.status_code == 200
    assert served.stop(signal.SIGINT) == 0, served.log()  # the final flush delivers the rest
    assert _stored_ids(store) == _run_ids(spans)
    assert (tmp_path / "runs.sqlite-turns").exists(), "the store's writers took turns"
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{served.http_url}/v1/traces", content=b"", headers=PROTOBUF)
    _wait_for(lambda: not any(_alive(pid) for pid in children), "the workers to be gone")


def _worker_processes(served: ServeProcess) -> list[int]:
    """The processes `otel-runs serve` started (its workers), from Linux /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == served.process.pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie left for its parent to reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return stat[0] != "Z"


def test_a_busy_port_and_bad_flags_fail_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = subprocess.run(
            [sys.executable, "-m", "otel_runs.cli", "serve", "--http-port", port, "--grpc-port", "0",
             "--store", str(tmp_path / "r.sqlite"), "--spool", str(tmp_path / "s.sqlite")],
            check=False, capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip
    assert busy.returncode == 1
    assert f"otel-runs: error: cannot listen for OTLP/HTTP on 127.0.0.1:{port}" in busy.stderr
    off = subprocess.run(
        [sys.executable, "-m", "otel_runs.cli", "serve", "--http-port", "0", "--grpc-port", "0",
         "--spool", str(tmp_path / "s.sqlite")],
        check=False, capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert off.returncode == 1 and "nothing to serve" in off.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "otel_runs.cli", "serve", "--http-port", "http"],
        check=False, capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "not a port" in bad.stderr


# --- kill -9 in the middle of a stream -------------------------------------------------------


class _Ids(IdGenerator):
    """Deterministic ids from an offset: trace k is 0x1000 + k, its 5 spans 5k+1 .. 5k+5."""

    def __init__(self, first_trace: int) -> None:
        self._spans = itertools.count(first_trace * 5 + 1)
        self._traces = itertools.count(0x1000 + first_trace)

    def generate_span_id(self) -> int:
        return next(self._spans)

    def generate_trace_id(self) -> int:
        return next(self._traces)


def _stamped_traces(count: int, first: int = 0) -> tuple[ReadableSpan, ...]:
    """`count` agent traces (5 spans each) stamped by our processor, deterministic ids."""
    provider = TracerProvider(
        resource=Resource({"service.name": "agent"}), id_generator=_Ids(first)
    )
    memory = InMemorySpanExporter()
    provider.add_span_processor(RunSpanProcessor(MemorySink()))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.serve")
    for index in range(first, first + count):
        agent_trace(tracer, T0_NS + index * 1000 * MS, name=f"agent {index}")
    provider.shutdown()
    return memory.get_finished_spans()


def _by_trace(spans: Sequence[ReadableSpan]) -> dict[int, list[ReadableSpan]]:
    groups: dict[int, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        assert span.context is not None
        groups[span.context.trace_id].append(span)
    return groups


class _Stream:
    """Posts one trace per request, as fast as it can, remembering what was acknowledged."""

    def __init__(self, url: str, traces: list[list[ReadableSpan]]) -> None:
        self.url = url
        self.bodies = [encode_spans(t).SerializeToString() for t in traces]
        self.traces = traces
        self.acked: list[int] = []
        self.failed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            for index, body in enumerate(self.bodies):
                if self.stop.is_set():
                    return
                try:
                    response = client.post(self.url, content=body, headers=PROTOBUF)
                except httpx.HTTPError:
                    self.failed += 1
                    continue
                if response.status_code == 200:
                    self.acked.append(index)




@pytest.mark.parametrize(
    ("before", "after"),
    [("1", "1"), pytest.param("2", "3", id="2 workers, then 3")],
)
def test_kill_9_mid_stream_loses_no_acknowledged_span(
    tmp_path: Path, before: str, after: str
) -> None:
    spans = _stamped_traces(300)
    traces = list(_by_trace(spans).values())
    spool = str(tmp_path / "spool.sqlite")
    with running_fake_langsmith() as fake:
        fake.conflict_on_duplicate = False  # keep every delivery, to compare re-sent runs
        env = {**FAST, "LANGSMITH_API_KEY": fake.api_key, "LANGSMITH_ENDPOINT": fake.url}
        args = ("--spool", spool, "--workers", before)
        served = start_serve(tmp_path / "ls", *args, langsmith=True, env=env)
        workers = _worker_processes(served)
        stream = _Stream(f"{served.http_url}/v1/traces", traces)
        stream.thread.start()
        _wait_for(lambda: len(stream.acked) >= 40, "40 acknowledged requests")
        served.kill()
        stream.thread.join(60)
        assert stream.failed > 0 or len(stream.acked) == len(traces)
        acked_ids = set().union(*(_run_ids(traces[i]) for i in stream.acked))
        # Its workers go with it (they hold the spool's lock until they are gone).
        _wait_for(lambda: not any(_alive(pid) for pid in workers), "the workers to be gone")
        args = ("--spool", spool, "--workers", after)
        with serving(tmp_path / "ls", *args, langsmith=True, env=env) as again:
            _wait_for(lambda: acked_ids <= set(fake.runs), "every acknowledged span delivered")
            assert again.stop() == 0
        deliveries = fake.deliveries()
    assert acked_ids <= set(deliveries)
    sent_ids = _run_ids(spans)
    assert set(deliveries) <= sent_ids
    for run_id, versions in deliveries.items():
        assert all(v == versions[0] for v in versions), f"run {run_id} changed between deliveries"


# --- scale-out: three receivers behind a trace-id router -------------------------------------


class TraceIdRing:
    """Routes a trace id to a backend the way the Collector's loadbalancing exporter does.

    A ring of 36000 positions; each backend takes 100 of them at crc32(name + one byte i) mod
    36000; a trace goes to the first backend position at or after crc32(its 16 id bytes) mod
    36000, wrapping around (exporter/loadbalancingexporter/consistent_hashing.go).
    """

    POSITIONS = 36_000
    WEIGHT = 100

    def __init__(self, backends: Sequence[str]) -> None:
        taken: dict[int, str] = {}
        for backend in backends:
            for i in range(self.WEIGHT):
                position = zlib.crc32(backend.encode() + bytes([i])) % self.POSITIONS
                taken.setdefault(position, backend)
        self._positions = sorted(taken)
        self._backends = [taken[p] for p in self._positions]

    def backend_for(self, trace_id: int) -> str:
        position = zlib.crc32(trace_id.to_bytes(16, "big")) % self.POSITIONS
        index = bisect.bisect_left(self._positions, position) % len(self._positions)
        return self._backends[index]


def _post(url: str, spans: Sequence[ReadableSpan]) -> None:
    response = httpx.post(
        f"{url}/v1/traces",
        content=encode_spans(spans).SerializeToString(),
        headers=PROTOBUF,
        timeout=30,
    )
    assert response.status_code == 200, response.content


ROLL_UPS = (
    "child_run_ids",
    "direct_child_run_ids",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_cost",
    "completion_cost",
    "total_cost",
)
"""Fields of a parent run summed or listed from its children (convert/tree.py roll-ups)."""


def _runs(*stores: Path) -> dict[str, dict[str, Any]]:
    """Every run in the stores by id (none from a store the sink has not created yet)."""
    found: dict[str, dict[str, Any]] = {}
    for store in stores:
        try:
            found.update((str(run.id), run.to_dict()) for run in read_runs(store))
        except StoreError:
            continue
    return found


def _without_roll_ups(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k not in ROLL_UPS}


def test_three_receivers_behind_a_trace_id_router_make_the_same_runs_as_one(tmp_path: Path) -> None:
    routed = _stamped_traces(30)
    scattered = _stamped_traces(10, first=30)
    stores = [tmp_path / f"receiver{i}.sqlite" for i in range(3)]
    single_store = tmp_path / "single.sqlite"
    procs = [
        start_serve(store, "--spool", str(store.with_suffix(".spool")), grpc=False, env=FAST)
        for store in stores
    ]
    single = start_serve(
        single_store, "--spool", str(tmp_path / "single.spool"), grpc=False, env=FAST
    )
    try:
        ring = TraceIdRing([p.http_url for p in procs])
        per_backend: dict[str, list[ReadableSpan]] = defaultdict(list)
        for trace_id, spans in _by_trace(routed).items():
            per_backend[ring.backend_for(trace_id)].extend(spans)
        assert len(per_backend) == 3, "30 traces should reach all three receivers"
        for url, spans in per_backend.items():
            _post(url, spans)
        # No trace affinity at all: one span per request, round-robin over the receivers.
        for index, span in enumerate(scattered):
            _post(procs[index % 3].http_url, [span])
        _post(single.http_url, routed)
        _post(single.http_url, scattered)
        everything = _run_ids(routed) | _run_ids(scattered)
        _wait_for(lambda: set(_runs(single_store)) >= everything, "the single receiver's runs")
        _wait_for(lambda: set(_runs(*stores)) >= everything, "the three receivers' runs")
    finally:
        for served in (*procs, single):
            assert served.stop() == 0, served.log()
    trio, alone = _runs(*stores), _runs(single_store)
    assert set(trio) == set(alone) == everything
    expected = {run["id"]: run for run in _expected(routed) + _expected(scattered)}
    assert alone == expected
    # Routed by trace id: every run is exactly what one receiver makes.
    for run_id in _run_ids(routed):
        assert trio[run_id] == alone[run_id]
    # Scattered, stamped spans still make the same runs: ids, tree, inputs, outputs, own usage.
    # Only a parent's roll-ups (child lists, summed tokens and costs) need its children beside it.
    for run_id in _run_ids(scattered):
        if not alone[run_id]["child_run_ids"]:
            assert trio[run_id] == alone[run_id]
        assert _without_roll_ups(trio[run_id]) == _without_roll_ups(alone[run_id])
