"""Benchmarks, each a ratio against a baseline measured in the same process.

    bench/run            full run (a few minutes)
    bench/run --smoke    tiny inputs, seconds: proves the benchmarks still run

Rounds are interleaved (baseline, candidate, baseline, ...) and medians reported, because these
machines are noisy. Nothing here is a pass/fail test; targets are printed next to the figures.
One module per benchmark: hot_path.py, conversion.py.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from bench.common import Row
from bench.conversion import conversion
from bench.hot_path import hot_path


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, for the test suite")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args(argv)
    n, rounds = (200, 1) if args.smoke else (20_000, 5)
    rows = hot_path(n, rounds) + conversion(n if args.smoke else n // 2, rounds)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows, rounds)
    return rows


def print_table(rows: list[Row], rounds: int) -> None:
    print(f"{'benchmark':40} {'baseline':41} {'base µs':>8} {'ours µs':>8} {'ratio':>6}  target")
    for item in rows:
        print(
            f"{item['benchmark']:40} {item['baseline']:41} {item['baseline_us']:8.1f}"
            f" {item['otel_runs_us']:8.1f} {item['ratio']:6.2f}  {item['target']}"
        )
    print(f"\n(medians of {rounds} interleaved rounds)")


if __name__ == "__main__":
    main()
