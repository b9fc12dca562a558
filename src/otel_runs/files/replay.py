"""Spans replayed into any OTLP endpoint through the OTel SDK's own exporters.

`otlp-http` is `opentelemetry.exporter.otlp.proto.http.OTLPSpanExporter` (protobuf over
HTTP, the endpoint is the full `/v1/traces` URL); `otlp-grpc` is the gRPC exporter (an
`http://` endpoint means a plaintext channel). Both retry transient failures themselves, as in
any instrumented app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from opentelemetry.sdk.trace.export import SpanExporter

PROTOCOLS: Final = ("otlp-http", "otlp-grpc")


def exporter(protocol: str, endpoint: str, headers: Mapping[str, str]) -> SpanExporter:
    """The SDK exporter for `protocol` sending to `endpoint`."""
    if protocol == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, headers=dict(headers) or None)
    if protocol == "otlp-grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcSpanExporter,
        )

        insecure = endpoint.startswith("http://")
        return GrpcSpanExporter(endpoint=endpoint, insecure=insecure, headers=dict(headers) or None)
    raise ValueError(f"unknown protocol {protocol!r}; expected one of {PROTOCOLS}")
