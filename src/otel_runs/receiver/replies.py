"""Reply bodies, in OTLP/protobuf or OTLP/JSON: export responses and `google.rpc.Status` errors.

- Success: an `Export*ServiceResponse` with `partial_success` unset; when items were rejected,
  `partial_success` carries their count and a message naming the reasons.
- Failure: a `google.rpc.Status` (the OTLP spec's error body) with a `RetryInfo` detail when the
  sender should come back later, and a `BadRequest` detail for undecodable data.

The JSON forms are written by hand, in the OTLP/JSON style (lowerCamelCase, int64 counts as
decimal strings, `Any` details with an `@type`), never with `json_format`.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from google.rpc import code_pb2  # type: ignore[import-untyped]  # no stubs
from google.rpc.error_details_pb2 import (  # type: ignore[import-untyped]  # no stubs
    BadRequest,
    RetryInfo,
)
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]  # no stubs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

from otel_runs.receiver.export_call import Accepted, Problem, Signal

CODE_OK: Final[int] = code_pb2.OK
CODE_INVALID_ARGUMENT: Final[int] = code_pb2.INVALID_ARGUMENT
CODE_NOT_FOUND: Final[int] = code_pb2.NOT_FOUND
CODE_RESOURCE_EXHAUSTED: Final[int] = code_pb2.RESOURCE_EXHAUSTED
CODE_UNIMPLEMENTED: Final[int] = code_pb2.UNIMPLEMENTED
CODE_UNAVAILABLE: Final[int] = code_pb2.UNAVAILABLE
CODE_UNAUTHENTICATED: Final[int] = code_pb2.UNAUTHENTICATED

PROBLEM_CODES: Final = {
    Problem.UNDECODABLE: CODE_INVALID_ARGUMENT,
    Problem.TOO_LARGE: CODE_RESOURCE_EXHAUSTED,
    Problem.UNSUPPORTED: CODE_INVALID_ARGUMENT,
    Problem.UNAUTHENTICATED: CODE_UNAUTHENTICATED,
    Problem.BUSY: CODE_RESOURCE_EXHAUSTED,
    Problem.SPOOL_FULL: CODE_UNAVAILABLE,
    Problem.UNAVAILABLE: CODE_UNAVAILABLE,
}
"""`google.rpc.Code` of each refusal, as the OTLP spec and the Collector use them."""

_RETRY_INFO_TYPE: Final = "type.googleapis.com/google.rpc.RetryInfo"
_BAD_REQUEST_TYPE: Final = "type.googleapis.com/google.rpc.BadRequest"
_PARTIAL: Final = {
    Signal.TRACES: "rejectedSpans",
    Signal.LOGS: "rejectedLogRecords",
    Signal.METRICS: "rejectedDataPoints",
}


def retry_seconds(retry_after_s: float) -> int:
    """A retry delay as the whole seconds `Retry-After` and `RetryInfo` carry (at least 1)."""
    return max(1, math.ceil(retry_after_s))


def export_response(signal: Signal, accepted: Accepted, *, json_body: bool) -> bytes:
    """The success reply for `signal`, with `partial_success` only when there is news."""
    if json_body:
        doc: dict[str, Any] = {}
        if accepted.rejected or accepted.message:
            doc["partialSuccess"] = {
                _PARTIAL[signal]: str(accepted.rejected),
                "errorMessage": accepted.message,
            }
        return json.dumps(doc, ensure_ascii=False).encode()
    return export_response_proto(signal, accepted)


def export_response_proto(signal: Signal, accepted: Accepted) -> bytes:
    """The success reply as protobuf bytes (also gRPC's response message)."""
    news = bool(accepted.rejected or accepted.message)
    data: bytes
    if signal is Signal.TRACES:
        traces = ExportTraceServiceResponse()
        if news:
            traces.partial_success.CopyFrom(
                ExportTracePartialSuccess(
                    rejected_spans=accepted.rejected, error_message=accepted.message
                )
            )
        data = traces.SerializeToString()
        return data
    if signal is Signal.LOGS:
        logs = ExportLogsServiceResponse()
        if news:
            logs.partial_success.CopyFrom(
                ExportLogsPartialSuccess(
                    rejected_log_records=accepted.rejected, error_message=accepted.message
                )
            )
        data = logs.SerializeToString()
        return data
    data = ExportMetricsServiceResponse().SerializeToString()
    return data


def status_proto(code: int, message: str, retry_after_s: float | None = None) -> Any:
    """A `google.rpc.Status` message with the details its code calls for."""
    status = Status(code=code, message=message)
    if retry_after_s is not None:
        info = RetryInfo()
        info.retry_delay.seconds = retry_seconds(retry_after_s)
        status.details.add().Pack(info)
    if code == CODE_INVALID_ARGUMENT:
        bad = BadRequest()
        bad.field_violations.add(field="", description=message)
        status.details.add().Pack(bad)
    return status


def retry_info_bytes(retry_after_s: float) -> bytes:
    """A serialized `RetryInfo`, for gRPC's `google.rpc.retryinfo-bin` trailer."""
    info = RetryInfo()
    info.retry_delay.seconds = retry_seconds(retry_after_s)
    data: bytes = info.SerializeToString()
    return data


def status_body(
    code: int, message: str, retry_after_s: float | None = None, *, json_body: bool
) -> bytes:
    """A `google.rpc.Status` error body in the request's encoding."""
    if not json_body:
        data: bytes = status_proto(code, message, retry_after_s).SerializeToString()
        return data
    details: list[dict[str, Any]] = []
    if retry_after_s is not None:
        delay = f"{retry_seconds(retry_after_s)}s"
        details.append({"@type": _RETRY_INFO_TYPE, "retryDelay": delay})
    if code == CODE_INVALID_ARGUMENT:
        details.append(
            {"@type": _BAD_REQUEST_TYPE, "fieldViolations": [{"field": "", "description": message}]}
        )
    doc: dict[str, Any] = {"code": code, "message": message}
    if details:
        doc["details"] = details
    return json.dumps(doc, ensure_ascii=False).encode()
