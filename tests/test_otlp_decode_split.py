"""A protobuf body upb refuses whole (an attribute nested past its recursion limit, a string
that is not UTF-8) is parsed span by span: only the span it cannot read is rejected."""

from __future__ import annotations

import pytest
from fuzz.seeds import seeds
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]  # no stubs
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otel_runs.errors import OtlpDecodeError, TooManySpansError
from otel_runs.otlp._split import split_request
from otel_runs.otlp.decode import _decode_pieces, decode_request

T0 = 1_767_225_600_000_000_000


def _span(span_id: int, name: str = "plain") -> Span:
    return Span(
        trace_id=(7).to_bytes(16, "big"),
        span_id=span_id.to_bytes(8, "big"),
        name=name,
        start_time_unix_nano=T0,
        end_time_unix_nano=T0 + 1_000,
    )


def _nest(value: AnyValue, levels: int) -> None:
    """Arrays nested `levels` deep, built in place (copying such a message makes upb parse it)."""
    for _ in range(levels):
        value = value.array_value.values.add()
    value.string_value = "bottom"


def _request(*groups: list[Span], deep: int | None = None) -> ExportTraceServiceRequest:
    """One resource per group, each with one scope holding the group's spans; the span with id
    `deep` gets an attribute nested 60 arrays deep."""
    request = ExportTraceServiceRequest()
    for number, spans in enumerate(groups):
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.add(key="service.name").value.string_value = f"s{number}"
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "scope"
        scope_spans.spans.extend(spans)
        for added in scope_spans.spans:
            if int.from_bytes(added.span_id, "big") == deep:
                _nest(added.attributes.add(key="deep").value, 60)
    return request


def test_a_span_nested_past_upbs_limit_is_rejected_alone() -> None:
    body = _request([_span(1), _span(2)], deep=1).SerializeToString()
    with pytest.raises(DecodeError, match="MaxDepth"):  # upb refuses the whole message
        ExportTraceServiceRequest.FromString(body)
    decoded = decode_request(body)
    assert [record.span_id for record in decoded.records] == [2]
    assert decoded.records[0].resource == {"service.name": "s0"}
    [(index, reason)] = decoded.rejected
    assert index == 0 and reason.startswith("span 0: cannot be parsed")


def test_a_span_whose_name_is_not_utf8_is_rejected_alone() -> None:
    body = _request([_span(1), _span(2, name="MARKNAME"), _span(3)]).SerializeToString()
    body = body.replace(b"MARKNAME", b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8")
    decoded = decode_request(body)
    assert [record.span_id for record in decoded.records] == [1, 3]
    assert [index for index, _ in decoded.rejected] == [1]


def test_a_resource_that_cannot_be_parsed_rejects_its_spans_only() -> None:
    request = _request([_span(1), _span(2)], [_span(3)])
    _nest(request.resource_spans[0].resource.attributes.add(key="deep").value, 60)
    decoded = decode_request(request.SerializeToString())
    assert [record.span_id for record in decoded.records] == [3]
    assert [index for index, _ in decoded.rejected] == [0, 1]
    assert all("resource cannot be parsed" in reason for _, reason in decoded.rejected)


def test_the_span_limit_holds_on_the_span_by_span_path() -> None:
    body = _request([_span(1), _span(2), _span(3)], deep=1).SerializeToString()
    with pytest.raises(TooManySpansError):
        decode_request(body, max_spans=2)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\x0a\xff", id="length past the end"),
        pytest.param(b"\x0a\x05\x12\x03ab", id="truncated inner message"),
        pytest.param(b"\xff" * 11, id="bad varint"),
    ],
)
def test_a_body_that_is_not_wire_level_protobuf_stays_undecodable(body: bytes) -> None:
    with pytest.raises(OtlpDecodeError, match="not an OTLP protobuf"):
        decode_request(body)


@pytest.mark.parametrize("body", seeds("otlp_protobuf"), ids=lambda b: f"{len(b)} bytes")
def test_span_by_span_decoding_equals_whole_decoding(body: bytes) -> None:
    """The fallback reads every well-formed request exactly as the normal path does."""
    pieces = split_request(body)
    assert pieces is not None
    assert _decode_pieces(pieces, None) == decode_request(body)


def test_unknown_fields_of_any_wire_type_are_skipped_as_upb_does() -> None:
    deep = _request([_span(1), _span(2)], deep=1).SerializeToString()
    unknown = b"\x18\x05" + b"\x08\x01" + b"\x23\x08\x07\x24" + b"\x21" + b"\x00" * 8
    decoded = decode_request(unknown + deep)  # varint, field 1 as a varint, a group, fixed64
    assert [record.span_id for record in decoded.records] == [2]
    assert [index for index, _ in decoded.rejected] == [0]
