"""Seed corpora: the golden OTLP fixtures (as JSON and as protobuf), their span events sent as
OTLP log records, runs and dotted orders."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]  # no stubs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.model.span_record import SpanRecord
from otel_runs.otlp.decode import decode_json_request

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "otlp"
_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids_to_base64(value: Any) -> Any:
    """proto3's JSON mapping reads bytes as base64; OTLP/JSON writes ids as hex."""
    if isinstance(value, dict):
        return {
            key: base64.b64encode(bytes.fromhex(item)).decode()
            if key in _ID_KEYS and isinstance(item, str)
            else _hex_ids_to_base64(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_hex_ids_to_base64(item) for item in value]
    return value


def _records(body: bytes) -> list[SpanRecord]:
    return decode_json_request(body).records


def _logs(body: bytes) -> dict[str, Any]:
    """The span events of a traces request, as the log records an instrumentation that logs its
    GenAI content events would send (one plain log line without span context too)."""
    records: list[dict[str, Any]] = [{"timeUnixNano": "1", "body": {"stringValue": "plain"}}]
    for resource in json.loads(body).get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for event in span.get("events", []):
                    records.append({
                        "timeUnixNano": event.get("timeUnixNano", "0"),
                        "traceId": span["traceId"], "spanId": span["spanId"],
                        "eventName": event.get("name", ""),
                        "attributes": event.get("attributes", []),
                    })  # fmt: skip
    return {"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]}


def seeds(target: str) -> list[bytes]:
    bodies = [path.read_bytes() for path in sorted(FIXTURES.glob("*.json"))]
    if target == "otlp_json":
        return bodies
    if target == "otlp_logs_json":
        return [json.dumps(_logs(body)).encode() for body in bodies]
    if target == "otlp_logs_protobuf":
        return [
            json_format.ParseDict(
                _hex_ids_to_base64(_logs(body)), ExportLogsServiceRequest()
            ).SerializeToString()
            for body in bodies
        ]
    if target == "otlp_protobuf":
        out = []
        for body in bodies:
            message = json_format.ParseDict(
                _hex_ids_to_base64(json.loads(body)), ExportTraceServiceRequest()
            )
            out.append(message.SerializeToString())
        return out
    runs = [run for body in bodies for run in convert_records(_records(body)).runs]
    if target == "run_json":
        return [json.dumps(run.to_dict()).encode() for run in runs[:40]]
    if target == "dotted_order":
        return [run.dotted_order.encode() for run in runs[:40]]
    raise KeyError(target)


def write_corpus(target: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index, seed in enumerate(seeds(target)):
        (directory / f"seed-{index:03d}").write_bytes(seed)
