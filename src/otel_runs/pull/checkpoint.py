"""The checkpoint file of a pull: where it stands, replaced atomically after each page.

A checkpoint is written only once the page before it is durable in the output (flushed and
fsync'd, or accepted by the endpoint). It is written to `NAME.tmp`, fsync'd, renamed over
`NAME` and the directory fsync'd: a crash at any moment leaves the old checkpoint or the new
one, never a mix. It is JSON, so a person can read where a pull stopped.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Final

from otel_runs.pull import CheckpointError

VERSION: Final = 1

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a pull stands."""

    source: JsonDict
    """What is pulled (kind, project and time window, or export files)."""
    target: JsonDict
    """Where it goes (format and output file, or protocol and endpoint)."""
    position: JsonDict | None = None
    """Where the next page starts (a cursor, or a file and row); None: at the beginning."""
    offset: int = 0
    """Bytes of the output file holding the pages done (0 for an endpoint)."""
    pages: int = 0
    read: int = 0
    """Runs read."""
    written: int = 0
    """Runs written or sent."""
    bad: int = 0
    """Runs that could not be read, converted or written."""
    received: int = 0
    """Bytes received from the source."""
    done: bool = False
    """The last page is written."""

    def check_same(self, source: JsonDict, target: JsonDict, where: Path) -> None:
        """CheckpointError unless this checkpoint is of a pull of `source` to `target`."""
        for what, saved, now in (("source", self.source, source), ("target", self.target, target)):
            differing = sorted(key for key in {*saved, *now} if saved.get(key) != now.get(key))
            if differing:
                detail = ", ".join(
                    f"{key}: {saved.get(key)!r} there, {now.get(key)!r} now" for key in differing
                )
                raise CheckpointError(
                    f"{where} is the checkpoint of another pull ({what} {detail});"
                    " --restart to start this one over, or --checkpoint PATH for another file"
                )

    def to_json(self) -> bytes:
        return json.dumps({"version": VERSION, **asdict(self)}, indent=1).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes, where: Path) -> Checkpoint:
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise CheckpointError(f"{where} is not a checkpoint (not JSON: {exc})") from None
        if not isinstance(value, dict) or value.get("version") != VERSION:
            raise CheckpointError(f"{where} is not a version-{VERSION} pull checkpoint")
        known = {field.name for field in fields(cls)}
        try:
            checkpoint = cls(**{key: value[key] for key in known if key in value})
        except TypeError as exc:
            raise CheckpointError(f"{where} is not a pull checkpoint: {exc}") from None
        if not isinstance(checkpoint.source, dict) or not isinstance(checkpoint.target, dict):
            raise CheckpointError(f"{where} is not a pull checkpoint: no source or target")
        if not isinstance(checkpoint.offset, int) or checkpoint.offset < 0:
            raise CheckpointError(f"{where}: offset {checkpoint.offset!r} is not a size")
        return checkpoint


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at `path`, None if there is no file; CheckpointError if unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Checkpoint.from_json(data, path)


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Replace the checkpoint at `path` atomically and durably."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(checkpoint.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # a platform without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
