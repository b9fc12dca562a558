"""A local store that takes its time, for tests that kill a worker process while it holds
runs (a class importable by name, so a worker process can make one from its settings)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from otel_runs.sinks import AnyRun, SinkResult
from otel_runs.sinks.sqlite import SqliteSink


class SlowSqliteSink(SqliteSink):
    """`SqliteSink` that waits `delay_s` before each write."""

    def __init__(self, path: Path, delay_s: float) -> None:
        super().__init__(path)
        self.delay_s = delay_s

    def start_write(self, runs: Sequence[AnyRun]) -> Callable[[], SinkResult]:
        time.sleep(self.delay_s)  # `write` is `start_write` and its commit: both wait
        return super().start_write(runs)


def broken_sink() -> SqliteSink:
    """A sink factory that fails, as a worker's sink that cannot be made."""
    raise OSError("the store's disk is gone")
