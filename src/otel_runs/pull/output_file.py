"""The output file of a pull: created (or emptied) for a new pull, or, to resume one, cut back
to the size the checkpoint recorded, which drops whatever a page wrote after the last
checkpoint. That page is read again and written whole, so no run is written twice."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from otel_runs.pull import CheckpointError


class OutputFile:
    """`handle` is where pages are written; `durable()` makes them durable."""

    def __init__(self, path: Path, resume_at: int | None) -> None:
        self.path = path
        if resume_at is None:
            self.handle: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed by close()
            return
        try:
            handle = open(path, "r+b")  # noqa: SIM115 - closed by close()
        except FileNotFoundError:
            raise CheckpointError(
                f"{path} is gone, but its checkpoint says {resume_at} bytes were written;"
                " --restart to pull again from the start"
            ) from None
        size = os.fstat(handle.fileno()).st_size
        if size < resume_at:
            handle.close()
            raise CheckpointError(
                f"{path} has {size} bytes, fewer than the {resume_at} its checkpoint says were"
                " written: it was changed since; --restart to pull again from the start"
            )
        handle.truncate(resume_at)
        handle.seek(resume_at)
        self.handle = handle

    def durable(self) -> int:
        """Flush and fsync what was written; returns the file's size."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        return self.handle.tell()

    def close(self) -> None:
        self.handle.close()
