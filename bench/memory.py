"""Peak RSS while a long stream of spans, half of them orphans whose parents never arrive, goes
through `RunExporter` and through the receiver (`otel-runs serve`).

The stream: per ten spans, one complete trace (an agent span with four children) and five
children of a remote parent that is never sent. The orphans wait for their parent until the TTL
(30 s) or the waiting-room cap (10,000 spans) pushes them out as roots, so both the cap and the
"known lineage" memory are exercised. Nothing here sleeps to let them expire: a stream this fast
hits the cap first, which is the case the cap exists for.

Each figure is the peak RSS of the process doing the work and nothing else:

- exporter: a child process (`python -m bench.memory --exporter N`) makes the spans with the
  SDK and hands them to `RunExporter` in 512-span batches (what `BatchSpanProcessor` does,
  minus its thread, so no span is dropped), the runs going to a sink that serializes and drops
  them.
- receiver: `otel-runs serve` in a child process, with a SQLite store and spool in a temp dir,
  fed 512-span OTLP/HTTP protobuf requests over loopback, one at a time, retrying 429/503 as
  an OTLP exporter does.

Peak RSS is the kernel's `VmHWM` of the measured process (`/proc`: Linux; elsewhere the exporter
falls back to `getrusage` and the receiver row says it cannot be measured). Not `getrusage` on
Linux: a child's ru_maxrss also counts its parent's size at the fork.

"Under the cap" is checked as flatness: the peak after the whole stream against the peak half
way through it (half the spans exported; half the runs stored, for the receiver), in the same
process. The caps are counts (10,000 waiting spans, 100,000 remembered lineages, 10,000
undelivered runs), filled after the first ~110,000 spans; memory bounded by them stops growing
then, so the second half of a long stream adds nothing, while a leak or an unbounded map keeps
growing. The rows carry their (spans, MiB) samples for the plot.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.common import Reidentifier, Row, row

BATCH = 512
WAITING_CAP = 10_000
"""`RunExporter(max_waiting_spans=...)`; the default of OTEL_RUNS_MAX_WAITING_SPANS."""
TARGET = "<= 1.2 (flat: bounded by the caps)"
_SAMPLES = 100
_ROOT = Path(__file__).resolve().parent.parent
_RUSAGE_PER_MIB = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, else KiB


def _rss_mib() -> float:
    """Peak RSS of this process so far.

    `/proc/self/status` VmHWM where there is one: `getrusage`'s ru_maxrss of a child process
    also counts the parent's memory at the time of the fork (Linux keeps the pre-exec peak).
    """
    try:
        return _hwm_mib(os.getpid())
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _RUSAGE_PER_MIB


# --- exporter: runs in the child ------------------------------------------------------------------


def stream_through_exporter(total: int, budget_s: float) -> dict[str, Any]:
    """Make `total` spans (half orphans), export them in batches; RSS and counters.

    Stops early once `budget_s` seconds have passed, so a slow path shows as fewer spans in the
    row instead of a benchmark that never ends."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    from bench.common import ATTRIBUTES, NullSink
    from otel_runs import RunExporter

    exporter = RunExporter(NullSink(), max_waiting_spans=WAITING_CAP)
    most_waiting = 0

    class Batches(SpanProcessor):
        """BatchSpanProcessor's batching without its thread: nothing dropped, nothing racing."""

        def __init__(self) -> None:
            self.batch: list[ReadableSpan] = []

        def on_end(self, span: ReadableSpan) -> None:
            nonlocal most_waiting
            self.batch.append(span)
            if len(self.batch) >= BATCH:
                exporter.export(self.batch)
                self.batch = []
                most_waiting = max(most_waiting, exporter.stats()["waiting"])

    batches = Batches()
    provider = TracerProvider()
    provider.add_span_processor(batches)
    tracer = provider.get_tracer("bench.memory")
    ids = random.Random(6)
    samples: list[tuple[int, float]] = [(0, _rss_mib())]
    every = max(total // _SAMPLES // 10 * 10, 10)
    deadline = time.monotonic() + budget_s
    made = 0
    while made < total and time.monotonic() < deadline:
        with tracer.start_as_current_span("agent", attributes=ATTRIBUTES):
            for _ in range(4):
                tracer.start_span("chat", attributes=ATTRIBUTES).end()
        missing = SpanContext(
            trace_id=ids.getrandbits(128) or 1,
            span_id=ids.getrandbits(64) or 1,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
        orphan_parent = trace.set_span_in_context(NonRecordingSpan(missing))
        for _ in range(5):
            tracer.start_span("chat", context=orphan_parent, attributes=ATTRIBUTES).end()
        made += 10
        if made % every == 0:
            samples.append((made, _rss_mib()))
    elapsed = time.monotonic() - deadline + budget_s
    exporter.export(batches.batch)
    exporter.shutdown()  # emits the spans still waiting: part of the peak
    samples.append((made, _rss_mib()))
    checkpoint, checkpoint_mib = _halfway(samples)
    return {
        "spans": made,
        "seconds": elapsed,
        "checkpoint_spans": checkpoint,
        "checkpoint_mib": checkpoint_mib,
        "peak_mib": _rss_mib(),
        "samples": samples,
        "most_waiting": most_waiting,
        "waiting_cap": WAITING_CAP,
        "stats": exporter.stats(),
    }


def _halfway(samples: list[tuple[int, float]]) -> tuple[int, float]:
    """The first (spans, MiB) sample at or past half the spans of the last one."""
    half = samples[-1][0] / 2
    return next(sample for sample in samples if sample[0] >= half)


def exporter_memory(total: int, budget_s: float) -> Row:
    """Runs the exporter stream in a child process; one row."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--exporter", str(total), str(budget_s)],
        capture_output=True,
        text=True,
        check=True,
        cwd=_ROOT,
        env=env,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    stats = result["stats"]
    lost = result["spans"] - stats["converted"] - stats["rejected"]
    done_note = "" if result["spans"] >= total else f" (time budget: {result['spans']:,} done)"
    item = row(
        f"memory: peak RSS, RunExporter, {total:,} spans (half orphans){done_note}",
        f"same process after the first {result['checkpoint_spans']:,} spans",
        result["checkpoint_mib"],
        result["peak_mib"],
        TARGET,
    )
    item.update(
        unit="MiB",
        spans=result["spans"],
        seconds=result["seconds"],
        samples=result["samples"],
        most_waiting=result["most_waiting"],
        waiting_cap=result["waiting_cap"],
        orphaned=stats["orphaned"],
        evicted=stats["evicted"],
        lost=lost,
    )
    return item


# --- receiver: `otel-runs serve` in a child, fed from here ---------------------------------------


def _template() -> Any:
    """One 512-span request of the stream's shape, as a protobuf message to re-id per request."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    from bench.common import ATTRIBUTES

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench.memory")
    ids = random.Random(7)
    while len(memory.get_finished_spans()) < BATCH:
        with tracer.start_as_current_span("agent", attributes=ATTRIBUTES):
            for _ in range(4):
                tracer.start_span("chat", attributes=ATTRIBUTES).end()
        missing = SpanContext(
            ids.getrandbits(128), ids.getrandbits(64), True, TraceFlags(TraceFlags.SAMPLED)
        )
        parent = trace.set_span_in_context(NonRecordingSpan(missing))
        for _ in range(5):
            tracer.start_span("chat", context=parent, attributes=ATTRIBUTES).end()
    return encode_spans(memory.get_finished_spans()[:BATCH])


def _requests(total: int) -> Iterator[tuple[int, bytes]]:
    """(spans, body) per request: the template with fresh ids per request (`Reidentifier`)."""
    template = _template()
    copies = Reidentifier(template)
    sent = 0
    number = 0
    while sent < total:
        number += 1
        copies.rewrite(number)
        count = min(BATCH, total - sent)
        if count < BATCH:
            del template.resource_spans[0].scope_spans[0].spans[count:]
        sent += count
        yield count, template.SerializeToString()


def _hwm_mib(pid: int) -> float:
    """The kernel's peak RSS of a live process (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise OSError("no VmHWM")


def _peak_until_exit(process: subprocess.Popen[str]) -> float:
    """Follow a process's VmHWM until it exits (shutdown work counts too); the last value.

    Not `wait4`'s rusage: a child's ru_maxrss includes this (parent) process's size at fork.
    """
    peak = 0.0
    while process.poll() is None:
        with contextlib.suppress(OSError):  # it may exit between poll and read
            peak = max(peak, _hwm_mib(process.pid))
        time.sleep(0.05)
    return peak


def _stored(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def _wait_for_runs(
    store: Path, pid: int, target: int, timeout_s: float, samples: list[tuple[int, float]]
) -> int:
    """Wait until the store holds `target` runs or `timeout_s` passed, sampling (runs, VmHWM)."""
    deadline = time.monotonic() + timeout_s
    while True:
        count = _stored(store)
        with contextlib.suppress(OSError):
            samples.append((count, _hwm_mib(pid)))
        if count >= target or time.monotonic() >= deadline:
            return count
        time.sleep(0.5)


def _post(connection: http.client.HTTPConnection, body: bytes) -> None:
    """One request, retried as an OTLP exporter would on 429/503."""
    for _ in range(600):
        connection.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            return
        if response.status not in (429, 503):
            raise RuntimeError(f"receiver answered {response.status}")
        time.sleep(float(response.getheader("Retry-After") or 1))
    raise RuntimeError("receiver kept refusing")


@contextlib.contextmanager
def _serve(scratch: Path, store: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`otel-runs serve` on a free HTTP port, gRPC off; (process, port) once it is ready."""
    spool = scratch / "spool.sqlite"
    command = [sys.executable, "-m", "otel_runs.cli", "serve", "--http-port", "auto"]
    command += ["--grpc-port", "0", "--store", str(store), "--spool", str(spool)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=scratch
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        if "ready" not in ready:
            raise RuntimeError(f"otel-runs serve did not start: {ready!r}")
        port = int(ready.split("http=", 1)[1].split()[0].rsplit(":", 1)[1])
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def receiver_memory(total: int, budget_s: float) -> Row:
    """Streams through `otel-runs serve`; one row (or a row saying why it could not).

    Sending stops once `budget_s` has passed; the receiver then gets up to `budget_s` more to
    turn the spool into runs (all but the orphans the waiting room may still hold) before
    SIGTERM; what it has not converted by then stays spooled on disk. The baseline is the peak
    when half of the runs finally stored were stored.
    """
    benchmark = f"memory: peak RSS, otel-runs serve, {total:,} spans (half orphans)"
    if not Path("/proc/self/status").exists():
        return {
            "benchmark": benchmark,
            "baseline": "-",
            "target": TARGET,
            "skipped": "needs Linux /proc for another process's peak RSS",
        }
    samples: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory(prefix="otel-runs-bench-") as name:
        scratch = Path(name)
        store = scratch / "runs.sqlite"
        with _serve(scratch, store) as (process, port):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            start = time.monotonic()
            sent = 0
            for number, (count, body) in enumerate(_requests(total), 1):
                _post(connection, body)
                sent += count
                if number % 20 == 0:
                    samples.append((_stored(store), _hwm_mib(process.pid)))
                if time.monotonic() - start > budget_s:
                    break
            connection.close()
            sending_s = time.monotonic() - start
            expected = sent - WAITING_CAP  # orphans may still be waiting for their parent
            stored_in_time = _wait_for_runs(store, process.pid, expected, budget_s, samples)
            elapsed = time.monotonic() - start
            process.send_signal(signal.SIGTERM)
            peak_mib = _peak_until_exit(process)
        stored = _stored(store)
    samples.append((stored, peak_mib))
    halfway, halfway_mib = _halfway(samples)
    if sent < total:
        benchmark += f" (time budget: {sent:,} sent)"
    if stored_in_time < expected:
        benchmark += f" (time budget: {stored:,} converted)"
    item = row(
        benchmark,
        f"same process when {halfway:,} runs were stored",
        halfway_mib,
        peak_mib,
        TARGET,
    )
    item.update(
        unit="MiB",
        spans=sent,
        sending_seconds=sending_s,
        seconds=elapsed,
        stored_in_time=stored_in_time,
        stored=stored,
        spooled_at_stop=sent - stored,
        exit_code=process.returncode,
        samples=samples[:: max(len(samples) // _SAMPLES, 1)] + samples[-1:],
    )
    return item


def memory(total: int, budget_s: float) -> list[Row]:
    """Both rows; each stream stops early after `budget_s` seconds (the row says so)."""
    return [exporter_memory(total, budget_s), receiver_memory(total, budget_s)]


def main(argv: Sequence[str]) -> None:
    if len(argv) == 3 and argv[0] == "--exporter":
        print(json.dumps(stream_through_exporter(int(argv[1]), float(argv[2]))))
        return
    raise SystemExit("usage: python -m bench.memory --exporter SPANS SECONDS (used by bench/run)")


if __name__ == "__main__":
    main(sys.argv[1:])
