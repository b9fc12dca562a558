"""One OTLP export, whatever the wire: decompress, decode, validate, hand to the `Intake`.

Both front ends (OTLP/HTTP and OTLP/gRPC) call `handle` from a worker thread, because the
intake's durable write blocks. The result is either `Accepted` (the spans that could become
runs are durable; the rest are counted with their reasons for `partial_success`) or `Refused`
(nothing was stored; the `Problem` says how each wire reports it).

Where a span is refused:

- the decoder rejects spans it cannot read (bad ids, missing times, wrong types);
- `convert.validate.problem` rejects spans that can never become runs (impossible times, a span
  that is its own parent), so the sender hears about them now rather than never.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

from otel_runs.convert.validate import problem
from otel_runs.errors import OtlpDecodeError, TooManySpansError
from otel_runs.guard import report
from otel_runs.model.span_record import SpanRecord
from otel_runs.otlp.decode import Decoded, Rejected, decode_json_request, decode_request
from otel_runs.receiver.intake import Intake, SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.limits import (
    DEFAULT_MAX_REQUEST_SPANS,
    BadEncodingError,
    BodyTooLargeError,
    UnsupportedEncodingError,
    inflate,
)
from otel_runs.receiver.logs_decode import decode_logs

_logger = logging.getLogger(__name__)

MAX_REASONS: Final = 10
"""Reasons spelled out in a partial_success message; the rest are counted."""
INTERNAL_RETRY_AFTER_S: Final = 5.0
"""Retry delay after an unexpected error: nothing was stored, so a retry loses nothing."""
_WARN_EVERY_S: Final = 10.0


class Signal(enum.Enum):
    """Which OTLP service a request is for."""

    TRACES = "traces"
    LOGS = "logs"
    METRICS = "metrics"


class Problem(enum.Enum):
    """Why a request was refused as a whole; each front end maps these to its status codes."""

    UNDECODABLE = "undecodable"
    """Not an OTLP message of the expected type (HTTP 400, gRPC INVALID_ARGUMENT)."""
    TOO_LARGE = "too large"
    """Over the size limit after decompression (HTTP 413, gRPC RESOURCE_EXHAUSTED, no retry)."""
    UNSUPPORTED = "unsupported"
    """Unsupported Content-Type or Content-Encoding (HTTP 415)."""
    UNAUTHENTICATED = "unauthenticated"
    """Missing or wrong bearer token (HTTP 401, gRPC UNAUTHENTICATED)."""
    BUSY = "busy"
    """Too many requests in flight (HTTP 429, gRPC RESOURCE_EXHAUSTED with RetryInfo)."""
    SPOOL_FULL = "spool full"
    """The spool is at its size limit (HTTP 503, gRPC UNAVAILABLE with RetryInfo)."""
    UNAVAILABLE = "unavailable"
    """The spool cannot write, or an unexpected error (HTTP 503, gRPC UNAVAILABLE)."""


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One request body and what the wire said about it."""

    signal: Signal
    body: bytes
    json_body: bool = False
    encoding: str = ""
    """`Content-Encoding`; gRPC decompresses before we see the bytes, so it passes ""."""
    project: str | None = None
    """The `Langsmith-Project` header or metadata, if any."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """The request is acknowledged; `rejected` items were bad and are not stored."""

    rejected: int = 0
    message: str = ""


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing of the request was stored."""

    problem: Problem
    message: str
    retry_after_s: float | None = None


Outcome = Accepted | Refused


@runtime_checkable
class CountsRejections(Protocol):
    """An intake that also counts what the front ends rejected (ReceiverService does)."""

    def count_rejected(self, spans: int = 0, log_records: int = 0) -> None: ...


class _Warnings:
    """At most one warning per kind every few seconds, with a count of those held back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warn(self, kind: str, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -_WARN_EVERY_S) < _WARN_EVERY_S:
                self._held[kind] = self._held.get(kind, 0) + 1
                return
            self._last[kind] = now
            held = self._held.pop(kind, 0)
        if held:
            _logger.warning("%s (%d similar held back)", message % args, held)
        else:
            _logger.warning(message, *args)


_warnings = _Warnings()


def handle(
    intake: Intake,
    request: ExportRequest,
    max_request_bytes: int,
    max_request_spans: int = DEFAULT_MAX_REQUEST_SPANS,
) -> Outcome:
    """Process one export to the end; never raises (an unexpected error is logged, and refused
    as UNAVAILABLE so the sender retries: nothing was stored)."""
    try:
        body = inflate(request.body, request.encoding, max_request_bytes)
        if request.signal is Signal.TRACES:
            return _traces(intake, body, request, max_request_spans)
        if request.signal is Signal.LOGS:
            return _logs(intake, body, request)
        return Accepted()  # metrics: accepted and dropped, runs have no use for them
    except (BodyTooLargeError, TooManySpansError) as exc:
        return Refused(Problem.TOO_LARGE, str(exc))
    except UnsupportedEncodingError as exc:
        return Refused(Problem.UNSUPPORTED, str(exc))
    except (BadEncodingError, OtlpDecodeError) as exc:
        what = request.signal.value
        _warnings.warn("undecodable", "refused an undecodable %s request: %s", what, exc)
        return Refused(Problem.UNDECODABLE, str(exc))
    except (SpoolFullError, SpoolUnavailableError) as exc:
        kind = Problem.SPOOL_FULL if isinstance(exc, SpoolFullError) else Problem.UNAVAILABLE
        what = request.signal.value
        _warnings.warn(kind.value, "refused a %s request, %s: %s", what, kind.value, exc)
        return Refused(kind, str(exc), exc.retry_after_s)
    except Exception as exc:
        report(exc, "handling an OTLP %s export", request.signal.value)
        return Refused(
            Problem.UNAVAILABLE,
            "internal error in the receiver; nothing was stored, retry later",
            INTERNAL_RETRY_AFTER_S,
        )


def _traces(intake: Intake, body: bytes, request: ExportRequest, max_spans: int) -> Outcome:
    if request.json_body:
        decoded = decode_json_request(body, max_spans=max_spans)
    else:
        decoded = decode_request(body, max_spans=max_spans)
    records, rejected = _validated(decoded)
    if records:
        intake.accept(records, project=request.project)
    total = len(records) + len(rejected)
    if not rejected:
        return Accepted()
    if isinstance(intake, CountsRejections):
        intake.count_rejected(spans=len(rejected))
    message = summary(rejected, total, "spans")
    _warnings.warn("rejected spans", "accepted a traces request partly: %s", message)
    return Accepted(len(rejected), message)


def _validated(decoded: Decoded) -> tuple[list[SpanRecord], list[Rejected]]:
    """The decoded records that can become runs, and every rejection in request order."""
    records = decoded.records
    rejected = list(decoded.rejected)
    reasons = list(map(problem, records))
    if reasons.count(None) == len(reasons):  # the usual case: every decoded span is usable
        return records, rejected
    skipped = {index for index, _ in rejected}
    indices = (i for i in range(len(records) + len(skipped)) if i not in skipped)
    good: list[SpanRecord] = []
    for index, record, reason in zip(indices, records, reasons, strict=False):
        if reason is None:
            good.append(record)
        else:
            rejected.append((index, f"span {index}: {reason}"))
    rejected.sort()
    return good, rejected


def _logs(intake: Intake, body: bytes, request: ExportRequest) -> Outcome:
    batch = decode_logs(body, json_body=request.json_body)
    if batch.events:
        intake.accept_log_events(batch.events)
    if batch.unbound:
        _logger.debug("skipped %d log records without span context or event name", batch.unbound)
    if not batch.rejected:
        return Accepted()
    if isinstance(intake, CountsRejections):
        intake.count_rejected(log_records=len(batch.rejected))
    total = len(batch.events) + batch.unbound + len(batch.rejected)
    message = summary(batch.rejected, total, "log records")
    _warnings.warn("rejected logs", "accepted a logs request partly: %s", message)
    return Accepted(len(batch.rejected), message)


def summary(rejected: Sequence[Rejected], total: int, what: str) -> str:
    """ "2 of 9 spans rejected: span 3: ...; span 7: ..." with at most MAX_REASONS reasons."""
    reasons = "; ".join(reason for _, reason in rejected[:MAX_REASONS])
    more = len(rejected) - MAX_REASONS
    tail = f"; and {more} more" if more > 0 else ""
    return f"{len(rejected)} of {total} {what} rejected: {reasons}{tail}"
