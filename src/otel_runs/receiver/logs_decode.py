"""OTLP logs request bodies -> the `LogEvent`s an `Intake` accepts.

The decoding itself is pure and lives in `otel_runs.otlp.decode_logs`; this module only turns
its span-bound events into the receiver's `LogEvent` contract type.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_runs.otlp.decode import Rejected
from otel_runs.otlp.decode_logs import DecodedLogs, decode_logs_json_request, decode_logs_request
from otel_runs.receiver.intake import LogEvent


@dataclass(frozen=True, slots=True)
class LogBatch:
    """One logs request: the events to accept, plain log lines skipped, and rejections."""

    events: list[LogEvent]
    unbound: int
    rejected: list[Rejected]


def _batch(decoded: DecodedLogs) -> LogBatch:
    events = [LogEvent(e.trace_id, e.span_id, e.event) for e in decoded.events]
    return LogBatch(events, decoded.unbound, decoded.rejected)


def decode_logs(body: bytes, *, json_body: bool) -> LogBatch:
    """Decode an uncompressed logs body; raises OtlpDecodeError when it is undecodable."""
    if json_body:
        return _batch(decode_logs_json_request(body))
    return _batch(decode_logs_request(body))
