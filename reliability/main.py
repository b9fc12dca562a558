"""Reliability runs of `otel-runs serve`: soak, LangSmith outage, kill -9 loop, limits.

    reliability/run                  long mode: 30-minute soak, 8-minute outage, 50 kills, limits
    reliability/run --smoke          about a minute (tests/test_reliability_smoke.py runs it)
    reliability/run --only outage,crash_loop --kills 20
    reliability/run --soak-minutes 5 --json

Each scenario returns its figures as a dict (limits: one per probe); this prints them and then
the promises each run checks (docs/reliability.md): zero acknowledged spans lost, no run that
was never sent, no run delivered as two different runs, every Retry-After honoured, every limit
answered as documented, a clean exit. The exit status is 1 when a promise was broken.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reliability.common import Figures
from reliability.crash_loop import crash_loop
from reliability.limits import limits
from reliability.outage import long_phases, outage, smoke_phases
from reliability.soak import soak

SCENARIOS = ("soak", "outage", "crash_loop", "limits")


def run(argv: Sequence[str] | None = None) -> list[Figures]:
    """Parse arguments, run the scenarios, print; returns every figure dict."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="short versions (about a minute)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also write them to FILE")
    parser.add_argument("--only", metavar="NAMES", help=f"comma-separated: {', '.join(SCENARIOS)}")
    parser.add_argument("--soak-minutes", type=float, metavar="M", help="default 30 (smoke: 1/3)")
    parser.add_argument("--outage-minutes", type=float, metavar="M", help="default 8")
    parser.add_argument("--kills", type=int, metavar="N", help="default 50 (smoke: 3)")
    parser.add_argument(
        "--rate",
        type=float,
        default=10.0,
        metavar="R",
        help="soak and outage requests per second, 20 spans each (default 10)",
    )
    parser.add_argument("--seed", type=int, help="seed of the crash loop's kill times")
    parser.add_argument(
        "--crash-workers",
        default="1",
        metavar="N,N,...",
        help="worker counts the crash loop's receivers are started with, one drawn per start "
        "(default 1)",
    )
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else list(SCENARIOS)
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    figures: list[Figures] = []
    if "soak" in only:
        minutes = args.soak_minutes or (1 / 3 if args.smoke else 30.0)
        figures.append(soak(minutes * 60, rate_per_s=args.rate))
    if "outage" in only:
        phases = smoke_phases() if args.smoke else long_phases(args.outage_minutes or 8.0)
        figures.append(
            outage(phases, rate_per_s=args.rate, spool_max_mib=None if args.smoke else 16)
        )
    if "crash_loop" in only:
        kills = args.kills if args.kills is not None else (3 if args.smoke else 50)
        up_s = (0.5, 1.5) if args.smoke else (0.5, 4.0)
        workers = tuple(int(n) for n in args.crash_workers.split(","))
        figures.append(crash_loop(kills, up_s=up_s, seed=args.seed, workers=workers))
    if "limits" in only:
        figures.extend(limits(long=not args.smoke))
    if args.save:
        args.save.write_text(json.dumps(figures, indent=2) + "\n")
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_figures(figures)
    return figures


def broken_promises(figures: Sequence[Figures]) -> list[str]:
    """What went wrong, one line each; empty when every promise held."""
    broken: list[str] = []
    for item in figures:
        name = item["scenario"]
        if name == "limits":
            if not item["ok"] and not item.get("gap"):
                broken.append(
                    f"limits: {item['limit']}: {item.get('probe', '')} -> {item['answer']}"
                )
            continue
        for key in ("lost", "extra_runs", "accepted_twice", "changed_identity", "dropped_requests"):
            if item.get(key):
                broken.append(f"{name}: {key} = {item[key]}")
        if not item.get("all_arrived", True):
            broken.append(f"{name}: not every acknowledged span arrived in time")
        if item.get("exit_code", 0) != 0:
            broken.append(f"{name}: the receiver exited with {item['exit_code']}")
        for row in item.get("retry_spacing", []):
            if row["violations"]:
                broken.append(
                    f"{name}: {row['phase']}: {row['violations']} retries came sooner than "
                    f"Retry-After (shortest gap {row['min_gap_s']} s)"
                )
    return broken


def print_figures(figures: Sequence[Figures]) -> None:
    limit_rows = [item for item in figures if item["scenario"] == "limits"]
    for item in figures:
        if item["scenario"] == "limits":
            continue
        print(f"== {item['scenario']}")
        for key, value in item.items():
            if key in ("scenario", "retry_spacing"):
                continue
            print(f"  {key:34} {value}")
        for row in item.get("retry_spacing", []):
            print(f"  retries after {row['phase']!r}: {_inline(row, skip=('phase',))}")
    if limit_rows:
        print("== limits")
        for row in limit_rows:
            verdict = "ok " if row["ok"] else ("GAP" if row.get("gap") else "FAIL")
            if row["ok"] and row.get("gap"):
                verdict = "gap"
            print(f"  [{verdict}] {row['limit']} ({row.get('setting', '')})")
            if row.get("probe"):
                print(f"        sent: {row['probe']}")
            print(f"        got:  {row['answer'][:160]}")
            extra = _inline(row, skip=("limit", "setting", "probe", "answer", "ok", "gap",
                                       "scenario"))  # fmt: skip
            if extra:
                print(f"        {extra}")
    broken = broken_promises(figures)
    print("== promises")
    for line in broken or ["all kept"]:
        print(f"  {line}")


def _inline(row: dict[str, Any], skip: Sequence[str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in row.items() if key not in skip)


def main(argv: Sequence[str] | None = None) -> int:
    return 1 if broken_promises(run(argv)) else 0


if __name__ == "__main__":
    raise SystemExit(main())
