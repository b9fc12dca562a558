"""Benchmarks, each a ratio against a baseline measured in the same process.

    bench/run                    full run (tens of minutes on 2 cores; see docs/benchmarks.md)
    bench/run --smoke            tiny inputs, seconds: proves the benchmarks still run
    bench/run --only peers,memory   some benchmarks only (names: see --help)
    bench/run --plots            also write PNG plots to docs/img/ (needs matplotlib)

Rounds are interleaved (baseline, candidate, baseline, ...) and medians reported, because these
machines are noisy. Nothing here is a pass/fail test; targets are printed next to the figures.
One module per benchmark: hot_path.py, conversion.py, receiver.py, forwarding.py, peers.py,
runs_to_spans.py, langsmith_api.py, memory.py, scaling.py; plots.py draws the rows. A benchmark
that cannot run here (a peer not installed) prints a row saying why; `main` returns the measured
rows only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import plots
from bench.common import Row
from bench.conversion import conversion
from bench.hot_path import hot_path
from bench.memory import memory
from bench.peers import peers
from bench.scaling import scaling

PLOTS_DIR = plots.DEFAULT_DIR


BENCHMARKS = (
    "hot_path", "conversion", "burst", "peers", "receiver", "forwarding", "runs_to_spans",
    "langsmith_api", "memory", "scaling",
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, for the test suite")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    parser.add_argument(
        "--only", metavar="NAMES", help=f"comma-separated, of: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--plots",
        nargs="?",
        const=str(PLOTS_DIR),
        metavar="DIR",
        help=f"write PNG plots (default dir {PLOTS_DIR.relative_to(PLOTS_DIR.parents[1])})",
    )
    parser.add_argument(
        "--memory-spans",
        type=int,
        metavar="N",
        help="spans streamed by the memory benchmark (default 1,000,000; 2,000 with --smoke)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="time limit of each memory stream; a slower stream stops early and says so",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="N",
        help="interleaved rounds of the benchmarks that take medians (default 5; 1 with --smoke)",
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else set(BENCHMARKS)
    if only - set(BENCHMARKS):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(only - set(BENCHMARKS)))}")
    n, rounds = (200, 1) if args.smoke else (20_000, 5)
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error("--rounds must be at least 1")
        rounds = args.rounds
    rows: list[Row] = []
    if "hot_path" in only:
        rows += hot_path(n, rounds)
    if "conversion" in only:
        rows += conversion(n if args.smoke else n // 2, rounds)
    if "burst" in only:
        from bench.burst import burst  # starts a destinations process and one per candidate

        rows += burst(200 if args.smoke else 20_000, rounds)
    if "peers" in only:
        rows += peers(n if args.smoke else 5_000, rounds)
    if "receiver" in only:
        from bench.receiver import bench as receiver  # starts an `otel-runs serve` subprocess

        rows += receiver(smoke=args.smoke)
    if "forwarding" in only:
        from bench.forwarding import forwarding

        rows += forwarding(4 if args.smoke else 400, rounds)
    if "runs_to_spans" in only:
        from bench.runs_to_spans import measure as runs_to_spans  # needs the langsmith SDK

        rows += runs_to_spans(30 if args.smoke else 3_000, rounds)
    if "langsmith_api" in only:
        from bench.langsmith_api import bench as langsmith_api  # starts `otel-runs serve`

        rows += langsmith_api(smoke=args.smoke)
    if "memory" in only:
        spans = args.memory_spans or (2_000 if args.smoke else 1_000_000)
        rows += memory(spans, args.budget)
    if "scaling" in only:
        rows += scaling(50 if args.smoke else 2_000, rounds if args.smoke else 3)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows, rounds)
    if args.plots:
        for path in plots.write(rows, Path(args.plots)):
            print(f"wrote {path}", file=sys.stderr)
    return [item for item in rows if "skipped" not in item]


def print_table(rows: list[Row], rounds: int) -> None:
    """One line per row; figures are µs per span unless the row has another `unit` (MiB)."""
    wide = max([len(item["benchmark"]) for item in rows] + [9])
    base = min(max([len(item["baseline"]) for item in rows] + [8]), 60)
    print(
        f"{'benchmark':{wide}} {'baseline':{base}} {'baseline':>9} {'otel-runs':>9}"
        f" {'unit':4} {'ratio':>6}  target"
    )
    for item in rows:
        if "skipped" in item:
            print(
                f"{item['benchmark']:{wide}} {item['baseline'][:base]:{base}} skipped: "
                f"{item['skipped']}"
            )
            continue
        rate = f"  ({item['spans_per_s']:,.0f} spans/s wall)" if "spans_per_s" in item else ""
        print(
            f"{item['benchmark']:{wide}} {item['baseline'][:base]:{base}}"
            f" {item['baseline_us']:9.1f} {item['otel_runs_us']:9.1f} {item.get('unit', 'µs'):4}"
            f" {item['ratio']:6.2f}  {item['target']}{rate}"
        )
    fewer = "" if rounds < 3 else "; scaling and forwarding: 3"
    print(f"\n(medians of {rounds} interleaved rounds{fewer})")


if __name__ == "__main__":
    main()
