"""What a reader could not decode: where it was, and why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from otel_runs.errors import OtlpDecodeError
from otel_runs.model.span_record import SpanRecord
from otel_runs.otlp.decode import Decoded


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A line, item or span of an input file that could not be read; the rest still converts."""

    where: str
    """"line 12", "request 3", "line 4, span 2"..."""
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


_Body = TypeVar("_Body", bytes, str)


def decoded_spans(
    decode: Callable[[_Body], Decoded], body: _Body, where: str
) -> Iterator[tuple[str, SpanRecord | BadRecord]]:
    """(where, span) for one OTLP request body; an undecodable body or span gives a BadRecord."""
    try:
        decoded = decode(body)
    except OtlpDecodeError as exc:
        yield where, BadRecord(where, str(exc))
        return
    for record in decoded.records:
        yield where, record
    for index, reason in decoded.rejected:
        yield where, BadRecord(f"{where}, span {index}", reason)
