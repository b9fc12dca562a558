"""A `RunSink` that keeps runs in memory, for tests of what reaches a sink."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from otel_runs import Run
from otel_runs.sinks import SinkResult


class MemorySink:
    """Stores runs by id; a re-sent run counts as a duplicate. Can be told to fail."""

    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.batches = 0
        self.fail_with: BaseException | None = None
        self.closed = False
        self._lock = threading.Lock()

    def write(self, runs: Sequence[Run]) -> SinkResult:
        if self.fail_with is not None:
            raise self.fail_with
        with self._lock:
            self.batches += 1
            duplicates = sum(1 for run in runs if str(run.id) in self.runs)
            for run in runs:
                self.runs[str(run.id)] = run
        return SinkResult(stored=len(runs) - duplicates, duplicates=duplicates)

    def close(self) -> None:
        self.closed = True

    def by_name(self) -> dict[str, Run]:
        with self._lock:
            return {run.name: run for run in self.runs.values()}
