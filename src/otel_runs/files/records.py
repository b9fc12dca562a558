"""What a reader could not decode: where it was, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A line, item or span of an input file that could not be read; the rest still converts."""

    where: str
    """"line 12", "request 3", "line 4, span 2"..."""
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"
