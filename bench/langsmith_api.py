"""Benchmark: the LangSmith API of `otel-runs serve`, from the SDK's multipart bodies to OTLP
bytes out, against the `langsmith` SDK's own OTel export of the same runs.

    python -m bench.langsmith_api [--smoke]        (also: bench/run --only langsmith_api)

The runs are the agent traces of bench/runs_to_spans.py (chain -> chat model with usage, tools
and a streamed token -> tool), 100 runs per request as the SDK batches them. Per run, medians of
interleaved rounds:

- baseline: `LANGSMITH_TRACING_MODE=otel` for the same runs, to the same bytes out:
  `serialize_run_dict` (the tracing queue's operation), `OTELExporter.export_batch` through the
  SDK's default `BatchSpanProcessor` and the `OTLPSpanExporter` it installs, POSTing to the
  collector; CPU time of this process, all threads (the collector is a process of its own).
  Each shape below has its own: the SDK given the same operations the bodies carry (a post per
  run, or a post and a patch per run: its exporter opens the span on the post and ends it on
  the patch, ~7% more work than a whole post). Until 2026-12-04 both shapes were measured
  against the whole-post baseline; the post + patch row still prints that ratio too;
- otel-runs: a real `otel-runs serve` process pinned to one core (`--to otlp-http` a loopback
  collector on the other core), fed the SDK's own request bodies: built with the SDK's own
  multipart serializer and zstd compressor (`serialize_run_dict`,
  `serialized_run_operation_to_multipart_parts_and_context`,
  `compress_multipart_parts_and_context`), from 2 keep-alive connections. The figure is the
  server's CPU time (its CPU clock, all its threads) from the first request until the collector
  holds every span:
  inflate, multipart, checks, the fsync'd spool write, merge, runs -> spans, the protobuf
  encoding, the POST to the collector and the spool marks. Two request shapes: each run posted
  whole (post with its end, as the SDK sends a run that ended before its batch left), and each
  run as a post and a patch (a run still open when the batch left: the harder case, two items
  to merge).

The target (issue 17): otel-runs at least 2x faster per run, i.e. ratio (baseline / otel-runs)
>= 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import httpx

from bench.receiver import _cpu_s, _pin
from bench.runs_to_spans import _cpu_us, _trace

RUNS_PER_REQUEST: Final = 99  # 33 traces of 3 runs: the SDK's batch of ~100 runs
SENDERS: Final = 2
_READY: Final = re.compile(r"ready http=\S+:(?P<http>\d+) ")
_IDS: Final = ("id", "trace_id", "dotted_order", "parent_run_id")
_PATCHED: Final = ("end_time", "outputs", "events", "extra")
"""What a run's patch carries (as `Client.update_run` sends it); its post has the rest."""


# --- the SDK's own request bodies -------------------------------------------------------------


def sdk_operations(payload: dict[str, Any], *, split: bool) -> list[Any]:
    """The SDK tracing queue's operations for one run (`serialize_run_dict`): one post, or
    with `split` a post and a patch (the run still open when its batch left)."""
    from langsmith._internal._operations import serialize_run_dict

    if not split:
        return [serialize_run_dict("post", dict(payload))]
    ids: dict[str, Any] = {k: payload.get(k) for k in _IDS}
    post = {k: v for k, v in payload.items() if k not in _PATCHED}
    patch: dict[str, Any] = {**ids}
    patch.update((k, payload[k]) for k in _PATCHED if k in payload)
    return [serialize_run_dict("post", post), serialize_run_dict("patch", patch)]


def sdk_bodies(payloads: list[dict[str, Any]], *, split: bool) -> tuple[list[bytes], str]:
    """The zstd multipart bodies the SDK sends for these runs, RUNS_PER_REQUEST runs each, and
    their Content-Type. `split`: each run as a post and a patch instead of one post."""
    from langsmith._internal._compressed_traces import CompressedTraces
    from langsmith._internal._constants import _BOUNDARY
    from langsmith._internal._operations import (
        compress_multipart_parts_and_context,
        serialized_run_operation_to_multipart_parts_and_context,
    )

    bodies = []
    for start in range(0, len(payloads), RUNS_PER_REQUEST):
        frame = CompressedTraces()
        for payload in payloads[start : start + RUNS_PER_REQUEST]:
            for operation in sdk_operations(payload, split=split):
                parts, _ = serialized_run_operation_to_multipart_parts_and_context(operation)
                compress_multipart_parts_and_context(parts, frame, _BOUNDARY)
        frame.compressor_writer.write(f"--{_BOUNDARY}--\r\n".encode())
        frame.compressor_writer.close()  # type: ignore[no-untyped-call]
        bodies.append(frame.buffer.getvalue())
    return bodies, f"multipart/form-data; boundary={_BOUNDARY}"


# --- the collector at the other end -------------------------------------------------------------

_COLLECTOR = r"""
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
count = [0]
lock = threading.Lock()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        request = ExportTraceServiceRequest.FromString(
            self.rfile.read(int(self.headers["Content-Length"])))
        spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        with lock:
            count[0] += spans
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        body = str(count[0]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
"""


class _Collector:
    """An OTLP/HTTP collector in a process of its own (so neither side's CPU figure holds its
    work), pinned with this process; counts the spans it received."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _COLLECTOR], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        _pin(self.process.pid, this_process=True)
        self.url = f"http://127.0.0.1:{port}/v1/traces"
        self._client = httpx.Client(timeout=10)

    @property
    def spans(self) -> int:
        return int(self._client.get(self.url).text)

    def close(self) -> None:
        self._client.close()
        self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def sdk_export(
    payloads: list[dict[str, Any]], collector_url: str, *, split: bool = False
) -> Callable[[], object]:
    """The SDK's own OTel export of the runs, through to a POST to the collector: the same
    operations its tracing queue makes of them (`sdk_operations`), a post and a patch each
    with `split`."""
    from langsmith._internal.otel._otel_exporter import OTELExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    def run() -> None:
        provider = TracerProvider()
        exporter = OTLPSpanExporter(endpoint=collector_url)
        provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=1_000_000))
        otel = OTELExporter(tracer_provider=provider)  # type: ignore[no-untyped-call]
        operations = [op for payload in payloads for op in sdk_operations(payload, split=split)]
        otel.export_batch(operations, {})
        provider.force_flush()
        provider.shutdown()

    return run


class _Server:
    """`otel-runs serve` with its LangSmith API sending to the collector, pinned to core 0."""

    def __init__(self, workdir: Path, collector_url: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANGSMITH_")}
        env.update(OTEL_RUNS_RUN_SETTLE_SECONDS="0", OTEL_RUNS_SPOOL_MAX_BYTES=str(4 * 1024**3))
        command = [
            sys.executable, "-m", "otel_runs.cli", "serve", "--http-port", "auto",
            "--grpc-port", "0", "--store", str(workdir / "runs.sqlite"),
            "--spool", str(workdir / "spool.sqlite"), "--to", "otlp-http", collector_url,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = _READY.search(line)
        if found is None:
            self.process.kill()
            raise RuntimeError(f"otel-runs serve did not start: {line!r}")
        self.url = f"http://127.0.0.1:{found['http']}/runs/multipart"
        _pin(self.process.pid, this_process=False)

    def close(self) -> None:
        self.process.send_signal(signal.SIGKILL)  # the spool is thrown away with the directory
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _send_all(url: str, bodies: list[bytes], content_type: str) -> None:
    headers = {"content-type": content_type, "content-encoding": "zstd"}
    errors: list[BaseException] = []

    def worker(share: list[bytes]) -> None:
        try:
            with httpx.Client(timeout=60) as client:
                for body in share:
                    answer = client.post(url, content=body, headers=headers)
                    if answer.status_code != 202 or answer.json()["rejected"]:
                        raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(bodies[i::SENDERS],)) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def server_us(
    server: _Server, collector: _Collector, bodies: list[bytes], content_type: str, runs: int
) -> tuple[float, float]:
    """(server CPU µs per run, wall µs per run) from the first request to the last span out."""
    expected = collector.spans + runs
    before, start = _cpu_s(server.process.pid), time.perf_counter()
    _send_all(server.url, bodies, content_type)
    deadline = time.monotonic() + 300
    while (got := collector.spans) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {got} of {expected} spans reached the collector")
        time.sleep(0.005)
    wall = time.perf_counter() - start
    after = _cpu_s(server.process.pid)
    cpu = (after - before) if before is not None and after is not None else wall
    return cpu / runs * 1e6, wall / runs * 1e6


def _runs(count: int) -> list[dict[str, Any]]:
    """`count` runs of agent traces with new ids, as JSON values (what the SDK serializes)."""
    payloads = [run for i in range(count // 3) for run in _trace(i)]
    return [json.loads(json.dumps(p, default=str)) for p in payloads]


SHAPES: Final = {
    "post": "LangSmith API -> OTLP, runs posted whole",
    "post+patch": "LangSmith API -> OTLP, runs as post + patch",
}
_OPERATIONS: Final = {"post": "posts", "post+patch": "posts and patches"}


def bench(*, smoke: bool) -> list[dict[str, Any]]:
    """Rows in the format of bench/run.py; `ratio` is baseline / otel-runs (>= 2 is the target).
    Each shape has its own baseline: the SDK exporting the same operations (a run sent as a post
    and a patch costs the SDK's exporter two operations too); the post + patch row also gives
    its ratio to the whole-post baseline (`ratio_to_whole_baseline`)."""
    # The server's CPU comes from its CPU clock (`_cpu_s`); where only /proc's 10 ms clock
    # ticks can be read, even a --smoke run sends enough runs (~35 ms of server CPU) to read
    # more than none.
    n_runs, rounds = (RUNS_PER_REQUEST * 4, 1) if smoke else (RUNS_PER_REQUEST * 30, 5)
    payloads = [run for i in range(n_runs // 3) for run in _trace(i)]  # as the SDK holds them
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    _pin(os.getpid(), this_process=True)
    base: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    cpu: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    wall: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    collector = _Collector()
    baselines = {
        shape: sdk_export(payloads, collector.url, split=shape != "post") for shape in SHAPES
    }
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-langsmith-api-") as tmp,
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")  # the SDK warns about its own deprecations
            server = _Server(Path(tmp), collector.url)
            try:
                for baseline in baselines.values():
                    baseline()  # warm-up: imports, caches
                warm, content_type = sdk_bodies(_runs(RUNS_PER_REQUEST), split=False)
                server_us(server, collector, warm, content_type, RUNS_PER_REQUEST)
                for _ in range(rounds):
                    for shape in SHAPES:
                        base[shape].append(_cpu_us(baselines[shape], len(payloads)))
                        # New runs every time: a run id sent again is a duplicate, not a run.
                        shaped, content_type = sdk_bodies(_runs(n_runs), split=shape != "post")
                        used, took = server_us(server, collector, shaped, content_type, n_runs)
                        cpu[shape].append(used)
                        wall[shape].append(took)
            finally:
                server.close()
    finally:
        collector.close()
        if affinity is not None:
            os.sched_setaffinity(0, affinity)
    whole_us = statistics.median(base["post"])
    rows = []
    for shape, label in SHAPES.items():
        baseline_us = statistics.median(base[shape])
        ours, took = statistics.median(cpu[shape]), statistics.median(wall[shape])
        row = {
            "benchmark": label,
            "baseline": f"langsmith SDK OTel export of the same {_OPERATIONS[shape]}"
            " (serialize, OTELExporter, BSP, OTLP POST)",
            "baseline_us": baseline_us,
            "otel_runs_us": ours,
            "ratio": baseline_us / ours,
            "target": ">= 2 (baseline / otel-runs)",
            "wall_us": took,
            "runs_per_core_s": 1e6 / ours,
            "baseline_runs_per_s": 1e6 / baseline_us,
        }
        if shape != "post":
            row["ratio_to_whole_baseline"] = whole_us / ours
        rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, for the test suite")
    args = parser.parse_args(argv)
    rows = bench(smoke=args.smoke)
    for row in rows:
        print(
            f"{row['benchmark']:45} {row['runs_per_core_s']:8,.0f} runs/s per core"
            f" ({row['otel_runs_us']:.1f} µs/run, {1e6 / row['wall_us']:,.0f} runs/s wall)"
            f"  baseline {row['baseline_us']:.1f} µs/run  ratio {row['ratio']:.2f}"
            f"  target {row['target']}"
        )
        if "ratio_to_whole_baseline" in row:
            print(f"{'':45} ratio to the whole-post baseline {row['ratio_to_whole_baseline']:.2f}")
    return rows


if __name__ == "__main__":
    main()
