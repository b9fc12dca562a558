"""A one-line progress bar on stderr: bytes read of the input's size, records written, records
that could not be read. Redrawn at most ten times a second; nothing at all when disabled."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, TextIO

_WIDTH: Final = 24
_EVERY_S: Final = 0.1


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1024
    return f"{count:.1f} GB"


class Progress:
    """Draws `[#####     ]  42%  12.0 MB / 28.6 MB  1,234 runs  2 bad` on a text stream."""

    def __init__(
        self,
        stream: TextIO,
        total_bytes: int | None,
        noun: str,
        *,
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._total = total_bytes or None
        self._noun = noun
        self.enabled = enabled
        self._clock = clock
        self._last = float("-inf")
        self._drawn = False

    def update(self, done_bytes: int, items: int, bad: int, *, force: bool = False) -> None:
        """Redraw if enough time passed (or `force`)."""
        if not self.enabled:
            return
        now = self._clock()
        if not force and now - self._last < _EVERY_S:
            return
        self._last = now
        if self._total:
            share = min(done_bytes / self._total, 1.0)
            filled = int(share * _WIDTH)
            head = f"[{'#' * filled}{' ' * (_WIDTH - filled)}] {share:4.0%}  "
            sizes = f"{_size(done_bytes)} / {_size(self._total)}"
        else:
            head, sizes = "", _size(done_bytes)
        tail = f"  {bad:,} bad" if bad else ""
        self._stream.write(f"\r{head}{sizes}  {items:,} {self._noun}{tail}\x1b[K")
        self._stream.flush()
        self._drawn = True

    def finish(self, done_bytes: int, items: int, bad: int) -> None:
        """Draw the final state and end the line."""
        if not self.enabled:
            return
        self.update(done_bytes, items, bad, force=True)
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
