"""CPU per span of conversion (+ serialization) vs the OTel SDK's OTLP protobuf encoder.

Both sides get the spans as BatchSpanProcessor hands them to an exporter: in batches of 512
(its default `max_export_batch_size`). Two span sets: the reference spans (ten GenAI-like
attributes, `bench.common.ATTRIBUTES`), and message-carrying chat spans as
opentelemetry-instrumentation-openai-v2 records them (`bench.common.MESSAGE_ATTRIBUTES`), whose
messages the conversion parses into LangSmith's message shape where the encoder copies bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan

from bench.common import (
    MESSAGE_ATTRIBUTES,
    NullSink,
    Row,
    cpu_us,
    finished_spans,
    interleaved,
    row,
)
from otel_runs import RunExporter, spans_to_runs

ENCODER = "OTel SDK encode_spans + SerializeToString"
BATCH = 512
"""BatchSpanProcessor's default export batch size."""


def in_batches(
    spans: Sequence[ReadableSpan], work: Callable[[Sequence[ReadableSpan]], object]
) -> Callable[[], object]:
    """work, called on each 512-span batch in turn."""
    return lambda: [work(spans[i : i + BATCH]) for i in range(0, len(spans), BATCH)]


def conversion(n: int, rounds: int) -> list[Row]:
    spans = finished_spans(n)
    with_messages = finished_spans(n, attributes=MESSAGE_ATTRIBUTES)
    count = len(spans)
    exporter = RunExporter(NullSink())

    def encoded(batch: Sequence[ReadableSpan]) -> object:
        return encode_spans(batch).SerializeToString()

    medians = interleaved(
        rounds,
        baseline=lambda: cpu_us(in_batches(spans, encoded), count),
        exporter=lambda: cpu_us(in_batches(spans, exporter.export), count),
        spans_to_runs=lambda: cpu_us(in_batches(spans, spans_to_runs), count),
        messages_baseline=lambda: cpu_us(in_batches(with_messages, encoded), count),
        messages_exporter=lambda: cpu_us(in_batches(with_messages, exporter.export), count),
    )
    exporter.shutdown()
    return [
        row("conversion + serialization CPU per span", ENCODER, medians["baseline"],
            medians["exporter"], "<= 0.6"),
        row("  same, message-carrying spans (openai-v2 shape)", ENCODER,
            medians["messages_baseline"], medians["messages_exporter"], "<= 1.2"),
        row("spans_to_runs alone (Run objects), CPU per span", ENCODER, medians["baseline"],
            medians["spans_to_runs"], "-"),
    ]  # fmt: skip
