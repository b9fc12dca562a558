"""Writers of one store taking turns: a lock file beside it, held from a write's first insert
until its commit has returned, checkpoint included.

Why: with several processes writing one store (the workers of `otel-runs serve --workers N`),
the next writer used to begin as soon as the last one's commit gave up SQLite's write lock,
while that commit was still checkpointing. SQLite starts its WAL over from the beginning only
when a write begins after a checkpoint has copied all of it back, so with writers taking
turns that closely it rarely did: the WAL grew through a benchmark round (120-374 MiB against
41 MiB with one writer), every page written to it went to a new place in the file, and a
waiting writer slept in SQLite's busy-handler steps (up to 100 ms) past the moment the lock
was free. Measured in docs/benchmarks.md (session 17).

A turn only orders our own writers: SQLite's locks still decide who may write, so a writer
that does not take turns (another program, an older otel-runs) is still safe, and a turn that
cannot be had in time is skipped, never a failed write. The lock is `flock`, which Linux keeps
apart from the POSIX locks SQLite takes on the store itself; the kernel releases it when its
holder dies.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Final

try:
    import fcntl
except ImportError:  # not on Windows: no turns there, SQLite's locks alone
    fcntl = None  # type: ignore[assignment]

_logger = logging.getLogger(__name__)

SUFFIX: Final = "-turns"
"""The lock file's name: the store's, with this after it (beside `-wal` and `-shm`)."""
_FIRST_WAIT_S: Final = 0.0005
_LONGEST_WAIT_S: Final = 0.002
"""A waiting writer looks again this often at most: a turn is free within ~2 ms of its end
(SQLite's busy handler sleeps up to 100 ms at a time)."""


class Turns:
    """The turn lock of one store, for one writer (one open file: `flock` locks belong to it,
    so two writers in one process take turns too). Not thread-safe: the writer's own lock
    orders its calls."""

    def __init__(self, store: Path) -> None:
        self.path: Final = store.with_name(store.name + SUFFIX)
        self._fd: int | None = None

    def take(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for this writer's turn; past it, go on without one."""
        fd = self._open()
        if fd is None or fcntl is None:
            return
        deadline = time.monotonic() + timeout
        wait = _FIRST_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    _logger.debug("no turn at %s in %.1f s: writing without", self.path, timeout)
                    return
                time.sleep(wait)
                wait = min(wait * 2, _LONGEST_WAIT_S)
                continue
            except OSError as exc:
                _logger.debug("no turn at %s: %s", self.path, exc)
            return

    def give(self) -> None:
        """End this writer's turn (unlocking a file not locked does nothing)."""
        if self._fd is not None and fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            except OSError as exc:  # the descriptor is still ours: only closing it frees the lock
                _logger.debug("could not end a turn at %s: %s", self.path, exc)
                self.close()

    def close(self) -> None:
        """Close the lock file (which ends a turn still held). Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _open(self) -> int | None:
        if self._fd is None and fcntl is not None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:  # a write to the store will say what is wrong, if anything
                _logger.debug("no turns at %s: %s", self.path, exc)
        return self._fd
