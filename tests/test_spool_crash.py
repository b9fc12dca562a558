"""`kill -9` at random points: every acknowledged span is delivered, each run once in the store,
in its right place in its tree.

A child process runs a `ReceiverService` (real spool, real SQLite store as the sink), accepts
one request after another and prints `ack N` after each `accept` returned: the moment a
front end would answer 200. The test kills it with SIGKILL at a random time, starts a new one
that goes on from the first unacknowledged request (resending it, as an OTLP exporter retries a
request that got no answer), and repeats. Request N carries the children of trace N and the
root of trace N-1, so kills also land while children wait in the assembler for their parent.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from uuid import UUID

from otel_runs.sinks.sqlite import read_runs

REQUESTS = 60
CHILDREN = 6

CHILD = r"""
import sys, time
from otel_runs.model.span_record import SpanRecord
from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks.sqlite import SqliteSink

spool, store, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
CHILDREN = int(sys.argv[5])
T0 = 1_763_800_000_000_000_000

def span(trace, index, parent):
    start = T0 + trace * 10**9 + index * 10**6
    return SpanRecord(trace_id=0x5000 + trace, span_id=trace * 100 + index + 1,
                      parent_span_id=parent, name=f"t{trace}-s{index}", start_ns=start,
                      end_ns=start + 10**6, attributes={"n": index})

def request(n):
    spans = [span(n, i, n * 100 + 1) for i in range(1, CHILDREN + 1)] if n < last else []
    if n > 0:
        spans.append(span(n - 1, 0, None))  # the root of the previous trace
    return spans

service = ReceiverService(SqliteSink(store), spool_path=spool, log_settle_s=0,
                          sink_batch_size=4)
service.start()
print("ready", flush=True)
for n in range(first, last + 1):
    service.accept(request(n))
    print(f"ack {n}", flush=True)
    time.sleep(0.01)
deadline = time.monotonic() + 60
while service.stats()["pending"] and time.monotonic() < deadline:
    time.sleep(0.01)
print("drained" if service.stop(10) else "not drained", flush=True)
"""


def _lines(process: subprocess.Popen[str], into: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.put(line.strip())
    into.put(None)


def run_child(
    spool: Path, store: Path, first: int, kill_after: float | None
) -> tuple[list[int], bool]:
    """Run the child from request `first`; kill it `kill_after` s after it is ready (None:
    let it finish). Returns the requests it acknowledged and whether it drained."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(spool), str(store), str(first), str(REQUESTS),
         str(CHILDREN)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_lines, args=(process, lines), daemon=True)
    reader.start()
    acked: list[int] = []
    drained = False
    kill_at: float | None = None
    try:
        while True:
            timeout = None if kill_at is None else max(kill_at - time.monotonic(), 0.0)
            try:
                line = lines.get(timeout=60 if timeout is None else timeout)
            except queue.Empty:
                if kill_at is None:
                    raise AssertionError("the receiver child went silent") from None
                os.kill(process.pid, signal.SIGKILL)
                kill_at = None
                continue
            if line is None:
                break
            if line == "ready" and kill_after is not None:
                kill_at = time.monotonic() + kill_after
            elif line.startswith("ack "):
                acked.append(int(line.split()[1]))
            elif line == "drained":
                drained = True
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        reader.join(30)
        assert process.stdout is not None
        process.stdout.close()
    if kill_after is None:
        assert process.returncode == 0
    return acked, drained


def test_kill_9_at_random_points_loses_no_acknowledged_span(tmp_path: Path) -> None:
    spool, store = tmp_path / "spool.sqlite", tmp_path / "runs.sqlite"
    rng = random.Random(20251122)
    next_request, kills = 0, 0
    for _ in range(12):
        if next_request > REQUESTS:
            break
        got, finished = run_child(spool, store, next_request, kill_after=rng.uniform(0.0, 0.4))
        kills += not finished
        if got:
            next_request = max(got) + 1
    _, drained = run_child(spool, store, next_request, kill_after=None)
    assert drained
    assert kills >= 3  # the stream was interrupted for real, more than once

    runs = read_runs(store)
    by_id = {run.id: run for run in runs}
    assert len(by_id) == len(runs)  # one row per run id: nothing stored twice as another run
    expected = {UUID(int=t * 100 + i + 1) for t in range(REQUESTS) for i in range(CHILDREN + 1)}
    assert set(by_id) == expected  # every acknowledged span, and nothing else
    for run in runs:
        trace, index = (int(part[1:]) for part in run.name.split("-"))
        root = UUID(int=trace * 100 + 1)
        assert run.trace_id == root, run.name  # no child became an orphan root
        assert run.parent_run_id == (None if index == 0 else root), run.name
