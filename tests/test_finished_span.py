"""`finished_span`: the field-by-field read of the SDK's span gives what its properties give."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_runs.convert.from_sdk import _from_properties, finished_span, record_from_span


def _spans() -> tuple[ReadableSpan, ...]:
    memory = InMemorySpanExporter()
    tp = TracerProvider(
        resource=Resource.create({"service.name": "svc"}),
        span_limits=SpanLimits(max_span_attributes=3, max_events=1, max_links=1),
    )
    tp.add_span_processor(SimpleSpanProcessor(memory))
    tracer = tp.get_tracer("scope", "2.0")
    remote = trace.SpanContext(
        0x1, 0x2, is_remote=True, trace_flags=trace.TraceFlags(1),
        trace_state=trace.TraceState([("vendor", "x")]),
    )  # fmt: skip
    with tracer.start_as_current_span("plain"):
        pass
    parent = trace.set_span_in_context(trace.NonRecordingSpan(remote))
    with tracer.start_as_current_span(
        "busy", context=parent, kind=trace.SpanKind.CLIENT,
        attributes={"a": 1, "b": "two", "c": (1.5, 2.5), "d": True},
        links=[trace.Link(remote, {"why": "follows"}), trace.Link(remote)],
    ) as span:  # fmt: skip
        span.add_event("first", {"n": 1})
        span.add_event("second")
        span.set_status(trace.StatusCode.ERROR, "it broke")
    return memory.get_finished_spans()


def test_the_sdk_span_is_read_field_by_field_with_the_same_values() -> None:
    for span in _spans():
        assert type(span) is ReadableSpan
        fast, slow = finished_span(span), _from_properties(span)
        assert fast.attributes is span._attributes._dict  # type: ignore[union-attr]  # shared, not copied
        assert dict(fast.attributes) == dict(slow.attributes)
        assert list(fast.events) == list(slow.events)
        assert list(fast.links) == list(slow.links)
        assert fast._replace(attributes={}, events=(), links=()) == slow._replace(
            attributes={}, events=(), links=()
        )
        assert record_from_span(fast) == record_from_span(span)


def test_the_busy_span_carries_everything_a_record_reads() -> None:
    busy = record_from_span(finished_span(_spans()[1]))
    assert busy.parent_is_remote is True and busy.trace_state == "vendor=x"
    assert (busy.dropped_attributes, busy.dropped_events, busy.dropped_links) == (1, 1, 1)
    assert [event.name for event in busy.events] == ["second"]
    assert (busy.kind, busy.status_code, busy.status_message) == ("CLIENT", "ERROR", "it broke")
    assert (busy.scope_name, busy.scope_version) == ("scope", "2.0")
    assert busy.resource["service.name"] == "svc"


def test_another_span_type_is_read_through_its_properties() -> None:
    class Mine(ReadableSpan):
        pass

    context = trace.SpanContext(0x5, 0x6, is_remote=False)
    mine = Mine(name="mine", context=context, attributes={"k": "v"}, start_time=1, end_time=2)
    record = record_from_span(finished_span(mine))
    assert (record.name, record.attributes, record.start_ns, record.end_ns) == (
        "mine",
        {"k": "v"},
        1,
        2,
    )
    hand_made = ReadableSpan(
        name="plain", context=context, attributes={"k": 1}, start_time=1, end_time=3
    )
    assert finished_span(hand_made).attributes == {"k": 1}  # a plain dict: not the SDK's layout


class _Like:
    """A look-alike of an SDK value: the same public properties, another type."""

    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def test_look_alike_contexts_status_and_scope_read_the_same_as_the_sdk_types() -> None:
    # record_from_span reads the SDK's own SpanContext, Status and InstrumentationScope by
    # their layout; any other type goes through its properties, with the same result.
    for span in _spans():
        fast = finished_span(span)
        context, parent, status, scope = (
            fast.context, fast.parent, fast.status, fast.instrumentation_scope,
        )  # fmt: skip
        assert context is not None and scope is not None
        looks: dict[str, Any] = {
            "context": _Like(
                trace_id=context.trace_id, span_id=context.span_id, trace_state=context.trace_state
            ),
            "parent": None
            if parent is None
            else _Like(span_id=parent.span_id, is_remote=parent.is_remote),
            "status": _Like(status_code=status.status_code, description=status.description),
            "instrumentation_scope": _Like(name=scope.name, version=scope.version),
        }
        alike = fast._replace(**looks)
        assert type(fast.context) is trace.SpanContext  # the layout path is the one compared
        assert record_from_span(alike) == record_from_span(fast)
