"""The benchmarks run (on tiny inputs), so they cannot rot. Their figures are not checked here."""

from __future__ import annotations

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
        assert row["baseline_us"] > 0 and row["otel_runs_us"] > 0
