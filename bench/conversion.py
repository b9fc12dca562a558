"""CPU per span of conversion (+ serialization) vs the OTel SDK's OTLP protobuf encoder."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from bench.common import NullSink, Row, cpu_us, finished_spans, interleaved, row
from otel_runs import RunExporter, spans_to_runs

ENCODER = "OTel SDK encode_spans + SerializeToString"


def conversion(n: int, rounds: int) -> list[Row]:
    spans = finished_spans(n)
    count = len(spans)
    exporter = RunExporter(NullSink())
    medians = interleaved(
        rounds,
        baseline=lambda: cpu_us(lambda: encode_spans(spans).SerializeToString(), count),
        exporter=lambda: cpu_us(lambda: exporter.export(spans), count),
        spans_to_runs=lambda: cpu_us(lambda: spans_to_runs(spans), count),
    )
    exporter.shutdown()
    return [
        row("conversion + serialization CPU per span", ENCODER, medians["baseline"],
            medians["exporter"], "<= 0.25"),
        row("spans_to_runs alone, CPU per span", ENCODER, medians["baseline"],
            medians["spans_to_runs"], "-"),
    ]  # fmt: skip
