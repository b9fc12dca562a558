"""OTLP/gRPC: `TraceService`, `LogsService` and `MetricsService` `Export`, on their own port.

The methods are registered with no request deserializer, so the handler gets the message bytes
and decodes them with the same `otel_runs.otlp` decoder as OTLP/HTTP: one parse, one set of
rules. gRPC itself decompresses (gzip, deflate) and refuses a message over the size limit with
RESOURCE_EXHAUSTED before our code runs.

Status codes, as the OTLP spec asks:

| outcome                                  | code                                   |
|------------------------------------------|----------------------------------------|
| decoded (some items bad)                 | OK, `partial_success` filled in        |
| undecodable                              | INVALID_ARGUMENT (not retried)         |
| over the size limit                      | RESOURCE_EXHAUSTED without RetryInfo   |
| too many requests in flight              | RESOURCE_EXHAUSTED with RetryInfo      |
| spool full / cannot write                | UNAVAILABLE with RetryInfo             |
| missing or wrong bearer token            | UNAUTHENTICATED                        |

RetryInfo travels twice: inside the `grpc-status-details-bin` `google.rpc.Status` (the standard
place) and as `google.rpc.retryinfo-bin` (where the Python OTLP exporter looks).
"""

from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Final, NoReturn

import grpc

from otel_runs.receiver.export_call import ExportRequest, Problem, Refused, Signal
from otel_runs.receiver.ingress import Ingress
from otel_runs.receiver.limits import MIB
from otel_runs.receiver.replies import (
    PROBLEM_CODES,
    export_response_proto,
    retry_info_bytes,
    status_proto,
)

_logger = logging.getLogger(__name__)

SERVICES: Final = {
    "opentelemetry.proto.collector.trace.v1.TraceService": Signal.TRACES,
    "opentelemetry.proto.collector.logs.v1.LogsService": Signal.LOGS,
    "opentelemetry.proto.collector.metrics.v1.MetricsService": Signal.METRICS,
}
PROJECT_METADATA: Final = "langsmith-project"
MAX_RESPONSE_BYTES: Final = 4 * MIB
"""The OTLP spec's response size limit."""
_SPARE_WORKERS: Final = 2
"""Threads beyond the in-flight limit, so a request over it is told "busy" at once."""
_QUEUED_PER_SLOT: Final = 4
"""RPCs gRPC holds (running or waiting for a thread) per in-flight slot before refusing more."""

_CODES: Final = {
    Problem.UNDECODABLE: grpc.StatusCode.INVALID_ARGUMENT,
    Problem.TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Problem.UNSUPPORTED: grpc.StatusCode.INVALID_ARGUMENT,
    Problem.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    Problem.BUSY: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Problem.SPOOL_FULL: grpc.StatusCode.UNAVAILABLE,
    Problem.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}


class OtlpGrpcServer:
    """A started-on-demand gRPC server bound to `host:port` (port 0 picks a free one)."""

    def __init__(self, ingress: Ingress, host: str, port: int) -> None:
        self._ingress = ingress
        limits = ingress.limits
        self._server = grpc.server(
            ThreadPoolExecutor(
                limits.max_inflight + _SPARE_WORKERS, thread_name_prefix="otel-runs-grpc"
            ),
            handlers=[self._handler(name, signal) for name, signal in SERVICES.items()],
            options=[
                ("grpc.max_receive_message_length", limits.max_request_bytes),
                ("grpc.max_send_message_length", MAX_RESPONSE_BYTES),
                # grpc sets SO_REUSEPORT by default: a second receiver on the same port would
                # bind too and silently take half the traffic.
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=limits.max_inflight * _QUEUED_PER_SLOT,
        )
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        _check_free(host, port, address)
        try:
            self.port: int = self._server.add_insecure_port(address)
        except RuntimeError as exc:  # grpc's way to say the bind failed
            raise OSError(f"cannot listen for OTLP/gRPC on {address}: {exc}") from None
        if self.port == 0:
            raise OSError(f"cannot listen for OTLP/gRPC on {address}")

    def __repr__(self) -> str:
        return f"OtlpGrpcServer(port={self.port})"

    def start(self) -> None:
        self._server.start()

    def stop(self, grace_s: float) -> threading.Event:
        """Refuse new calls now, let running ones finish for up to `grace_s` seconds."""
        return self._server.stop(grace_s)

    def _handler(self, service: str, signal: Signal) -> grpc.GenericRpcHandler:
        def export(request: bytes, context: grpc.ServicerContext) -> bytes:
            return self._export(signal, request, context)

        # No (de)serializer: the handler takes and returns the message bytes.
        method: grpc.RpcMethodHandler[bytes, bytes] = grpc.unary_unary_rpc_method_handler(export)
        return grpc.method_handlers_generic_handler(service, {"Export": method})

    def _export(self, signal: Signal, request: bytes, context: grpc.ServicerContext) -> bytes:
        metadata = {key: value for key, value in context.invocation_metadata()}
        ingress = self._ingress
        authorization = metadata.get("authorization")
        if not ingress.auth.allows(authorization if isinstance(authorization, str) else None):
            _abort(context, Refused(Problem.UNAUTHENTICATED, "missing or wrong bearer token"))
        if not ingress.limiter.try_acquire():
            _abort(
                context,
                Refused(
                    Problem.BUSY,
                    "too many requests in flight; retry later",
                    ingress.limits.busy_retry_after_s,
                ),
            )
        try:
            project = metadata.get(PROJECT_METADATA)
            outcome = ingress.run(
                ExportRequest(
                    signal,
                    request,
                    project=project.strip() or None if isinstance(project, str) else None,
                )
            )
        finally:
            ingress.limiter.release()
        if isinstance(outcome, Refused):
            _abort(context, outcome)
        return export_response_proto(signal, outcome)


def _check_free(host: str, port: int, address: str) -> None:
    """Bind the port once ourselves, so a port in use is one clear error, before grpc logs its
    own lines about it (a fixed port only; 0 always binds)."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(
                f"cannot listen for OTLP/gRPC on {address}: {exc.strerror or exc}"
            ) from None


def _abort(context: grpc.ServicerContext, refused: Refused) -> NoReturn:
    """End the call with the refusal's status, details and retry delay in the trailers."""
    status = status_proto(PROBLEM_CODES[refused.problem], refused.message, refused.retry_after_s)
    trailers: list[tuple[str, str | bytes]] = [
        ("grpc-status-details-bin", status.SerializeToString())
    ]
    if refused.retry_after_s is not None:
        trailers.append(("google.rpc.retryinfo-bin", retry_info_bytes(refused.retry_after_s)))
    context.set_trailing_metadata(tuple(trailers))
    context.abort(_CODES[refused.problem], refused.message)
