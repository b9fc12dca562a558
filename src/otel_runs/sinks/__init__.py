"""Ring 2: where runs go. Every sink takes whole batches and says exactly what became of them.

RunSink (Protocol)
├── SqliteSink      local store, the embedded default (sinks/sqlite.py)
├── JsonlSink       one Run.to_dict() per line (sinks/jsonl.py)
└── LangSmithSink   LangSmith's ingest API (sinks/langsmith.py)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from otel_runs.convert.run_data import RunData
from otel_runs.model.run import Run, uuid_text

AnyRun = Run | RunData
"""What this package's sinks take: `Run` objects, or the engine's `RunData`, which is already
JSON-ready (the exporter and the receiver hand them that)."""


@dataclass(frozen=True, slots=True)
class SinkResult:
    """The exact outcome of one `write`: every run is counted in exactly one field."""

    stored: int = 0
    """Runs the destination accepted."""
    duplicates: int = 0
    """Runs it already had (a re-sent span; LangSmith's 409)."""
    failed: int = 0
    """Runs it did not take, after any retries."""
    error: str | None = None
    """Why runs failed, for logs and counters; never holds a credential."""
    retry: tuple[str, ...] = ()
    """Ids of failed runs that may succeed later (the destination was unavailable: timeouts,
    connection errors, 429, 5xx); a subset of `failed`. The exporter keeps them to resend."""
    retry_after_s: float | None = None
    """How long the destination asked callers to wait before resending (its last Retry-After),
    when it said; the exporter and the receiver wait at least that long."""

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return self.failed == 0


DEFAULT_BATCH_RUNS = 500
"""Runs per write the receiver sends a sink that names no `batch_runs`."""


def batch_runs(sink: object) -> int:
    """How many runs a write to `sink` should carry at most (see `RunSink`)."""
    wanted = getattr(sink, "batch_runs", None)
    return wanted if isinstance(wanted, int) and wanted > 0 else DEFAULT_BATCH_RUNS


@runtime_checkable
class RunSink(Protocol):
    """A destination for runs. `write` never raises for a destination failure: it reports it.

    A sink with a true `takes_run_data` attribute (every sink of this package) is handed the
    engine's `RunData` as they are; any other sink gets `Run` objects made of them. A sink with
    a `batch_runs` attribute says how many runs a write does best with: the receiver sends it
    batches of that many (default `DEFAULT_BATCH_RUNS`) when it has them.
    """

    def write(self, runs: Sequence[Run]) -> SinkResult:
        """Deliver a batch; block until its outcome is known (or the sink's deadline passes)."""
        ...

    def close(self) -> None:
        """Release files, connections and threads; later writes fail."""
        ...


def write_runs(sink: RunSink, runs: Sequence[AnyRun]) -> SinkResult:
    """Hand runs to a sink in the form it takes (see `RunSink`)."""
    if getattr(sink, "takes_run_data", False):
        return sink.write(runs)  # type: ignore[arg-type]
    uuids: dict[str, UUID] = {}  # (ids parsed once for the whole write)
    return sink.write([run.to_run(uuids) if isinstance(run, RunData) else run for run in runs])


def writes_in_halves(sink: object) -> bool:
    """Whether `sink` writes in two halves (`start_write`, see `SqliteSink.start_write`)."""
    return callable(getattr(sink, "start_write", None)) and bool(
        getattr(sink, "takes_run_data", False)
    )


def start_write(sink: RunSink, runs: Sequence[AnyRun]) -> Callable[[], SinkResult]:
    """The first half of a two-part write (`writes_in_halves`): the returned function is the
    second, to be called once, on any thread, for the write's answer."""
    finish: Callable[[], SinkResult] = sink.start_write(runs)  # type: ignore[attr-defined]
    return finish


def run_id_text(run: AnyRun) -> str:
    """A run's id as text, whichever form it has."""
    return run.id if isinstance(run, RunData) else uuid_text(run.id)
