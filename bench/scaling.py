"""How conversion and hot-path costs grow with the shape of the spans.

Three dimensions, each varied from the reference shape (10 GenAI-like attributes, nested):

- attributes per span: 0, 10, 50, 128 (128 is the SDK's default attribute count limit);
- size of the `gen_ai.input.messages` attribute: 1 KB, 100 KB, 1 MB (one user message);
- trace depth: 1, 10, 50 (each trace one chain of nested spans).

Per point, two ratios measured as everywhere else (interleaved rounds, medians):
conversion CPU per span (`RunExporter.export` into a serializing sink vs the SDK's OTLP encoder
+ SerializeToString, both on 512-span batches), and app-thread CPU per span
(`RunSpanProcessor` vs `BatchSpanProcessor` + no-op exporter, one thread). Large messages
make every span expensive, so fewer spans are used there (the figures are per span either way).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench.common import ATTRIBUTES, NoOpExporter, NullSink, Row, cpu_us, interleaved, row
from bench.conversion import ENCODER, in_batches
from otel_runs import RunExporter, RunSpanProcessor
from otel_runs.conventions import genai as g

QUEUE = 1_000_000  # no drops
SDK_ATTRIBUTE_LIMIT = 128
"""OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT's default."""
ATTRIBUTE_COUNTS = (0, 10, 50, SDK_ATTRIBUTE_LIMIT)
MESSAGE_BYTES = (1_000, 100_000, 1_000_000)
DEPTHS = (1, 10, 50)
_SENTENCE = "Summarize the quarterly report and list the three largest risks. "


@dataclass(frozen=True)
class Shape:
    """What every span of a run looks like, and how the spans nest."""

    dimension: str
    x: int
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)
    depth: int = 10
    scale: float = 1.0
    """Fraction of the usual span count (big messages make each span costly)."""


def _attributes(count: int) -> dict[str, Any]:
    """`count` attributes: the reference ten first, then 20-character strings."""
    base = dict(list(ATTRIBUTES.items())[:count])
    for index in range(len(base), count):
        base[f"app.attribute_{index:03d}"] = f"value-{index:03d}-abcdefghij"[:20]
    return base


def _message(size: int) -> str:
    """A `gen_ai.input.messages` value of about `size` bytes: one user message."""
    text = (_SENTENCE * (size // len(_SENTENCE) + 1))[: max(size - 60, 1)]
    return json.dumps([{"role": "user", "parts": [{"type": "text", "content": text}]}])


def shapes() -> list[Shape]:
    out = [Shape("attributes", n, f"{n} attributes", _attributes(n)) for n in ATTRIBUTE_COUNTS]
    for size in MESSAGE_BYTES:
        attributes = {**ATTRIBUTES, g.INPUT_MESSAGES: _message(size)}
        label = f"{size // 1000} KB input message" if size < 1_000_000 else "1 MB input message"
        out.append(Shape("message_bytes", size, label, attributes, scale=min(1.0, 10_000 / size)))
    out += [Shape("depth", d, f"depth {d}", dict(ATTRIBUTES), depth=d) for d in DEPTHS]
    return out


def make_traces(provider: TracerProvider, n: int, shape: Shape) -> None:
    """About n spans: chains of `shape.depth` nested spans."""
    tracer = provider.get_tracer("bench.scaling")
    attributes = shape.attributes

    def chain(level: int) -> None:
        with tracer.start_as_current_span("chat", attributes=attributes):
            if level > 1:
                chain(level - 1)

    for _ in range(max(n // shape.depth, 1)):
        chain(shape.depth)


def _finished(n: int, shape: Shape) -> Sequence[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    make_traces(provider, n, shape)
    return memory.get_finished_spans()


def _app_cpu_us(make: Callable[[], TracerProvider], n: int, shape: Shape) -> float:
    """App-thread CPU µs per span while making about n spans (the processor's worker excluded)."""
    provider = make()
    make_traces(provider, shape.depth * 2, shape)  # warm-up
    provider.force_flush()
    gc.collect()
    start = time.thread_time()
    make_traces(provider, n, shape)
    spent = time.thread_time() - start
    provider.shutdown()
    return spent / (max(n // shape.depth, 1) * shape.depth) * 1e6


def _bsp_noop() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(NoOpExporter(), max_queue_size=QUEUE))
    return provider


def _ours() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(RunSpanProcessor(NullSink(), max_queue_size=QUEUE))
    return provider


@contextlib.contextmanager
def _attribute_limit_warnings_off() -> Iterator[None]:
    """At 128 attributes the processor's identity stamps exceed the SDK's attribute count
    limit; the SDK then logs one warning per span, which would bury the table."""
    sdk_logger = logging.getLogger("opentelemetry.attributes")
    level = sdk_logger.level
    sdk_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        sdk_logger.setLevel(level)


def _point(shape: Shape, n: int, rounds: int) -> list[Row]:
    count = max(int(n * shape.scale) // shape.depth * shape.depth, shape.depth)
    spans = _finished(count, shape)
    exporter = RunExporter(NullSink())
    hot = functools.partial(_app_cpu_us, n=count, shape=shape)
    with _attribute_limit_warnings_off():
        medians = interleaved(
            rounds,
            encoder=lambda: cpu_us(
                in_batches(spans, lambda batch: encode_spans(batch).SerializeToString()),
                len(spans),
            ),
            convert=lambda: cpu_us(in_batches(spans, exporter.export), len(spans)),
            bsp=lambda: hot(_bsp_noop),
            ours=lambda: hot(_ours),
        )
    exporter.shutdown()
    rows = [
        row(
            f"scaling: conversion CPU, {shape.label}",
            ENCODER,
            medians["encoder"],
            medians["convert"],
            "-",
        ),
        row(
            f"scaling: hot path CPU, {shape.label}",
            "BatchSpanProcessor + no-op exporter",
            medians["bsp"],
            medians["ours"],
            "-",
        ),
    ]
    for item, path in zip(rows, ("conversion", "hot path"), strict=True):
        item.update(dimension=shape.dimension, x=shape.x, path=path, spans=len(spans))
    if len(shape.attributes) >= SDK_ATTRIBUTE_LIMIT:
        rows[1]["note"] = (
            "the processor's 3 identity stamps exceed the SDK's 128-attribute limit: the SDK "
            "drops the span's 3 oldest attributes (here gen_ai.operation.name, request.model, "
            "provider.name) and logs a warning per span"
        )
    return rows


def scaling(n: int, rounds: int) -> list[Row]:
    """Rows for every shape; `n` spans per point at the reference size."""
    return [item for shape in shapes() for item in _point(shape, n, rounds)]
