"""The contract between the receiver's wire front ends (OTLP/HTTP, OTLP/gRPC) and its spool.

A front end decodes a request into span records (and log events), then hands them to an `Intake`.
`accept` returns only once the records are durable; after that the request may be acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from otel_runs.errors import OtelRunsError
from otel_runs.model.span_record import EventRecord, SpanRecord


class SpoolFullError(OtelRunsError):
    """The spool reached its size limit; the sender should retry later (503 / UNAVAILABLE)."""

    def __init__(self, message: str, retry_after_s: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SpoolUnavailableError(OtelRunsError):
    """The spool cannot write (disk full, read-only, locked); nothing was acknowledged."""

    def __init__(self, message: str, retry_after_s: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A log record that belongs to a span (GenAI content events sent as OTLP logs)."""

    trace_id: int
    span_id: int
    event: EventRecord


class Intake(Protocol):
    """Where decoded spans go. Implementations are thread-safe."""

    def accept(self, records: Sequence[SpanRecord], *, project: str | None = None) -> None:
        """Store records durably, routed to `project` (None: the span attribute or default).

        Raises SpoolFullError or SpoolUnavailableError; on either, nothing of the call was stored.
        """
        ...

    def accept_log_events(self, events: Sequence[LogEvent]) -> None:
        """Store span-bound log events durably, to be joined to their spans as span events."""
        ...
