"""Run fuzz targets, each in its own process, and print one line of figures per target."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fuzz.seeds import write_corpus
from fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
CRASHERS = ROOT / "tests" / "fixtures" / "fuzz"
"""One directory: the fuzzer writes crashers here, tests/test_fuzz_regressions.py replays them."""


def fuzz(name: str, runs: int, timeout_s: int) -> dict[str, Any]:
    """Fuzz one target for `runs` inputs; a crash or a hang (> timeout_s on one input) fails."""
    artifacts = CRASHERS / name
    artifacts.mkdir(parents=True, exist_ok=True)
    kept = {path.name for path in artifacts.iterdir()}  # earlier crashers, replayed by the tests
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        write_corpus(name, corpus)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "fuzz.one", name, str(corpus), f"-runs={runs}",
             f"-timeout={timeout_s}", f"-artifact_prefix={artifacts}/", "-print_final_stats=1",
             "-rss_limit_mb=4096"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    executed = re.findall(r"stat::number_of_executed_units:\s*(\d+)", done.stderr)
    return {
        "target": name,
        "ok": done.returncode == 0,
        "inputs": int(executed[-1]) if executed else 0,
        "seconds": round(elapsed, 1),
        "crashers": sorted(p.name for p in artifacts.iterdir() if p.name not in kept),
        "log_tail": "" if done.returncode == 0 else done.stderr[-3000:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("targets", nargs="*", choices=[[], *TARGETS], default=[])
    parser.add_argument("--runs", type=int, default=100_000, help="inputs per target")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    args = parser.parse_args(argv)
    failed = 0
    for name in args.targets or list(TARGETS):
        result = fuzz(name, args.runs, args.timeout)
        print(f"{name:14} {'ok' if result['ok'] else 'CRASH':5} inputs={result['inputs']:>7}"
              f"  {result['seconds']:>6}s  crashers={len(result['crashers'])}")  # fmt: skip
        if not result["ok"]:
            failed += 1
            print(result["log_tail"], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
