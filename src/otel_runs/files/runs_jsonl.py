"""Runs files: one run per line (LangSmith's export shape, what `JsonlSink` writes), or one
JSON array of runs.

Each line is `Run.to_dict()` plus the keys the run was read with that the run data format has
no field for (`session_name`...), so a file read and written again loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import IO, Any

from otel_runs.convert.run_data import RunData
from otel_runs.errors import InvalidRunError
from otel_runs.files.jsonstream import array_items, json_lines
from otel_runs.files.records import BadRecord
from otel_runs.files.source import Source
from otel_runs.model.run import Run


def _run(value: Any, where: str) -> tuple[str, Run | BadRecord]:
    try:
        return where, Run.from_dict(value)
    except InvalidRunError as exc:
        return where, BadRecord(where, str(exc))


def read_runs(source: Source) -> Iterator[tuple[str, Run | BadRecord]]:
    """(where, run) for the runs of a runs file, in order; a line that is not a run gives a
    BadRecord instead."""
    head = source.peek(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"[":
        first = source.peek(1 << 20).lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
        if not first.strip().endswith(b"]"):  # an array spread over lines: stream its items
            for line, value in array_items(source):
                yield _run(value, f"line {line}")
            return
    for line, raw in json_lines(source):
        where = f"line {line}"
        try:
            value = json.loads(raw)
        except ValueError as exc:  # JSON and UTF-8 errors
            yield where, BadRecord(where, f"not JSON: {exc}")
            continue
        for item in value if isinstance(value, list) else [value]:
            yield _run(item, where)


def run_line(run: Run | RunData) -> bytes:
    """One run as a JSON line (its `unmapped` keys too, where they name no run field)."""
    if isinstance(run, RunData):
        data = run.run_dict()
    else:
        data = run.to_dict()
        for key, value in run.unmapped.items():
            data.setdefault(key, value)
    return json.dumps(data, ensure_ascii=False, default=str).encode() + b"\n"


class RunsWriter:
    """Writes runs as JSON lines to a binary stream."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self.written = 0

    def write(self, runs: Sequence[Run | RunData]) -> None:
        self._out.write(b"".join(run_line(run) for run in runs))
        self.written += len(runs)

    def close(self) -> None:
        self._out.flush()
