"""OTLP/protobuf trace requests with known span ids, built directly from the proto classes.

Every request holds whole traces: one `agent` root and `chat` children carrying GenAI
attributes, so the receiver makes one chain run and several llm runs per trace. Ids come from
a counter under a random 32-bit tag, so two runs never collide and every acknowledged span can
be looked up as a run (run id = UUID(int=span_id), see `otel_runs.ids`).

With `split=True` a trace's root travels in the request after its children, as happens when
an SDK's batch cuts a trace in two: the receiver must hold the children until the root comes
(and, across a crash, hang them under a root delivered before it).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ScopeSpans, Span

from otel_runs.conventions import genai as g
from otel_runs.conventions.otel import SERVICE_NAME

SPAN_BITS_PER_TRACE: Final = 6
"""Up to 63 spans per trace: span id = tag << 32 | trace number << 6 | position."""
_MS: Final = 1_000_000
_INPUT: Final = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "ping"}]}])
_OUTPUT: Final = json.dumps(
    [{"role": "assistant", "parts": [{"type": "text", "content": "pong"}], "finish_reason": "stop"}]
)


@dataclass(frozen=True, slots=True)
class Body:
    """One encoded request and the span ids it carries."""

    data: bytes
    span_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Trace:
    number: int
    spans: tuple[Span, ...]
    """Children first, root last."""


class Payloads:
    """Makes requests of `traces_per_request` traces of `spans_per_trace` spans each."""

    def __init__(
        self,
        traces_per_request: int = 4,
        spans_per_trace: int = 5,
        *,
        split: bool = False,
        seed: int | None = None,
    ) -> None:
        if not 1 <= spans_per_trace < 1 << SPAN_BITS_PER_TRACE:
            raise ValueError(f"spans_per_trace must be 1..63, got {spans_per_trace}")
        self.traces_per_request = traces_per_request
        self.spans_per_trace = spans_per_trace
        self.split = split
        self._tag = random.Random(seed).getrandbits(31) | 1  # never all zero
        self._next_trace = 1
        self._held_roots: list[Span] = []

    @property
    def spans_per_request(self) -> int:
        return self.traces_per_request * self.spans_per_trace

    def next_body(self) -> Body:
        """The next request; with `split`, it also carries the previous request's roots."""
        spans: list[Span] = list(self._held_roots)
        self._held_roots = []
        for _ in range(self.traces_per_request):
            trace = self._trace()
            if self.split and len(trace.spans) > 1:
                spans.extend(trace.spans[:-1])
                self._held_roots.append(trace.spans[-1])
            else:
                spans.extend(trace.spans)
        return encode(spans)

    def flush(self) -> Body | None:
        """The roots still held back by `split`, or None."""
        if not self._held_roots:
            return None
        spans, self._held_roots = self._held_roots, []
        return encode(spans)

    def bodies(self) -> Iterator[Body]:
        while True:
            yield self.next_body()

    def _trace(self) -> _Trace:
        number = self._next_trace
        self._next_trace += 1
        trace_id = (self._tag << 96) | number
        first = (self._tag << 32) | (number << SPAN_BITS_PER_TRACE)
        start = time.time_ns()
        root_id = first | 1
        children = [
            _span(trace_id, first | (position + 1), root_id, "chat",
                  start=start + position * _MS, end=start + (position + 1) * _MS, llm=True)
            for position in range(1, self.spans_per_trace)
        ]  # fmt: skip
        end = start + (self.spans_per_trace + 1) * _MS
        root = _span(trace_id, root_id, None, "agent", start=start, end=end, llm=False)
        return _Trace(number, (*children, root))


def _span(
    trace_id: int, span_id: int, parent: int | None, name: str, *, start: int, end: int, llm: bool
) -> Span:
    span = Span(
        trace_id=trace_id.to_bytes(16, "big"),
        span_id=span_id.to_bytes(8, "big"),
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=end,
    )
    if parent is not None:
        span.parent_span_id = parent.to_bytes(8, "big")
    if llm:
        _put(span.attributes, g.OPERATION_NAME, "chat")
        _put(span.attributes, g.REQUEST_MODEL, "gpt-4o-mini")
        _put(span.attributes, g.USAGE_INPUT_TOKENS, 12)
        _put(span.attributes, g.USAGE_OUTPUT_TOKENS, 3)
        _put(span.attributes, g.INPUT_MESSAGES, _INPUT)
        _put(span.attributes, g.OUTPUT_MESSAGES, _OUTPUT)
    return span


def _put(attributes: object, key: str, value: str | int) -> None:
    item: KeyValue = attributes.add()  # type: ignore[attr-defined]  # repeated KeyValue field
    item.key = key
    if isinstance(value, str):
        item.value.string_value = value
    else:
        item.value.int_value = value


def encode(spans: list[Span], *, attributes: dict[str, str] | None = None) -> Body:
    """One request with one resource and one scope holding `spans`."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in {SERVICE_NAME: "reliability", **(attributes or {})}.items():
        _put(resource_spans.resource.attributes, key, value)
    scope: ScopeSpans = resource_spans.scope_spans.add()
    scope.scope.name = "reliability"
    for made in spans:
        scope.spans.add().CopyFrom(made)
    ids = tuple(int.from_bytes(span.span_id, "big") for span in spans)
    return Body(request.SerializeToString(), ids)


def span(
    span_id: int,
    *,
    trace_id: int | None = None,
    parent: int | None = None,
    attributes: dict[str, str | int] | None = None,
) -> Span:
    """One hand-made span (for the limits probes), starting now and lasting 1 ms."""
    start = time.time_ns()
    made = _span(trace_id or span_id << 64 | 1, span_id, parent, "probe", start=start,
                 end=start + _MS, llm=False)  # fmt: skip
    for key, value in (attributes or {}).items():
        _put(made.attributes, key, value)
    return made
