"""OTLP trace requests <-> `SpanRecord`s (ring 1: pure, no network, no threads, no HTTP library).

- `decode_request(body)`: OTLP/protobuf `ExportTraceServiceRequest` bytes -> `Decoded`.
- `decode_json_request(body)`: OTLP/JSON text or bytes -> `Decoded`.
- `encode_json_request(records)`: span records -> spec-conformant OTLP/JSON (a dict to dump).
- `Decoded`: the records that decoded and the `(index, reason)` of each span rejected.

A body that cannot be decoded at all raises `otel_runs.errors.OtlpDecodeError`.
"""

from __future__ import annotations

from otel_runs.otlp.decode import Decoded, decode_json_request, decode_request
from otel_runs.otlp.encode_json import encode_json_request

__all__ = ["Decoded", "decode_json_request", "decode_request", "encode_json_request"]
