"""Fuzz targets: each takes raw bytes and may only fail with the error its parser documents.

Any other exception is a crash. A target returns normally for accepted and for rejected input.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.dotted_order import parse, problems
from otel_runs.errors import DottedOrderError, InvalidRunError, OtlpDecodeError
from otel_runs.model.run import Run
from otel_runs.otlp.decode import Decoded, decode_json_request, decode_request


def _convert_all(decoded: Decoded) -> None:
    """Decoded spans go through the whole conversion; bad ones become rejections, never errors."""
    conversion = convert_records(decoded.records)
    for run in conversion.runs:
        run.to_dict()


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
    "dotted_order": dotted_order,
    "run_json": run_json,
}
