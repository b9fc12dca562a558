"""`kill -9` of an app using RunSpanProcessor at random points during a steady stream.

Promise (docs/reliability.md): what the app loses is bounded by what was not yet handed to the
sink: the batch queue (max_queue_size) plus the batch being exported (max_export_batch_size).
The store is never corrupted and a restarted app keeps writing to it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from otel_runs.dotted_order import problems
from otel_runs.sinks.sqlite import read_runs
from tests.support.steady_app import SPANS_PER_TRACE

ROOT = Path(__file__).resolve().parent.parent
QUEUE, BATCH = 200, 50


def _run_and_kill(store: Path, after_s: float) -> int:
    """Start the app, SIGKILL it after `after_s`; the spans it had ended by then."""
    app = subprocess.Popen(
        [sys.executable, "-m", "tests.support.steady_app", str(store), str(QUEUE), str(BATCH)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert app.stdout is not None
    first = app.stdout.readline()  # the app is up and producing
    assert first.startswith("ended"), first
    time.sleep(after_s)
    os.kill(app.pid, signal.SIGKILL)
    out, _ = app.communicate(timeout=30)
    lines = [first, *out.splitlines()]
    ended = max(int(line.split()[1]) for line in lines if line.startswith("ended"))
    return ended * SPANS_PER_TRACE


def test_kill_9_loses_at_most_the_unexported_queue(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    rng = random.Random(7)
    ended_total = 0
    for _ in range(4):
        ended_total += _run_and_kill(store, rng.uniform(0.3, 1.5))
        runs = read_runs(store)  # readable after every crash: no corruption
        assert len({run.id for run in runs}) == len(runs)
    lost = ended_total - len(runs)
    print(f"4 kills: {ended_total} spans ended, {len(runs)} stored, {lost} lost")
    assert 0 <= lost <= 4 * (QUEUE + BATCH), (ended_total, len(runs))
    assert len(runs) > ended_total / 2  # most of the stream arrived
    by_id = {run.id: run for run in runs}
    for run in runs:
        assert problems(run.dotted_order, run.id, run.trace_id, run.parent_run_id) == []
        # A child whose parent was lost in the crash still names it; never a wrong parent.
        parent = by_id.get(run.parent_run_id) if run.parent_run_id else None
        assert parent is None or parent.trace_id == run.trace_id
