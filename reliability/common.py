"""What the reliability runs share: figures, process memory, file sizes, percentiles, waiting.

Figures are plain dicts (`Figures`) so `main` can print them as a table or as JSON. Memory is
the receiver's resident set size read from /proc (Linux), sampled by `Sampler` on a thread
while a run goes on.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

Figures = dict[str, Any]
MIB: Final = 1024 * 1024


def rss_bytes(pid: int) -> int | None:
    """Resident set size of a process, or None when it is gone or /proc is not there."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def files_bytes(path: Path) -> int:
    """Bytes on disk of a SQLite file and its -wal / -shm companions."""
    total = 0
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):  # no WAL right now
            total += candidate.stat().st_size
    return total


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


def latency_figures(seconds: Sequence[float]) -> Figures:
    """p50/p95/p99/max of request round trips, in milliseconds."""
    return {
        "latency_p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "latency_p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "latency_p99_ms": round(percentile(seconds, 0.99) * 1000, 2),
        "latency_max_ms": round(max(seconds, default=math.nan) * 1000, 2),
    }


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    """Poll until `condition()` holds; False if `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def stored_run_ids(store: Path) -> set[str]:
    """Run ids in an otel-runs SQLite store (read-only; empty when there is no store yet)."""
    if not store.exists():
        return set()
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM runs")}
    except sqlite3.OperationalError:  # created but no table yet
        return set()
    finally:
        conn.close()


class Sampler:
    """Samples a process's RSS and some files' size every `every_s` seconds on a thread."""

    def __init__(self, pid: int, files: Sequence[Path], every_s: float) -> None:
        self.pid = pid
        self.files = list(files)
        self.every_s = every_s
        self.started = time.monotonic()
        self.samples: list[tuple[float, int, int]] = []
        """(seconds since start, RSS bytes, file bytes)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            rss = rss_bytes(self.pid)
            if rss is not None:
                disk = sum(files_bytes(path) for path in self.files)
                self.samples.append((time.monotonic() - self.started, rss, disk))
            if self._stop.wait(self.every_s):
                return

    def figures(self) -> Figures:
        """RSS early / peak / late and its growth, peak file size, in MiB.

        Growth compares the median of the second quarter of the samples (the first quarter is
        warm-up: imports, caches, SQLite page cache) with the median of the last quarter.
        """
        rss = [sample[1] for sample in self.samples]
        disk = [sample[2] for sample in self.samples]
        if len(rss) < 4:
            return {"rss_samples": len(rss)}
        quarter = len(rss) // 4
        early = statistics.median(rss[quarter : 2 * quarter])
        late = statistics.median(rss[-quarter:])
        return {
            "rss_samples": len(rss),
            "rss_early_mib": round(early / MIB, 1),
            "rss_late_mib": round(late / MIB, 1),
            "rss_peak_mib": round(max(rss) / MIB, 1),
            "rss_growth_mib": round((late - early) / MIB, 1),
            "disk_peak_mib": round(max(disk) / MIB, 2),
            "rss_timeline_mib": self.timeline(),
        }

    def timeline(self, points: int = 12) -> list[tuple[int, float]]:
        """About `points` (seconds, RSS MiB) pairs spread over the run, for the docs."""
        step = max(len(self.samples) // points, 1)
        picked = self.samples[::step]
        if picked[-1] is not self.samples[-1]:
            picked.append(self.samples[-1])
        return [(round(at), round(rss / MIB, 1)) for at, rss, _ in picked]
