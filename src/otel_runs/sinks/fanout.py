"""FanoutSink: the same runs to several sinks (an OTLP endpoint and the local store, say).

A run is resolved once every sink resolved it (stored, duplicate or failed for good). When one
sink asks for a retry and another took the run, the retry goes only to the one that did not:
which sinks already have a run is remembered until the run is resolved everywhere, so a backend
that is down does not make the healthy one receive every run twice. (After a crash the outbox is
re-read from the spool and both get the run again: a duplicate of the same ids, never a loss.)

The counts are per run, as for any sink: `stored` are runs every sink took, `failed` runs some
sink refused for good (the others may have them), `retry` runs some sink still owes.
"""

from __future__ import annotations

from collections.abc import Sequence

from otel_runs.guard import internal_errors
from otel_runs.model.run import Run
from otel_runs.sinks import RunSink, SinkResult


class FanoutSink:
    """Writes each batch to every sink; retries go only where a run is still missing."""

    def __init__(self, sinks: Sequence[RunSink]) -> None:
        if not sinks:
            raise ValueError("FanoutSink needs at least one sink")
        self.sinks = tuple(sinks)
        self._have: dict[str, set[int]] = {}
        """Run id -> indexes of the sinks that resolved it, for runs some sink still owes."""

    def __repr__(self) -> str:
        return f"FanoutSink({list(self.sinks)!r})"

    def write(self, runs: Sequence[Run]) -> SinkResult:
        failed_somewhere: set[str] = set()
        errors: list[str] = []
        retry_after: float | None = None
        for index, sink in enumerate(self.sinks):
            todo = [run for run in runs if index not in self._have.get(str(run.id), ())]
            if not todo:
                continue
            ids = [str(run.id) for run in todo]
            result = SinkResult(failed=len(todo), retry=tuple(ids), error="the sink raised")
            with internal_errors("writing %d runs to %r", len(todo), sink):
                result = sink.write(todo)
            retry = set(result.retry)
            for run_id in ids:
                if run_id not in retry:
                    self._have.setdefault(run_id, set()).add(index)
            if result.failed > len(retry):
                # The sink does not say which runs it refused for good: count them in order of
                # the batch among those it did not keep to retry (exact when it refused all).
                refused = [run_id for run_id in ids if run_id not in retry]
                failed_somewhere.update(refused[: result.failed - len(retry)])
            if result.error:
                errors.append(f"{sink!r}: {result.error}")
            if result.retry_after_s is not None:
                retry_after = max(retry_after or 0.0, result.retry_after_s)
        everywhere = len(self.sinks)
        retry_ids = []
        stored = failed = 0
        for run in runs:
            run_id = str(run.id)
            have = self._have.get(run_id, set())
            if len(have) < everywhere:
                retry_ids.append(run_id)
                continue
            del self._have[run_id]
            if run_id in failed_somewhere:
                failed += 1
            else:
                stored += 1
        return SinkResult(
            stored=stored,
            failed=failed + len(retry_ids),
            error="; ".join(errors) or None,
            retry=tuple(retry_ids),
            retry_after_s=retry_after,
        )

    def close(self) -> None:
        for sink in self.sinks:
            with internal_errors("closing %r", sink):
                sink.close()
