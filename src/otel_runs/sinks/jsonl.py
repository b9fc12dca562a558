"""`JsonlSink`: one `Run.to_dict()` per line, LangSmith's export shape; and `read_jsonl`.

Lines are only ever appended, one batch per write, flushed before `write` returns (not fsynced).
A re-sent span is appended again: the file is a log, and a reader that wants one run per id
keeps the last line for it. `Run.unmapped` is not written (the export shape has no place for it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from otel_runs.errors import OtelRunsError, StoreError
from otel_runs.model.run import Run
from otel_runs.sinks import AnyRun, SinkResult, run_id_text
from otel_runs.sinks._json import json_text

_logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of a JSONL file that is not a run."""

    line: int
    """1-based line number."""
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class JsonlRuns:
    """What `read_jsonl` found: the runs of the good lines, in file order, and the bad lines."""

    runs: list[Run] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)


class JsonlSink:
    """A `RunSink` appending `Run.to_dict()` lines to a file; thread-safe.

    The file is opened (created if needed; its directory must exist) on the first `write`.
    If the file does not end with a newline (a previous writer died mid-line), one is added
    first, so the torn line stays a single bad line and later runs stay readable.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"JsonlSink({str(self.path)!r})"

    takes_run_data: Final = True

    def write(self, runs: Sequence[AnyRun]) -> SinkResult:
        """Append the batch and flush; a run JSON cannot carry fails alone."""
        if not runs:
            return SinkResult()
        lines: list[bytes] = []
        bad: list[str] = []
        for run in runs:
            try:
                lines.append(json_text(run.to_dict()).encode() + b"\n")
            except (TypeError, ValueError) as exc:  # a value JSON cannot carry (a set, an object)
                bad.append(f"run {run_id_text(run)} cannot be written as JSON: {exc}")
        with self._lock:
            if self._closed:
                return SinkResult(failed=len(runs), error=f"{self!r} is closed")
            try:
                handle = self._open()
                handle.write(b"".join(lines))
                handle.flush()
            except OSError as exc:
                self._discard()
                error = _describe(exc, self.path)
                _logger.debug("JSONL write failed: %s", error)
                return SinkResult(failed=len(runs), error=error)
        return SinkResult(stored=len(lines), failed=len(bad), error=bad[0] if bad else None)

    def close(self) -> None:
        """Close the file; later writes fail. Idempotent."""
        with self._lock:
            self._closed = True
            self._discard()

    def _open(self) -> IO[bytes]:
        if self._file is None:
            handle = open(self.path, "ab")  # noqa: SIM115 - kept open across writes
            try:
                if handle.tell() > 0 and not _ends_with_newline(self.path):
                    handle.write(b"\n")
            except BaseException:
                handle.close()
                raise
            self._file = handle
        return self._file

    def _discard(self) -> None:
        # After a failed write the file may end mid-line: reopen (and repair) on the next write.
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


def read_jsonl(path: str | os.PathLike[str]) -> JsonlRuns:
    """Every run in a JSONL file; bad lines are reported with their numbers, blank ones skipped.

    Raises StoreError only when the file itself cannot be read.
    """
    runs: list[Run] = []
    bad: list[BadLine] = []
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    runs.append(Run.from_dict(json.loads(raw)))
                except (ValueError, OtelRunsError) as exc:  # JSON, UTF-8 and run-format errors
                    bad.append(BadLine(number, str(exc)))
    except OSError as exc:
        raise StoreError(_describe(exc, Path(path))) from exc
    for line in bad:
        _logger.debug("%s: %s", path, line)
    return JsonlRuns(runs, bad)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _describe(exc: OSError, path: Path) -> str:
    if isinstance(exc, FileNotFoundError):
        if not path.parent.is_dir():
            return f"cannot open {path}: directory {path.parent} does not exist"
        return f"no JSONL file at {path}"
    if isinstance(exc, PermissionError):
        return f"cannot open {path}: permission denied"
    return f"{path}: {exc.strerror or exc}"
