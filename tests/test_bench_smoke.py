"""The benchmarks run (on tiny inputs), so they cannot rot. Their figures are not checked here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from bench import plots
from bench.forwarding import BEFORE_ENGINE
from bench.run import main


def test_benchmarks_run_in_smoke_mode() -> None:
    rows = main(["--smoke", "--json"])
    assert {row["benchmark"] for row in rows} >= {
        "hot path CPU, flat, 1 thread",
        "hot path CPU, nested, 4 threads",
        "hot path wall, nested, 1 thread",
        "conversion + serialization CPU per span",
    }
    for row in rows:
        if row.get("unit") != "%":  # (spans lost in a burst may be none at all)
            assert row["baseline_us"] > 0 and row["otel_runs_us"] > 0
    assert {row["benchmark"] for row in rows} >= {
        "burst: app-thread wall per span",
        "burst: spans that never arrived",
    }
    # --workers 1 against the code before the engine, run from this repository's history (a
    # checkout without it falls back to that code's old rate, scaled, and says so)
    one = next(
        row for row in rows if row["benchmark"].startswith("receiver end to end, --workers 1")
    )
    if "scaled" in one["baseline"]:
        assert "not in this checkout" in one["baseline"]
    else:
        assert one["baseline"].startswith(f"main before the engine ({BEFORE_ENGINE[:7]})")
        assert len(one["round_baseline_spans_per_s"]) == 1 and one["baseline_spans_per_s"] > 0


def test_peer_memory_and_scaling_benchmarks_run_in_smoke_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = main(["--smoke", "--json", "--only", "peers,memory,scaling"])
    printed = json.loads(capsys.readouterr().out)
    names = {row["benchmark"] for row in rows}

    # A peer that is not installed is a row that says so, not a failure.
    peer_rows = [row for row in printed if row["benchmark"].startswith("conversion vs ")]
    assert len(peer_rows) == 2
    for row in peer_rows:
        assert ("skipped" in row) != ("ratio" in row), row

    exporter = next(row for row in rows if "RunExporter, 2,000 spans" in row["benchmark"])
    assert exporter["unit"] == "MiB" and exporter["lost"] == 0
    assert exporter["most_waiting"] <= exporter["waiting_cap"]
    if sys.platform == "linux":
        receiver = next(row for row in rows if "otel-runs serve, 2,000 spans" in row["benchmark"])
        assert receiver["exit_code"] == 0
        assert receiver["stored"] + receiver["spooled_at_stop"] == receiver["spans"] == 2_000

    scaled = [row for row in rows if row["benchmark"].startswith("scaling: ")]
    assert {(row["dimension"], row["x"], row["path"]) for row in scaled} == {
        (dimension, x, path)
        for dimension, xs in (
            ("attributes", (0, 10, 50, 128)),
            ("message_bytes", (1_000, 100_000, 1_000_000)),
            ("depth", (1, 10, 50)),
        )
        for x in xs
        for path in ("conversion", "hot path")
    }
    assert "scaling: conversion CPU, 1 MB input message" in names

    if importlib.util.find_spec("matplotlib") is not None:
        written = plots.write(printed, tmp_path)
        assert {path.name for path in written} == {"targets.png", "scaling.png", "memory.png"}
        for path in written:
            assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("target", "ratio", "met"),
    [
        pytest.param("<= 1.25", 1.25, True, id="at-bound"),
        pytest.param("<= 0.25", 0.3, False, id="over"),
        pytest.param("< 1 (faster)", 1.0, False, id="strict"),
        pytest.param(">= 0.4 (throughput)", 0.5, True, id="at-least"),
        pytest.param("-", 9.0, None, id="no-target"),
    ],
)
def test_plots_judge_each_row_against_its_target(
    target: str, ratio: float, met: bool | None
) -> None:
    assert plots.meets({"target": target, "ratio": ratio}) is met
