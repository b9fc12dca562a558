"""The pull itself: page after page from a source to an output, with a checkpoint after each.

For each page, in this order:

1. its runs are read (`Run.from_dict`); a run that cannot be read is reported and counted;
2. they are written through `files.pipeline.write_runs` (runs JSON lines, OTLP files, or an
   OTLP endpoint, whose refusal stops the pull: the page is sent again when it resumes);
3. the output is made durable (flushed and fsync'd; for an endpoint, it accepted the spans);
4. the checkpoint moves past the page, atomically.

A pull interrupted anywhere resumes from its checkpoint: the page after it is read again, and
a file output is first cut back to the checkpoint's size, so the runs of an unfinished page
are written once, not twice (pull/output_file.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from otel_runs.errors import InvalidRunError
from otel_runs.files.pipeline import DEFAULT_BATCH, BadHandler, Output, write_runs
from otel_runs.files.records import BadRecord
from otel_runs.model.run import Run
from otel_runs.pull.checkpoint import Checkpoint, JsonDict


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a source."""

    items: list[tuple[str, dict[str, Any] | BadRecord]]
    """(where, a run-format dict) for each run, or what could not be read there."""
    next: JsonDict | None
    """Where the page after this one starts; None when this is the last."""
    size: int
    """Bytes read for this page."""


class PageSource(Protocol):
    """Where a pull reads pages from."""

    def identity(self) -> JsonDict:
        """What is pulled, as the checkpoint records it (a resumed pull must match it)."""
        ...

    def pages(self, position: JsonDict | None) -> Iterator[Page]:
        """The pages from `position` (None: the first) to the last."""
        ...


def pull(
    source: PageSource,
    start: Checkpoint,
    output: Output,
    *,
    durable: Callable[[], int],
    save: Callable[[Checkpoint], None],
    on_bad: BadHandler,
    tick: Callable[[Checkpoint], None],
    batch: int = DEFAULT_BATCH,
) -> Checkpoint:
    """Pull every page after `start`; returns the last checkpoint saved (`done`). Exceptions
    (the source failing, an endpoint refusing spans) leave the last checkpoint in place."""
    state = start
    for page in source.pages(state.position):
        bad = 0

        def report(record: BadRecord) -> None:
            nonlocal bad
            bad += 1
            on_bad(record)

        runs: list[tuple[str, Run]] = []
        for where, item in page.items:
            if isinstance(item, BadRecord):
                report(item)
                continue
            try:
                runs.append((where, Run.from_dict(item)))
            except InvalidRunError as exc:
                report(BadRecord(where, str(exc)))
        written = 0
        for first in range(0, len(runs), batch):
            written += write_runs(output, runs[first : first + batch], report)
        state = replace(
            state,
            position=page.next,
            offset=durable(),
            pages=state.pages + 1,
            read=state.read + len(page.items),
            written=state.written + written,
            bad=state.bad + bad,
            received=state.received + page.size,
            done=page.next is None,
        )
        save(state)
        tick(state)
    if not state.done:  # a source with no pages at all
        state = replace(state, done=True)
        save(state)
    return state
