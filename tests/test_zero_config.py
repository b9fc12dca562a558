"""`OTEL_TRACES_EXPORTER=otel_runs opentelemetry-instrument python app.py` lands runs in the local
store with no code change; `otel-runs tree` draws them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from otel_runs.sinks.sqlite import read_runs

APP = Path(__file__).parent / "support" / "plain_app.py"
BIN = Path(sys.executable).parent


def test_entry_point_exporter_writes_the_local_store(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "OTEL_"))},
        "OTEL_TRACES_EXPORTER": "otel_runs",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_RUNS_STORE": str(store),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    subprocess.run(
        [str(BIN / "opentelemetry-instrument"), sys.executable, str(APP)],
        env=env, check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    runs = {run.name: run for run in read_runs(store)}
    assert set(runs) == {"handle request", "agent", "chat gpt-4o-mini"}
    assert runs["chat gpt-4o-mini"].parent_run_id == runs["agent"].id
    assert runs["agent"].parent_run_id == runs["handle request"].id
    assert runs["handle request"].total_tokens == 37
    tree = subprocess.run(
        [str(BIN / "otel-runs"), "tree", "--store", str(store)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert "chat gpt-4o-mini [llm]" in tree
    assert "37 tok" in tree
