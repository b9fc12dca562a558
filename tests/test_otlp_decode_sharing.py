"""Within one request, the decoders keep each repeated attribute key, short string value, span
name and event name as one str object shared by every span (fewer objects, a smaller spool
blob). Sharing must never change a value, and long values are left alone."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from otel_runs.model.span_record import SpanRecord
from otel_runs.otlp.decode import SHARED_TEXT_MAX, decode_json_request, decode_request
from otel_runs.receiver.codec import decode_spans, encode_spans

T0 = 1_700_000_000_000_000_000
TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
LONG = "x" * (SHARED_TEXT_MAX + 1)


def _text(value: str) -> AnyValue:
    return AnyValue(string_value=value)


def _pb_request(count: int) -> bytes:
    spans = [
        Span(
            trace_id=TRACE_ID.to_bytes(16, "big"),
            span_id=(0x100 + i).to_bytes(8, "big"),
            name="chat",
            start_time_unix_nano=T0,
            end_time_unix_nano=T0 + 1,
            attributes=[
                KeyValue(key="app.model", value=_text("gpt-4o-mini")),
                KeyValue(key="app.long", value=_text(LONG)),
                KeyValue(key="app.n", value=AnyValue(int_value=i)),
                KeyValue(
                    key="app.tags",
                    value=AnyValue(array_value=ArrayValue(values=[_text("a"), _text("b")])),
                ),
            ],
            events=[Span.Event(name="note", time_unix_nano=T0, attributes=[])],
        )
        for i in range(count)
    ]
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])]
    )
    body: bytes = request.SerializeToString()
    return body


def _json_request(count: int) -> bytes:
    def attr(key: str, value: dict[str, Any]) -> dict[str, Any]:
        return {"key": key, "value": value}

    spans = [
        {
            "traceId": f"{TRACE_ID:032x}",
            "spanId": f"{0x100 + i:016x}",
            "name": "chat",
            "startTimeUnixNano": str(T0),
            "endTimeUnixNano": str(T0 + 1),
            "attributes": [
                attr("app.model", {"stringValue": "gpt-4o-mini"}),
                attr("app.long", {"stringValue": LONG}),
                attr("app.n", {"intValue": str(i)}),
            ],
            "events": [{"name": "note", "timeUnixNano": str(T0)}],
        }
        for i in range(count)
    ]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


def _keys(record: SpanRecord) -> list[str]:
    return list(record.attributes)


def _assert_shared(records: list[SpanRecord]) -> None:
    first, second = records[0], records[1]
    for a, b in zip(_keys(first), _keys(second), strict=True):
        assert a == b
        assert a is b
    assert first.attributes["app.model"] is second.attributes["app.model"]
    assert first.events[0].name is second.events[0].name


def test_protobuf_spans_of_a_request_share_repeated_strings() -> None:
    records = decode_request(_pb_request(3)).records
    _assert_shared(records)
    assert records[0].name is records[1].name
    assert [r.attributes["app.n"] for r in records] == [0, 1, 2]
    assert records[2].attributes == {
        "app.model": "gpt-4o-mini",
        "app.long": LONG,
        "app.n": 2,
        "app.tags": ["a", "b"],
    }


def test_json_spans_of_a_request_share_repeated_strings() -> None:
    records = decode_json_request(_json_request(3)).records
    _assert_shared(records)
    assert [r.attributes for r in records][2] == {
        "app.model": "gpt-4o-mini",
        "app.long": LONG,
        "app.n": 2,
    }


def test_protobuf_and_json_decode_the_same_values() -> None:
    from_pb = decode_request(_pb_request(2)).records
    from_json = decode_json_request(_json_request(2)).records
    for pb, js in zip(from_pb, from_json, strict=True):
        pb_attributes = dict(pb.attributes)
        del pb_attributes["app.tags"]
        assert pb_attributes == js.attributes
        assert (pb.name, pb.events) == (js.name, js.events)


def test_shared_strings_survive_the_spool_codec_and_stay_shared() -> None:
    records = decode_request(_pb_request(4)).records
    back = decode_spans(encode_spans(records))
    assert back == records
    _assert_shared(back)  # marshal writes repeats as back-references and reads them shared
