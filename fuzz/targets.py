"""Fuzz targets: each takes raw bytes and may only fail with the error its parser documents.

Any other exception is a crash. A target returns normally for accepted and for rejected input.
What the OTLP targets decode then goes the receiver's whole way to a 200 and beyond: hidden
content (privacy), the value size limit, the spool codec (which must give back exactly what it
was given), and conversion to runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.dotted_order import parse, problems
from otel_runs.errors import DottedOrderError, InvalidRunError, OtlpDecodeError
from otel_runs.model.run import Run
from otel_runs.otlp.decode import Decoded, decode_json_request, decode_request
from otel_runs.otlp.decode_logs import DecodedLogs, decode_logs_json_request, decode_logs_request
from otel_runs.privacy import Privacy
from otel_runs.receiver.codec import (
    decode_log_events,
    decode_spans,
    encode_log_events,
    encode_spans,
)
from otel_runs.receiver.intake import LogEvent
from otel_runs.value_limits import cap_event_values, cap_span_values

_HIDE_ALL = Privacy(hide_inputs=True, hide_outputs=True)


def _convert_all(decoded: Decoded) -> None:
    """Decoded spans go through hiding, the spool codec and the whole conversion; bad ones
    become rejections, never errors."""
    hidden = [_HIDE_ALL.hide_record(record) for record in decoded.records]
    hidden = [cap_span_values(record, 1024) for record in hidden]
    assert repr(decode_spans(encode_spans(decoded.records))) == repr(decoded.records)  # NaN-safe
    conversion = convert_records(decoded.records)
    for run in conversion.runs:
        _HIDE_ALL.apply(run)
        run.to_dict()
    convert_records(hidden)


def _spool_logs(decoded: DecodedLogs) -> None:
    events = [LogEvent(e.trace_id, e.span_id, e.event) for e in decoded.events]
    assert repr(decode_log_events(encode_log_events(events))) == repr(events)
    for item in events:
        cap_event_values(_HIDE_ALL.hide_event(item.event), 1024)


def otlp_protobuf(data: bytes) -> None:
    try:
        decoded = decode_request(data)
    except OtlpDecodeError:
        return
    _convert_all(decoded)


def otlp_json(data: bytes) -> None:
    try:
        decoded = decode_json_request(data)
    except OtlpDecodeError:
        return
    _convert_all(decoded)


def otlp_logs_protobuf(data: bytes) -> None:
    try:
        decoded = decode_logs_request(data)
    except OtlpDecodeError:
        return
    _spool_logs(decoded)


def otlp_logs_json(data: bytes) -> None:
    try:
        decoded = decode_logs_json_request(data)
    except OtlpDecodeError:
        return
    _spool_logs(decoded)


def dotted_order(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        segments = parse(text)
    except DottedOrderError:
        return
    last = segments[-1].run_id
    problems(text, last, segments[0].run_id, segments[-2].run_id if len(segments) > 1 else None)


def run_json(data: bytes) -> None:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return  # not JSON: the JSON parser's business, not ours
    try:
        run = Run.from_dict(doc)
    except InvalidRunError:
        return
    json.dumps(run.to_dict(), default=str)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "otlp_protobuf": otlp_protobuf,
    "otlp_json": otlp_json,
    "otlp_logs_protobuf": otlp_logs_protobuf,
    "otlp_logs_json": otlp_logs_json,
    "dotted_order": dotted_order,
    "run_json": run_json,
}
