"""What one case produced, in the exact text forms the recording keeps.

Per run: `Run.to_dict()` with `run.unmapped`, as canonical JSON text (the standard library's
encoder: key order kept, NaN kept as NaN, anything not JSON tagged so it cannot pass for JSON),
and the ingest JSON exactly as the LangSmith sink serializes it.
Per case: rejections, filtered and pending counts, and for the cross-batch paths the counters,
the runs per emitted batch and the export results.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from otel_runs.convert.spans_to_runs import Rejection
from otel_runs.model.ingest import encode_ingest_run
from otel_runs.model.run import Run
from otel_runs.sinks import SinkResult
from otel_runs.sinks.ingest import dumps

PROJECT: Final = "oracle"
"""The project the ingest payloads name when a run names none."""


def _not_json(value: object) -> object:
    """Tagged: `to_dict()` promises JSON-ready values, so anything else must show."""
    return {"__not_json__": type(value).__name__, "repr": repr(value)}


ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=True, default=_not_json
)
"""Canonical text of a value. An object's text is exactly `{"k":<text of v>,...}`, which is how
the recording stores objects by their parts."""


def canonical(value: object) -> str:
    return ENCODER.encode(value)


def run_value(run: Run) -> dict[str, Any]:
    """`run.to_dict()` and `unmapped`: everything the run holds."""
    value: dict[str, Any] = run.to_dict()
    value["unmapped"] = run.unmapped
    return value


def ingest_text(run: Run) -> str:
    """The run's ingest JSON, as the LangSmith sink serializes it."""
    return dumps(encode_ingest_run(run, project=PROJECT)).decode("utf-8")


def label(run: Run) -> str:
    return f"{run.id} ({run.name!r})"


@dataclass(slots=True)
class Outcome:
    """Everything a case produced."""

    runs: list[Run] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    filtered: int | None = None
    pending: int | None = None
    stats: dict[str, Any] | None = None
    batches: list[int] | None = None
    """Runs per emitted batch (assembler: per `add`; exporter: per sink write)."""
    results: list[str] | None = None
    """Export results, per `export` call."""
    error: str | None = None
    """A typed error the path raised (then `runs` is empty)."""
    logged: list[str] | None = None
    """Errors the converter logged (internal errors it survived, as in production)."""

    def summary(self) -> dict[str, Any]:
        """Everything but the runs, JSON-ready."""
        out: dict[str, Any] = {
            "runs": len(self.runs),
            "rejected": [[r.trace_id, r.span_id, r.name, r.reason] for r in self.rejected],
        }
        for name in ("filtered", "pending", "stats", "batches", "results", "error", "logged"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@contextmanager
def as_in_production() -> Iterator[list[str]]:
    """Run the converter as it runs in an app: an internal error is logged and survived (the
    span rejected), not re-raised as under pytest; yields the error messages logged."""
    errors = _Errors()
    logger = logging.getLogger("otel_runs")
    logger.addHandler(errors)
    before = getattr(sys, "_otel_runs_swallow", None)
    sys._otel_runs_swallow = True  # type: ignore[attr-defined]
    try:
        yield errors.seen
    finally:
        logger.removeHandler(errors)
        if before is None:
            del sys._otel_runs_swallow  # type: ignore[attr-defined]
        else:
            sys._otel_runs_swallow = before  # type: ignore[attr-defined]


def run_case(run: Callable[[], Outcome]) -> Outcome:
    """Run a case as in production, with what it logged."""
    with as_in_production() as logged:
        outcome = run()
    if logged:
        outcome.logged = list(logged)
    return outcome


class CaptureSink:
    """A sink that takes everything and keeps the runs, in write order."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self.writes: list[int] = []
        self.closed = False

    def write(self, runs: Sequence[Run]) -> SinkResult:
        self.runs.extend(runs)
        self.writes.append(len(runs))
        return SinkResult(stored=len(runs))

    def close(self) -> None:
        self.closed = True
