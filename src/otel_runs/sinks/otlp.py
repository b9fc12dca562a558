"""OtlpSpanSink: runs as OpenTelemetry spans, sent to any OTLP endpoint (a Collector, Jaeger,
Tempo, Phoenix, Langfuse, Datadog...).

    write(runs)
      └─ run_to_record (runs -> spans: ids that map back, GenAI + OpenInference + langsmith.*)
         └─ encode_request (our protobuf writer) in requests of at most max_request_bytes
            └─ OTLP/HTTP POST {endpoint} (application/x-protobuf), or OTLP/gRPC Export
               ├─ 2xx / OK                stored; `partial_success.rejected_spans` failed
               ├─ 429 502 503 504,        retry: handed back (SinkResult.retry, Retry-After),
               │  transport errors,       the receiver's outbox waits with backoff and resends
               │  UNAVAILABLE, ...
               └─ other answers           failed for good, with the endpoint's message

Why not the OTel SDK's own exporters (`otel-runs convert` uses them): they encode with the
SDK's encoder (about 4 µs per attribute; a run's span carries dozens) and answer only
SUCCESS / FAILURE after retrying inside `export`, so a caller cannot tell "the backend is down,
keep the spans" from "the backend refused them". The retryable codes are the OTLP spec's
(HTTP 429, 502, 503, 504; gRPC CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS). Headers (`--header`) go with every request; they are
never logged.
"""

from __future__ import annotations

import http.client
import logging
import threading
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from otel_runs.errors import ConfigError, InvalidSpanError, OtelRunsError
from otel_runs.files.encode_proto import encode_request
from otel_runs.model.run import Run, uuid_text
from otel_runs.model.span_record import SpanRecord
from otel_runs.runs_to_spans.record import run_to_record
from otel_runs.sinks import SinkResult
from otel_runs.sinks.http1 import PlainConnection

_logger = logging.getLogger(__name__)

Protocol = Literal["otlp-http", "otlp-grpc"]
PROTOCOLS: Final = ("otlp-http", "otlp-grpc")
DEFAULT_TIMEOUT_S: Final = 10.0
"""Per request, as `OTEL_EXPORTER_OTLP_TIMEOUT`'s default."""
DEFAULT_MAX_REQUEST_BYTES: Final = 4 * 1024 * 1024
"""gRPC's default message limit, and well under the Collector's HTTP default (20 MiB)."""
GRPC_EXPORT: Final = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
_RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
_RETRY_CODES: Final = frozenset(
    {"CANCELLED", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED", "OUT_OF_RANGE",
     "UNAVAILABLE", "DATA_LOSS"}
)  # fmt: skip
_MAX_MESSAGE: Final = 300


@dataclass(frozen=True, slots=True)
class _Answer:
    """What the endpoint said about one request."""

    rejected: int = 0
    """Spans it refused (partial success), of an accepted request."""
    error: str | None = None
    retry: bool = False
    retry_after_s: float | None = None


class OtlpSpanSink:
    """A `RunSink` whose destination is an OTLP endpoint: each run goes as one span.

    `endpoint` is a full URL: the `/v1/traces` URL for OTLP/HTTP; for OTLP/gRPC
    `http://host:port` (plaintext) or `https://host:port` (TLS). `headers` go with every
    request (API keys: never logged). Thread-safe.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        protocol: Protocol = "otlp-http",
        headers: Mapping[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ConfigError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
        if not endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"endpoint must be an http:// or https:// URL, got {endpoint!r}")
        if not timeout_s > 0 or max_request_bytes < 1024:
            raise ConfigError("timeout_s must be > 0 and max_request_bytes at least 1024")
        self.endpoint: Final = endpoint
        self.protocol: Final = protocol
        self._headers = dict(headers or {})
        self._timeout_s = timeout_s
        self._max_bytes = max_request_bytes
        self._closed = threading.Event()
        self._send, self._close = self._http() if protocol == "otlp-http" else self._grpc()

    def __repr__(self) -> str:
        return f"OtlpSpanSink({self.endpoint!r}, protocol={self.protocol!r})"

    def write(self, runs: Sequence[Run]) -> SinkResult:
        """Send the runs as spans; never raises for a destination failure."""
        records: list[tuple[str, SpanRecord]] = []
        failed, errors = 0, []
        for run in runs:
            try:
                records.append((uuid_text(run.id), run_to_record(run)))
            except (ValueError, TypeError, OverflowError, OtelRunsError) as exc:
                failed += 1
                errors.append(f"run {run.id} cannot become a span: {exc}")
        stored = 0
        retry: list[str] = []
        retry_after: float | None = None
        requests = self._requests(records, errors)
        failed += len(records) - sum(len(chunk) for chunk, _ in requests)
        for chunk, body in requests:
            if retry or self._closed.is_set():  # the endpoint is down: keep the rest too
                retry.extend(run_id for run_id, _ in chunk)
                continue
            answer = self._send(body)
            if answer.retry:
                retry.extend(run_id for run_id, _ in chunk)
                retry_after = answer.retry_after_s
            elif answer.error is not None:
                failed += len(chunk)
            else:
                rejected = min(answer.rejected, len(chunk))
                stored += len(chunk) - rejected
                failed += rejected
            if answer.error is not None:
                errors.append(answer.error)
        failed += len(retry)
        return SinkResult(
            stored=stored,
            failed=failed,
            error="; ".join(errors)[:_MAX_MESSAGE] if errors else None,
            retry=tuple(retry),
            retry_after_s=retry_after,
        )

    def close(self) -> None:
        """Interrupt nothing in flight (requests have their timeout); later writes retry."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._close()

    # --- requests -----------------------------------------------------------------------------

    def _requests(
        self, records: list[tuple[str, SpanRecord]], errors: list[str]
    ) -> list[tuple[list[tuple[str, SpanRecord]], bytes]]:
        """The records in requests of at most max_request_bytes (halved until they fit); a
        single span larger than that is sent alone (the endpoint decides). A span OTLP cannot
        carry (a time past 2554, an integer past int64) is left out, its reason in `errors`."""
        if not records:
            return []
        try:
            body = encode_request([record for _, record in records])
        except (InvalidSpanError, ValueError, OverflowError) as exc:
            if len(records) == 1:
                errors.append(f"run {records[0][0]} cannot become a span: {exc}")
                return []
            body = b""
        if body and (len(body) <= self._max_bytes or len(records) == 1):
            return [(records, body)]
        half = len(records) // 2
        return self._requests(records[:half], errors) + self._requests(records[half:], errors)

    def _http(self) -> tuple[Callable[[bytes], _Answer], Callable[[], None]]:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceResponse,
        )

        from otel_runs.sinks.langsmith import parse_retry_after

        headers = {**self._headers, "Content-Type": "application/x-protobuf"}
        connection = _Connection(self.endpoint, headers, self._timeout_s)

        def send(body: bytes) -> _Answer:
            try:
                status, reply, retry_after = connection.post(body)
            except (OSError, http.client.HTTPException) as exc:
                return _Answer(error=f"{type(exc).__name__} posting spans: {exc}", retry=True)
            if 200 <= status < 300:
                return _Answer(rejected=_rejected(ExportTraceServiceResponse, reply))
            text = reply[:_MAX_MESSAGE].decode("utf-8", "replace")
            message = f"{self.endpoint} answered {status}: {text}"
            if status in _RETRY_STATUSES:
                after = parse_retry_after(retry_after)
                return _Answer(error=message, retry=True, retry_after_s=after)
            return _Answer(error=message)

        return send, connection.close

    def _grpc(self) -> tuple[Callable[[bytes], _Answer], Callable[[], None]]:
        import grpc
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceResponse,
        )

        scheme, _, rest = self.endpoint.partition("://")
        target = rest.split("/", 1)[0]
        if scheme == "https":
            channel = grpc.secure_channel(target, grpc.ssl_channel_credentials())
        else:
            channel = grpc.insecure_channel(target)
        export: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(GRPC_EXPORT)
        metadata = tuple((key.lower(), value) for key, value in self._headers.items())

        def send(body: bytes) -> _Answer:
            try:
                reply = export(body, timeout=self._timeout_s, metadata=metadata)
            except grpc.RpcError as exc:
                code = exc.code() if isinstance(exc, grpc.Call) else None
                name = code.name if code is not None else "UNKNOWN"
                details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
                message = f"{target} answered {name}: {str(details)[:_MAX_MESSAGE]}"
                return _Answer(error=message, retry=name in _RETRY_CODES)
            except ValueError as exc:  # the channel was closed under us
                return _Answer(error=f"the OTLP sink is closed ({exc})", retry=True)
            return _Answer(rejected=_rejected(ExportTraceServiceResponse, reply))

        return send, channel.close


class _Connection:
    """One keep-alive HTTP/1.1 connection to the endpoint, reopened after any failure:
    `http1.PlainConnection` for `http://` (a POST of a 220 KB body costs ~25 us of CPU against
    http.client's ~125 and httpx's 410, on the forwarder's hot path), `http.client` for
    `https://`."""

    def __init__(self, endpoint: str, headers: Mapping[str, str], timeout_s: float) -> None:
        parts = urllib.parse.urlsplit(endpoint)
        self._secure = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = dict(headers)
        self._timeout_s = timeout_s
        self._plain = (
            None
            if self._secure
            else PlainConnection(self._host, self._port, self._path, self._headers, timeout_s)
        )
        self._connection: http.client.HTTPSConnection | None = None
        self._lock = threading.Lock()
        self._closed = False

    def post(self, body: bytes) -> tuple[int, bytes, str | None]:
        """(status, response body, Retry-After) of one POST; raises OSError / HTTPException."""
        with self._lock:
            if self._closed:
                raise OSError("the OTLP sink is closed")
            if self._plain is not None:
                return self._plain.post(body)
            connection = self._connection
            if connection is None:
                connection = self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout_s
                )
            try:
                connection.request("POST", self._path, body, self._headers)
                response = connection.getresponse()
                reply = response.read()
            except BaseException:
                connection.close()
                self._connection = None
                raise
            if response.will_close:
                connection.close()
                self._connection = None
            return response.status, reply, response.getheader("retry-after")

    def close(self) -> None:
        self._closed = True
        if self._plain is not None:
            self._plain.close()
        connection = self._connection
        if connection is not None:
            connection.close()


def _rejected(message_type: Any, body: bytes) -> int:
    """Spans an OTLP response says it refused (0 when it says nothing readable)."""
    try:
        return int(message_type.FromString(body).partial_success.rejected_spans)
    except Exception:  # a 2xx with a body that is not a response: it took the spans
        return 0
