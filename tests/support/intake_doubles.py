"""Small `Intake`s for testing the wire front ends on their own, plus an in-process receiver.

The durable spool has its own tests; these doubles let the front-end tests pin what the wire
does with each intake outcome: stored, spool full, spool unavailable, or slow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.context import Context

from otel_runs.model.span_record import SpanRecord
from otel_runs.receiver.auth import BearerAuth
from otel_runs.receiver.ingress import Ingress
from otel_runs.receiver.intake import LogEvent, SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.limits import Limits
from otel_runs.receiver.server import Bind, Bound, ReceiverServer


@dataclass
class ListIntake:
    """Keeps what it is given, in memory, with the project of each call."""

    records: list[SpanRecord] = field(default_factory=list)
    projects: list[str | None] = field(default_factory=list)
    events: list[LogEvent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, records: Sequence[SpanRecord], *, project: str | None = None) -> None:
        with self.lock:
            self.records.extend(records)
            self.projects.append(project)

    def accept_log_events(self, events: Sequence[LogEvent]) -> None:
        with self.lock:
            self.events.extend(events)


@dataclass
class RefusingIntake:
    """Raises the given spool error on every call; stores nothing."""

    error: SpoolFullError | SpoolUnavailableError
    calls: int = 0

    def accept(self, records: Sequence[SpanRecord], *, project: str | None = None) -> None:
        self.calls += 1
        raise self.error

    def accept_log_events(self, events: Sequence[LogEvent]) -> None:
        self.calls += 1
        raise self.error


@dataclass
class GatedIntake(ListIntake):
    """A ListIntake whose `accept` waits until `gate` is set (a slow disk)."""

    gate: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)

    def accept(self, records: Sequence[SpanRecord], *, project: str | None = None) -> None:
        self.entered.set()
        assert self.gate.wait(30), "the test never opened the gate"
        super().accept(records, project=project)


@dataclass(frozen=True)
class Running:
    """An in-process receiver: where it listens and the server to stop."""

    bound: Bound
    server: ReceiverServer

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.bound.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.bound.grpc_port}"


@contextmanager
def running_receiver(
    intake: ListIntake | RefusingIntake,
    *,
    limits: Limits | None = None,
    token: str | None = None,
    http: bool = True,
    grpc: bool = True,
) -> Iterator[Running]:
    """Both front ends on free loopback ports over `intake`; stopped on exit."""
    ingress = Ingress(intake, limits or Limits(), BearerAuth(token) if token else BearerAuth.off())
    bind = Bind("127.0.0.1", 0 if http else None, 0 if grpc else None)
    server = ReceiverServer(ingress, bind, grace_s=10)
    bound = server.start()
    try:
        yield Running(bound, server)
    finally:
        server.stop()


def inside_span(trace_id: int, span_id: int) -> Context:
    """A context whose current span is (trace_id, span_id): what a log record emitted there has."""
    context = trace.SpanContext(trace_id, span_id, is_remote=False, trace_flags=trace.TraceFlags(1))
    return trace.set_span_in_context(trace.NonRecordingSpan(context))
