"""`examples/runs_to_otel_backend.py` moves a runs file into an OTLP endpoint (a loopback
collector here), and what arrives converts back to the same runs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_runs import Run
from otel_runs.otlp.decode import decode_request
from tests.fixtures.runs.roundtrip import back_to_runs, differences
from tests.support.otlp_collector import Collector, otlp_collector

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "runs_to_otel_backend.py"
EXPORT = ROOT / "tests" / "fixtures" / "runs" / "langsmith_export.jsonl"


@pytest.fixture
def collector() -> Iterator[Collector]:
    with otlp_collector() as running:
        yield running


def test_the_example_moves_a_runs_file_into_an_otlp_backend(
    collector: Collector, tmp_path: Path
) -> None:
    url, bodies = collector.url, collector.requests
    runs_file = tmp_path / "runs.jsonl"
    runs_file.write_text(EXPORT.read_text() + "not a run\n")
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(runs_file), "--endpoint", url, "--header", "k=v"],
        capture_output=True,
        text=True,
        check=True,
    )
    runs = [Run.from_dict(json.loads(line)) for line in EXPORT.read_text().splitlines()]
    assert done.stdout.strip() == f"sent {len(runs)} spans of 1 traces to {url}"
    assert f"{runs_file}:{len(runs) + 1}: skipped" in done.stderr
    assert all(headers.get("k") == "v" for headers, _ in bodies)
    records = [r for _, body in bodies for r in decode_request(body).records]
    assert differences(back_to_runs(records), runs) == {}
