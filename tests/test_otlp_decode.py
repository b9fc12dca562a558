"""OTLP decoding and OTLP/JSON encoding: parity with the SDK path, round trips, malformed input.

The reference for "correct" is the OpenTelemetry SDK itself: its spans go through the real
OTLP protobuf encoder (`encode_spans`) and must decode to exactly the `SpanRecord` that
`record_from_span` makes of the same spans. The OTLP/JSON decoder is held to the same
reference through protobuf's own JSON printer (with ids turned into hex, the one place where
OTLP/JSON departs from proto3 JSON).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]  # no stubs
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PbResource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, SpanFlags
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)

from otel_runs.convert.from_sdk import record_from_span
from otel_runs.errors import OtelRunsError, OtlpDecodeError
from otel_runs.model.span_record import AttributeValue, EventRecord, LinkRecord, SpanRecord
from otel_runs.otlp import Decoded, decode_json_request, decode_request, encode_json_request
from otel_runs.otlp import _wire as wire

TRACE_ID = 0x5B8EFFF798038103D269B633813FC60C
T0 = 1_700_000_000_000_000_000
"""A fixed clock: 2023-11-14T22:13:20Z in Unix nanoseconds."""

Json = dict[str, Any]


# --- real SDK spans ---------------------------------------------------------------------------


class _SequentialIds(IdGenerator):
    """Deterministic ids: one trace id, span ids 0x1001, 0x1002, ..."""

    def __init__(self) -> None:
        self._next = 0x1000

    def generate_span_id(self) -> int:
        self._next += 1
        return self._next

    def generate_trace_id(self) -> int:
        return TRACE_ID


def _provider(
    service: str = "otlp-test", limits: SpanLimits | None = None
) -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource({"service.name": service, "deployment.environment.name": "test"}),
        id_generator=_SequentialIds(),
        span_limits=limits,
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _all_value_types() -> list[ReadableSpan]:
    provider, exporter = _provider()
    tracer = provider.get_tracer("scope.a", "1.2.3")
    span = tracer.start_span("values", start_time=T0)
    span.set_attributes(
        {
            "str": "text",
            "empty_str": "",
            "bool": True,
            "int": -(2**63),
            "big": 2**63 - 1,
            "float": 0.1,
            "inf": math.inf,
            "strs": ["a", "b"],
            "ints": [1, 2, 3],
            "floats": [1.5, -2.0],
            "bools": [True, False],
            "empty_list": [],
            "with_none": [1, None, 3],
            "bytes": b"\x00\xffbin",
            "map": {"a": 1, "nested": {"list": [1, 2], "s": "x"}},
        }
    )
    span.end(end_time=T0 + 5_000)
    return list(exporter.get_finished_spans())


def _tree_with_events_links_and_errors() -> list[ReadableSpan]:
    provider, exporter = _provider()
    tracer = provider.get_tracer("scope.a", "1.2.3")
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER, start_time=T0) as root:
        root.add_event("started", {"n": 1, "tags": ("x", "y")}, timestamp=T0 + 10)
        with tracer.start_as_current_span(
            "child",
            kind=SpanKind.CLIENT,
            start_time=T0 + 100,
            links=[Link(root.get_span_context(), {"why": "follows"})],
            end_on_exit=False,
        ) as child:
            child.set_status(Status(StatusCode.ERROR, "the call failed"))
            child.record_exception(ValueError("boom"), timestamp=T0 + 200)
            child.end(end_time=T0 + 300)
        for kind in (SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL):
            tracer.start_span(kind.name.lower(), kind=kind, start_time=T0 + 400).end(T0 + 500)
        ok = tracer.start_span("ok", start_time=T0 + 600)
        ok.set_status(Status(StatusCode.OK))
        ok.end(end_time=T0 + 700)
    return list(exporter.get_finished_spans())


def _remote_parent_with_trace_state() -> list[ReadableSpan]:
    provider, exporter = _provider()
    tracer = provider.get_tracer("scope.b")
    remote = SpanContext(
        TRACE_ID,
        0xFEEDFACECAFEBEEF,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "opaque"), ("other", "1")]),
    )
    context = trace.set_span_in_context(NonRecordingSpan(remote))
    tracer.start_span("server", context=context, start_time=T0).end(end_time=T0 + 1)
    return list(exporter.get_finished_spans())


def _dropped_counts() -> list[ReadableSpan]:
    limits = SpanLimits(max_span_attributes=2, max_events=1, max_links=1)
    provider, exporter = _provider(limits=limits)
    tracer = provider.get_tracer("scope.a")
    other = SpanContext(TRACE_ID, 0xABC, is_remote=False)
    span = tracer.start_span(
        "limited", start_time=T0, attributes={"a": 1, "b": 2, "c": 3}, links=[Link(other)] * 3
    )
    for i in range(3):
        span.add_event(f"e{i}", timestamp=T0 + i)
    span.end(end_time=T0 + 10)
    return list(exporter.get_finished_spans())


def _two_resources_and_scopes() -> list[ReadableSpan]:
    spans: list[ReadableSpan] = []
    for service in ("svc-1", "svc-2"):
        provider, exporter = _provider(service)
        for scope in ("scope.a", "scope.b"):
            provider.get_tracer(scope, "0.1").start_span(scope, start_time=T0).end(T0 + 1)
        spans.extend(exporter.get_finished_spans())
    return spans


SDK_SCENARIOS = [
    pytest.param(_all_value_types, id="every-attribute-value-type"),
    pytest.param(_tree_with_events_links_and_errors, id="tree-events-links-status-kinds"),
    pytest.param(_remote_parent_with_trace_state, id="remote-parent-trace-state"),
    pytest.param(_dropped_counts, id="dropped-counts"),
    pytest.param(_two_resources_and_scopes, id="two-resources-two-scopes"),
]


def _lists(value: AttributeValue) -> AttributeValue:
    """The SDK keeps sequences as tuples; decoders give lists. Compare them as lists."""
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _lists(item) for key, item in value.items()}
    return value


def _attrs(attributes: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
    return {key: _lists(value) for key, value in attributes.items()}


def expected_record(span: ReadableSpan) -> SpanRecord:
    """`record_from_span`, with sequence attribute values as lists."""
    record = record_from_span(span)
    return dataclasses.replace(
        record,
        attributes=_attrs(record.attributes),
        resource=_attrs(record.resource),
        events=tuple(
            dataclasses.replace(e, attributes=_attrs(e.attributes)) for e in record.events
        ),
        links=tuple(dataclasses.replace(k, attributes=_attrs(k.attributes)) for k in record.links),
    )


def _hex_ids(node: Any) -> Any:
    """Proto3 JSON (base64 ids) -> OTLP/JSON (hex ids); everything else is already OTLP/JSON."""
    if isinstance(node, list):
        return [_hex_ids(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"):
            out[key] = base64.b64decode(value).hex()
        else:
            out[key] = _hex_ids(value)
    return out


def _sdk_otlp_json(spans: Sequence[ReadableSpan], *, snake: bool, enum_names: bool) -> Json:
    """The SDK's own protobuf request printed as JSON by protobuf, with hex ids."""
    doc = MessageToDict(
        encode_spans(spans),
        preserving_proto_field_name=snake,
        use_integers_for_enums=not enum_names,
    )
    result: Json = _hex_ids(doc)
    return result


@pytest.mark.parametrize("make_spans", SDK_SCENARIOS)
def test_protobuf_from_sdk_encoder_decodes_like_record_from_span(
    make_spans: Callable[[], list[ReadableSpan]],
) -> None:
    spans = make_spans()
    decoded = decode_request(encode_spans(spans).SerializeToString())
    assert decoded.rejected == []
    assert decoded.records == [expected_record(span) for span in spans]


@pytest.mark.parametrize("make_spans", SDK_SCENARIOS)
@pytest.mark.parametrize(
    ("snake", "enum_names"),
    [
        pytest.param(False, False, id="camelCase-int-enums"),
        pytest.param(True, False, id="snake_case"),
        pytest.param(False, True, id="enum-names"),
    ],
)
def test_json_printed_from_sdk_protobuf_decodes_like_record_from_span(
    make_spans: Callable[[], list[ReadableSpan]], snake: bool, enum_names: bool
) -> None:
    spans = make_spans()
    body = json.dumps(_sdk_otlp_json(spans, snake=snake, enum_names=enum_names))
    decoded = decode_json_request(body)
    assert decoded.rejected == []
    assert decoded.records == [expected_record(span) for span in spans]


@pytest.mark.parametrize("make_spans", SDK_SCENARIOS)
def test_json_round_trip_of_sdk_records(make_spans: Callable[[], list[ReadableSpan]]) -> None:
    records = [expected_record(span) for span in make_spans()]
    body = json.dumps(encode_json_request(records))
    assert decode_json_request(body) == Decoded(records, [])
    assert decode_json_request(body.encode()) == Decoded(records, [])


def test_sdk_remote_flags_are_read_only_for_spans_with_a_parent() -> None:
    spans = _remote_parent_with_trace_state() + _tree_with_events_links_and_errors()
    records = decode_request(encode_spans(spans).SerializeToString()).records
    by_name = {record.name: record for record in records}
    assert by_name["server"].parent_is_remote is True
    assert by_name["server"].trace_state == "vendor=opaque,other=1"
    assert by_name["child"].parent_is_remote is False
    assert by_name["root"].parent_is_remote is None  # the SDK sets HAS_IS_REMOTE on roots too


# --- the JSON encoder's output is spec-shaped ------------------------------------------------


def _record(**changes: Any) -> SpanRecord:
    base = SpanRecord(
        trace_id=TRACE_ID,
        span_id=0x1001,
        parent_span_id=None,
        name="span",
        start_ns=T0,
        end_ns=T0 + 1_000,
    )
    return dataclasses.replace(base, **changes)


def test_encoder_writes_hex_ids_string_int64_and_integer_enums() -> None:
    record = _record(
        parent_span_id=0xAB,
        parent_is_remote=True,
        kind="CLIENT",
        status_code="ERROR",
        status_message="bad",
        attributes={"i": 7, "d": math.nan, "p": math.inf, "n": -math.inf, "b": b"\x01"},
        events=(EventRecord("e", T0 + 1, {"x": None}),),
        links=(LinkRecord(TRACE_ID, 0x2, {}),),
        dropped_events=3,
    )
    doc = encode_json_request([record])
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span == {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "0000000000001001",
        "parentSpanId": "00000000000000ab",
        "flags": 0x300,
        "name": "span",
        "kind": 3,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000000001000",
        "attributes": [
            {"key": "i", "value": {"intValue": "7"}},
            {"key": "d", "value": {"doubleValue": "NaN"}},
            {"key": "p", "value": {"doubleValue": "Infinity"}},
            {"key": "n", "value": {"doubleValue": "-Infinity"}},
            {"key": "b", "value": {"bytesValue": "AQ=="}},
        ],
        "events": [
            {
                "timeUnixNano": "1700000000000000001",
                "name": "e",
                "attributes": [{"key": "x", "value": {}}],
            }
        ],
        "links": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "0000000000000002"}],
        "droppedEventsCount": 3,
        "status": {"code": 2, "message": "bad"},
    }
    back = decode_json_request(json.dumps(doc)).records[0]
    assert math.isnan(back.attributes["d"])  # type: ignore[arg-type]  # a float here


def test_encoder_groups_by_resource_then_scope_in_first_seen_order() -> None:
    a, b = {"service.name": "a"}, {"service.name": "b"}
    records = [
        _record(span_id=1, resource=a, scope_name="s1"),
        _record(span_id=2, resource=dict(b), scope_name="s1"),
        _record(span_id=3, resource={"service.name": "a"}, scope_name="s2"),
        _record(span_id=4, resource=a, scope_name="s1"),
    ]
    doc = encode_json_request(records)
    shape = [
        (
            group["resource"]["attributes"][0]["value"]["stringValue"],
            [
                (scope["scope"].get("name"), [s["spanId"][-1] for s in scope["spans"]])
                for scope in group["scopeSpans"]
            ],
        )
        for group in doc["resourceSpans"]
    ]
    assert shape == [("a", [("s1", ["1", "4"]), ("s2", ["3"])]), ("b", [("s1", ["2"])])]
    decoded = decode_json_request(json.dumps(doc)).records
    assert [r.span_id for r in decoded] == [1, 4, 3, 2]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"kind": "SIDEWAYS"}, "unknown kind 'SIDEWAYS'", id="kind"),
        pytest.param({"status_code": "MAYBE"}, "unknown status code 'MAYBE'", id="status"),
        pytest.param({"attributes": {"x": 2**63}}, "outside int64", id="int-range"),
        pytest.param({"attributes": {"x": {1, 2}}}, "set is not an attribute", id="set"),
    ],
)
def test_encoder_refuses_what_otlp_cannot_carry(changes: Json, message: str) -> None:
    with pytest.raises(OtelRunsError, match=message):
        encode_json_request([_record(**changes)])


# --- hypothesis: the JSON round trip ----------------------------------------------------------

_int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_scalars = st.one_of(
    st.text(max_size=12),
    st.booleans(),
    _int64,
    st.floats(allow_nan=False),
    st.binary(max_size=12),
    st.none(),
)
_values: st.SearchStrategy[AttributeValue] = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)
_attributes = st.dictionaries(st.text(max_size=12), _values, max_size=5)
_trace_ids = st.integers(min_value=1, max_value=2**128 - 1)
_span_ids = st.integers(min_value=1, max_value=2**64 - 1)
_times = st.integers(min_value=1, max_value=2**64 - 1)
_counts = st.integers(min_value=0, max_value=2**32 - 1)
_events = st.builds(
    EventRecord, st.text(max_size=12), st.integers(min_value=0, max_value=2**64 - 1), _attributes
)
_links = st.builds(LinkRecord, _trace_ids, _span_ids, _attributes)


@st.composite
def _records(draw: st.DrawFn) -> list[SpanRecord]:
    """Records spread over two resources and two scopes, in random order."""
    resources = [{**draw(_attributes), "service.name": f"svc-{i}"} for i in range(2)]
    scopes = [(draw(st.text(max_size=8)), draw(st.text(max_size=8))) for _ in range(2)]
    out = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        parent = draw(st.none() | _span_ids)
        scope_name, scope_version = draw(st.sampled_from(scopes))
        out.append(
            SpanRecord(
                trace_id=draw(_trace_ids),
                span_id=draw(_span_ids),
                parent_span_id=parent,
                name=draw(st.text(max_size=16)),
                start_ns=draw(_times),
                end_ns=draw(_times),
                attributes=draw(_attributes),
                events=tuple(draw(st.lists(_events, max_size=3))),
                links=tuple(draw(st.lists(_links, max_size=2))),
                kind=draw(st.sampled_from(sorted(wire.SPAN_KIND_NUMBERS))),
                status_code=draw(st.sampled_from(wire.STATUS_CODE_NAMES)),
                status_message=draw(st.text(max_size=8)),
                resource=draw(st.sampled_from(resources)),
                scope_name=scope_name,
                scope_version=scope_version,
                parent_is_remote=None if parent is None else draw(st.none() | st.booleans()),
                trace_state=draw(st.text(max_size=8)),
                dropped_attributes=draw(_counts),
                dropped_events=draw(_counts),
                dropped_links=draw(_counts),
            )
        )
    return out


def _grouped(records: list[SpanRecord]) -> list[SpanRecord]:
    """The encoder's documented order: by resource, then scope, first seen first, stable."""
    resources: list[Mapping[str, AttributeValue]] = []
    scopes: list[tuple[int, str, str]] = []
    keys = []
    for record in records:
        if not any(r is record.resource for r in resources):
            resources.append(record.resource)
        resource = next(i for i, r in enumerate(resources) if r is record.resource)
        scope = (resource, record.scope_name, record.scope_version)
        if scope not in scopes:
            scopes.append(scope)
        keys.append((resource, scopes.index(scope)))
    order = sorted(range(len(records)), key=keys.__getitem__)
    return [records[i] for i in order]


@settings(max_examples=150, deadline=None)
@given(_records())
def test_json_round_trip_property(records: list[SpanRecord]) -> None:
    body = json.dumps(encode_json_request(records))
    assert decode_json_request(body) == Decoded(_grouped(records), [])


@settings(max_examples=100, deadline=None)
@given(_trace_ids, _span_ids, st.booleans())
def test_hex_ids_are_case_insensitive(trace_id: int, span_id: int, upper: bool) -> None:
    case = "X" if upper else "x"
    span = _span(traceId=f"{trace_id:032{case}}", spanId=f"{span_id:016{case}}")
    record = _one(span)
    assert (record.trace_id, record.span_id) == (trace_id, span_id)


# --- lenient OTLP/JSON reading ----------------------------------------------------------------


def _request(*spans: object, resource: Json | None = None, scope: Json | None = None) -> Json:
    group: Json = {"scopeSpans": [{"scope": scope or {"name": "s"}, "spans": list(spans)}]}
    if resource is not None:
        group["resource"] = resource
    return {"resourceSpans": [group]}


def _span(**fields: Any) -> Json:
    span: Json = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "0000000000001001",
        "name": "s",
        "kind": 1,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000000001000",
    }
    span.update(fields)
    return {k: v for k, v in span.items() if v is not None}


def _one(span: Json) -> SpanRecord:
    decoded = decode_json_request(json.dumps(_request(span)))
    assert decoded.rejected == []
    (record,) = decoded.records
    return record


@pytest.mark.parametrize(
    ("any_value", "expected"),
    [
        pytest.param({"stringValue": "x"}, "x", id="string"),
        pytest.param({"boolValue": False}, False, id="bool"),
        pytest.param({"intValue": "-9223372036854775808"}, -(2**63), id="int-string"),
        pytest.param({"intValue": 42}, 42, id="int-number"),
        pytest.param({"intValue": 42.0}, 42, id="int-integral-float"),
        pytest.param({"doubleValue": 1}, 1.0, id="double-from-integer"),
        pytest.param({"doubleValue": "Infinity"}, math.inf, id="double-infinity"),
        pytest.param({"doubleValue": "-Infinity"}, -math.inf, id="double-minus-infinity"),
        pytest.param({"doubleValue": "2.5e3"}, 2500.0, id="double-numeric-string"),
        pytest.param({"bytesValue": "AP8="}, b"\x00\xff", id="bytes-base64"),
        pytest.param({"bytesValue": "AP8"}, b"\x00\xff", id="bytes-unpadded"),
        pytest.param({"bytesValue": "-_8="}, b"\xfb\xff", id="bytes-url-safe"),
        pytest.param({}, None, id="empty-any-value"),
        pytest.param({"futureValue": 1}, None, id="unknown-variant-ignored"),
        pytest.param({"stringValue": None, "intValue": "3"}, 3, id="null-variant-skipped"),
        pytest.param(
            {"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "a"}, {}]}},
            [1, "a", None],
            id="array",
        ),
        pytest.param({"arrayValue": {}}, [], id="empty-array"),
        pytest.param(
            {
                "kvlistValue": {
                    "values": [
                        {"key": "a", "value": {"kvlistValue": {"values": []}}},
                        {"key": "b", "value": {"arrayValue": {"values": [{"boolValue": True}]}}},
                    ]
                }
            },
            {"a": {}, "b": [True]},
            id="kvlist-nested",
        ),
        pytest.param({"string_value": "snake"}, "snake", id="snake-case-variant"),
        pytest.param(
            {"kvlist_value": {"values": [{"key": "k", "value": {"int_value": "1"}}]}},
            {"k": 1},
            id="snake-case-kvlist",
        ),
    ],
)
def test_json_any_values(any_value: Json, expected: AttributeValue) -> None:
    record = _one(_span(attributes=[{"key": "k0", "value": any_value}]))
    assert record.attributes == {"k0": expected}


def test_json_nan_string_is_nan() -> None:
    record = _one(_span(attributes=[{"key": "d", "value": {"doubleValue": "NaN"}}]))
    value = record.attributes["d"]
    assert isinstance(value, float)
    assert math.isnan(value)


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        pytest.param(
            {"traceId": "5B8EFFF798038103D269B633813FC60C"},
            lambda r: r.trace_id == TRACE_ID,
            id="upper-case-hex",
        ),
        pytest.param(
            {"startTimeUnixNano": T0, "endTimeUnixNano": T0 + 5},
            lambda r: (r.start_ns, r.end_ns) == (T0, T0 + 5),
            id="times-as-numbers",
        ),
        pytest.param({"kind": "SPAN_KIND_SERVER"}, lambda r: r.kind == "SERVER", id="kind-name"),
        pytest.param({"kind": 0}, lambda r: r.kind == "INTERNAL", id="kind-unspecified"),
        pytest.param({"kind": None}, lambda r: r.kind == "INTERNAL", id="kind-missing"),
        pytest.param({"kind": 5}, lambda r: r.kind == "CONSUMER", id="kind-consumer"),
        pytest.param(
            {"status": {"code": "STATUS_CODE_ERROR", "message": "m"}},
            lambda r: (r.status_code, r.status_message) == ("ERROR", "m"),
            id="status-name",
        ),
        pytest.param(
            {"status": {"code": 1}}, lambda r: r.status_code == "OK", id="status-ok-number"
        ),
        pytest.param({"status": {}}, lambda r: r.status_code == "UNSET", id="status-empty"),
        pytest.param(
            {"parentSpanId": "0000000000000000"},
            lambda r: r.parent_span_id is None,
            id="all-zero-parent-is-no-parent",
        ),
        pytest.param({"parentSpanId": ""}, lambda r: r.parent_span_id is None, id="empty-parent"),
        pytest.param(
            {"parentSpanId": "00000000000000ab", "flags": 0x301},
            lambda r: r.parent_is_remote is True,
            id="remote-parent-flag",
        ),
        pytest.param(
            {"parentSpanId": "00000000000000ab", "flags": 0x200},
            lambda r: r.parent_is_remote is None,
            id="is-remote-without-has-is-remote",
        ),
        pytest.param(
            {"parentSpanId": "00000000000000ab", "flags": "256"},
            lambda r: r.parent_is_remote is False,
            id="flags-as-string",
        ),
        pytest.param({"flags": 0x300}, lambda r: r.parent_is_remote is None, id="root-flags"),
        pytest.param(
            {"futureField": {"x": 1}, "name": "kept"},
            lambda r: r.name == "kept",
            id="unknown-fields-ignored",
        ),
        pytest.param(
            {"droppedAttributesCount": "2", "droppedEventsCount": 3, "droppedLinksCount": 4},
            lambda r: (r.dropped_attributes, r.dropped_events, r.dropped_links) == (2, 3, 4),
            id="dropped-counts",
        ),
        pytest.param({"name": None}, lambda r: r.name == "", id="name-missing"),
        pytest.param(
            {"attributes": [{"key": "a", "value": {"stringValue": "1"}}, {"key": "a"}]},
            lambda r: r.attributes == {"a": None},
            id="repeated-key-last-wins",
        ),
        pytest.param(
            {"events": [{"name": "e"}]},
            lambda r: r.events == (EventRecord("e", 0, {}),),
            id="event-time-missing-is-zero",
        ),
    ],
)
def test_json_lenient_reading(fields: Json, check: Callable[[SpanRecord], bool]) -> None:
    assert check(_one(_span(**fields)))


def test_json_snake_case_and_camel_case_twins() -> None:
    span = _span(start_time_unix_nano="5", name="n")
    span.pop("startTimeUnixNano")
    span["end_time_unix_nano"] = "1"  # the camelCase twin wins
    assert (_one(span).start_ns, _one(span).end_ns) == (5, T0 + 1_000)


def test_json_empty_request_and_empty_lists() -> None:
    assert decode_json_request("{}") == Decoded([], [])
    assert decode_json_request('{"resourceSpans": []}') == Decoded([], [])
    assert decode_json_request('{"resourceSpans": [{"scopeSpans": [{}]}]}') == Decoded([], [])
    assert decode_request(b"") == Decoded([], [])


def test_resource_and_scope_are_copied_onto_every_span() -> None:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]}
    body = _request(
        _span(spanId="0000000000000001"),
        _span(spanId="0000000000000002"),
        resource=resource,
        scope={"name": "lib", "version": "2.0", "attributes": []},
    )
    records = decode_json_request(json.dumps(body)).records
    assert [(r.resource, r.scope_name, r.scope_version) for r in records] == [
        ({"service.name": "svc"}, "lib", "2.0")
    ] * 2


# --- malformed input: one bad span, its neighbours decode ------------------------------------

_GOOD = [_span(spanId=f"{i + 1:016x}", name=f"good-{i}") for i in range(3)]


def _deep(levels: int) -> Json:
    value: Json = {"stringValue": "leaf"}
    for _ in range(levels):
        value = {"arrayValue": {"values": [value]}}
    return value


MALFORMED_JSON_SPANS = [
    pytest.param("not a span", "span 1: must be a JSON object, got string", id="not-an-object"),
    pytest.param(
        {"traceId": "zz" * 16}, "span 1: traceId must be 32 hex characters, got 'zzzz", id="bad-hex"
    ),
    pytest.param(
        {"traceId": "5b8efff798038103d269b633813fc6"},
        "span 1: traceId must be 32 hex characters, got 30",
        id="trace-id-30-chars",
    ),
    pytest.param(
        {"traceId": "0x" + "1" * 30},
        "span 1: traceId must be 32 hex characters, got '0x11",
        id="trace-id-0x-prefix",
    ),
    pytest.param(
        {"traceId": "W47/95gDgQPSabYzgT/GDA=="},
        "span 1: traceId must be 32 hex characters, got 24 (it looks like base64",
        id="trace-id-base64",
    ),
    pytest.param(
        {"spanId": "00000001"}, "span 1: spanId must be 16 hex characters, got 8", id="span-id-8"
    ),
    pytest.param(
        {"spanId": "00000000 0000001"},
        "span 1: spanId must be 16 hex characters, got '00000000 0000001'",
        id="span-id-whitespace",
    ),
    pytest.param({"traceId": "0" * 32}, "span 1: traceId must not be all zero", id="zero-trace"),
    pytest.param({"spanId": "0" * 16}, "span 1: spanId must not be all zero", id="zero-span"),
    pytest.param({"traceId": None}, "span 1: traceId is missing", id="missing-trace-id"),
    pytest.param({"spanId": None}, "span 1: spanId is missing", id="missing-span-id"),
    pytest.param(
        {"traceId": 12345}, "span 1: traceId must be a hex string, got number", id="id-number"
    ),
    pytest.param(
        {"parentSpanId": "xyz"},
        "span 1: parentSpanId must be 16 hex characters, got 3",
        id="bad-parent",
    ),
    pytest.param(
        {"startTimeUnixNano": None}, "span 1: startTimeUnixNano is missing", id="missing-start"
    ),
    pytest.param(
        {"endTimeUnixNano": "0"}, "span 1: endTimeUnixNano must not be 0", id="zero-end-time"
    ),
    pytest.param(
        {"startTimeUnixNano": "soon"},
        "span 1: startTimeUnixNano must be an integer or a decimal string, got 'soon'",
        id="time-not-a-number",
    ),
    pytest.param(
        {"startTimeUnixNano": "-5"},
        "span 1: startTimeUnixNano must be between 0 and 18446744073709551615, got -5",
        id="negative-time",
    ),
    pytest.param(
        {"startTimeUnixNano": str(2**64)},
        "span 1: startTimeUnixNano must be between 0 and",
        id="time-beyond-fixed64",
    ),
    pytest.param(
        {"startTimeUnixNano": True},
        "span 1: startTimeUnixNano must be an integer or a decimal string, got True",
        id="time-boolean",
    ),
    pytest.param({"kind": 9}, "span 1: kind must be 0-5, got 9", id="kind-out-of-range"),
    pytest.param(
        {"kind": "SIDEWAYS"},
        "span 1: kind must be an integer or a decimal string, got 'SIDEWAYS'",
        id="kind-unknown-name",
    ),
    pytest.param(
        {"status": {"code": 7}}, "span 1: status code must be 0 (UNSET), 1 (OK)", id="status-7"
    ),
    pytest.param({"status": "ERROR"}, "span 1: status must be an object", id="status-string"),
    pytest.param({"name": 5}, "span 1: name must be a string, got number", id="name-number"),
    pytest.param({"traceState": []}, "span 1: traceState must be a string", id="trace-state"),
    pytest.param({"flags": -1}, "span 1: flags must be between 0 and 4294967295", id="flags"),
    pytest.param(
        {"droppedEventsCount": "many"},
        "span 1: droppedEventsCount must be an integer",
        id="dropped-count",
    ),
    pytest.param(
        {"attributes": {"k": "v"}},
        "span 1: attributes must be an array, got object",
        id="attributes-object",
    ),
    pytest.param(
        {"attributes": ["k=v"]},
        "span 1: attributes[0] must be an object with key and value, got string",
        id="attribute-not-object",
    ),
    pytest.param(
        {"attributes": [{"value": {"stringValue": "v"}}]},
        "span 1: attributes[0].key must be a string, got null",
        id="attribute-key-missing",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": "v"}]},
        "span 1: attribute 'k': value must be an AnyValue object, got string",
        id="attribute-value-not-any-value",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"stringValue": 5}}]},
        "span 1: attribute 'k': stringValue must be a string, got number",
        id="string-value-number",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"boolValue": "true"}}]},
        "span 1: attribute 'k': boolValue must be true or false, got 'true'",
        id="bool-value-string",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"intValue": "1.5"}}]},
        "span 1: attribute 'k': intValue must be an integer or a decimal string, got '1.5'",
        id="int-value-fraction",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"intValue": str(2**63)}}]},
        "span 1: attribute 'k': intValue 9223372036854775808 is outside int64",
        id="int-value-range",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"intValue": "9" * 5000}}]},
        "span 1: attribute 'k': intValue must be an integer or a decimal string, got '9999",
        id="int-value-5000-digits",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"doubleValue": "fast"}}]},
        "span 1: attribute 'k': doubleValue must be a number, got 'fast'",
        id="double-value-text",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"bytesValue": "!!"}}]},
        "span 1: attribute 'k': bytesValue must be base64, got '!!'",
        id="bytes-value",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"arrayValue": [1]}}]},
        "span 1: attribute 'k': arrayValue must be an object, got array",
        id="array-value-list",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": {"stringValueStrindex": 3}}]},
        "span 1: attribute 'k': stringValueStrindex is not allowed in traces",
        id="strindex",
    ),
    pytest.param(
        {"attributes": [{"key": "k", "value": _deep(101)}]},
        "span 1: attribute 'k': nested deeper than 100 levels",
        id="too-deep",
    ),
    pytest.param(
        {"events": ["started"]}, "span 1: event 0: must be an object, got string", id="event-str"
    ),
    pytest.param(
        {"events": [{"name": "e", "timeUnixNano": "1"}, {"timeUnixNano": "x"}]},
        "span 1: event 1: timeUnixNano must be an integer or a decimal string, got 'x'",
        id="event-time",
    ),
    pytest.param(
        {"events": [{"attributes": [{"key": "k", "value": {"intValue": "x"}}]}]},
        "span 1: event 0: attribute 'k': intValue must be an integer",
        id="event-attribute",
    ),
    pytest.param(
        {"links": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "0" * 16}]},
        "span 1: link 0: spanId must not be all zero",
        id="link-zero-span-id",
    ),
    pytest.param({"links": {}}, "span 1: links must be an array, got object", id="links-object"),
]


@pytest.mark.parametrize(("change", "reason"), MALFORMED_JSON_SPANS)
def test_json_one_malformed_span_is_rejected_and_neighbours_decode(
    change: Json | str, reason: str
) -> None:
    bad = change if isinstance(change, str) else {**_GOOD[1], **change}
    if isinstance(bad, dict):
        bad = {k: v for k, v in bad.items() if v is not None}
    body = json.dumps(_request(_GOOD[0], bad, _GOOD[2]))
    decoded = decode_json_request(body)
    assert [r.name for r in decoded.records] == ["good-0", "good-2"]
    [(index, message)] = decoded.rejected
    assert index == 1
    assert message.startswith(reason), message


def test_json_bad_resource_rejects_its_spans_only_with_request_indexes() -> None:
    bad_resource = {"attributes": [{"key": "k", "value": {"boolValue": 1}}]}
    good = _request(_GOOD[0])["resourceSpans"][0]
    bad = _request(_GOOD[1], _GOOD[2], resource=bad_resource)["resourceSpans"][0]
    decoded = decode_json_request(json.dumps({"resourceSpans": [good, bad, good]}))
    assert [r.name for r in decoded.records] == ["good-0", "good-0"]
    assert decoded.rejected == [
        (1, "span 1: resource: attribute 'k': boolValue must be true or false, got 1"),
        (2, "span 2: resource: attribute 'k': boolValue must be true or false, got 1"),
    ]


def test_json_bad_scope_rejects_its_spans() -> None:
    doc = _request(_GOOD[0], scope={"name": 3})
    doc["resourceSpans"][0]["scopeSpans"].append({"scope": {"name": "ok"}, "spans": [_GOOD[1]]})
    decoded = decode_json_request(json.dumps(doc))
    assert [r.name for r in decoded.records] == ["good-1"]
    assert decoded.rejected == [(0, "span 0: scope: name must be a string, got number")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"", "body is not OTLP/JSON", id="empty"),
        pytest.param(b"{not json", "body is not OTLP/JSON", id="not-json"),
        pytest.param(b'{"resourceSpans": [', "body is not OTLP/JSON", id="truncated"),
        pytest.param(b"\xff\xfe\xfa", "body is not OTLP/JSON", id="not-utf8"),
        pytest.param(b"[" * 200_000, "body is not OTLP/JSON", id="absurd-nesting"),
        pytest.param(b"[]", "body must be a JSON object", id="array-body"),
        pytest.param(b'"text"', "body must be a JSON object", id="string-body"),
        pytest.param(b'{"resourceSpans": {}}', "resourceSpans must be an array", id="rs-object"),
        pytest.param(b'{"resourceSpans": [5]}', "resourceSpans[0] must be an object", id="rs-item"),
        pytest.param(
            b'{"resourceSpans": [{"scopeSpans": "x"}]}',
            "resourceSpans[0].scopeSpans must be an array",
            id="scope-spans-string",
        ),
        pytest.param(
            b'{"resourceSpans": [{"scopeSpans": [{"spans": {}}]}]}',
            "resourceSpans[0].scopeSpans[0].spans must be an array",
            id="spans-object",
        ),
    ],
)
def test_json_undecodable_body_raises(body: bytes, message: str) -> None:
    with pytest.raises(OtlpDecodeError, match=message.replace("[", r"\[")):
        decode_json_request(body)


# --- malformed protobuf ----------------------------------------------------------------------


def _pb_span(**changes: Any) -> Span:
    fields: Json = {
        "trace_id": TRACE_ID.to_bytes(16, "big"),
        "span_id": (0x1001).to_bytes(8, "big"),
        "name": "good",
        "kind": Span.SpanKind.SPAN_KIND_INTERNAL,
        "start_time_unix_nano": T0,
        "end_time_unix_nano": T0 + 1,
    }
    fields.update(changes)
    return Span(**fields)


def _pb_body(*spans: Span, resource: PbResource | None = None) -> bytes:
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    )
    body: bytes = request.SerializeToString()
    return body


def _pb_attr(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


MALFORMED_PB_SPANS = [
    pytest.param(
        {"trace_id": b"\x01" * 15}, "span 1: traceId must be 16 bytes, got 15", id="trace-id-15"
    ),
    pytest.param({"trace_id": b""}, "span 1: traceId must be 16 bytes, got 0", id="no-trace-id"),
    pytest.param({"span_id": b"\x01" * 9}, "span 1: spanId must be 8 bytes, got 9", id="span-9"),
    pytest.param(
        {"trace_id": bytes(16)}, "span 1: traceId must not be all zero", id="zero-trace-id"
    ),
    pytest.param({"span_id": bytes(8)}, "span 1: spanId must not be all zero", id="zero-span-id"),
    pytest.param(
        {"parent_span_id": b"\x01" * 4},
        "span 1: parentSpanId must be 8 bytes or empty, got 4",
        id="parent-4-bytes",
    ),
    pytest.param(
        {"start_time_unix_nano": 0}, "span 1: startTimeUnixNano is missing or 0", id="no-start"
    ),
    pytest.param({"end_time_unix_nano": 0}, "span 1: endTimeUnixNano is missing or 0", id="no-end"),
    pytest.param({"kind": 9}, "span 1: kind must be 0-5, got 9", id="kind-9"),
    pytest.param(
        {"status": {"code": 5}},
        "span 1: status code must be 0 (UNSET), 1 (OK) or 2 (ERROR), got 5",
        id="status-5",
    ),
    pytest.param(
        {"attributes": [_pb_attr("k", AnyValue(string_value_strindex=2))]},
        "span 1: attribute 'k': string_value_strindex is not allowed in a trace request",
        id="strindex",
    ),
    pytest.param(
        {"links": [Span.Link(trace_id=bytes(16), span_id=b"\x01" * 8)]},
        "span 1: link 0: traceId must not be all zero",
        id="link-zero-trace-id",
    ),
]


@pytest.mark.parametrize(("changes", "reason"), MALFORMED_PB_SPANS)
def test_protobuf_one_malformed_span_is_rejected_and_neighbours_decode(
    changes: Json, reason: str
) -> None:
    body = _pb_body(_pb_span(name="good-0"), _pb_span(**changes), _pb_span(name="good-2"))
    decoded = decode_request(body)
    assert [r.name for r in decoded.records] == ["good-0", "good-2"]
    assert decoded.rejected == [(1, reason)]


def test_protobuf_zero_or_empty_parent_means_no_parent() -> None:
    body = _pb_body(_pb_span(parent_span_id=bytes(8)), _pb_span(parent_span_id=b""))
    assert [r.parent_span_id for r in decode_request(body).records] == [None, None]


def test_protobuf_bad_resource_rejects_its_spans() -> None:
    resource = PbResource(attributes=[_pb_attr("k", AnyValue(string_value_strindex=1))])
    decoded = decode_request(_pb_body(_pb_span(), _pb_span(), resource=resource))
    assert decoded.records == []
    reason = "resource: attribute 'k': string_value_strindex is not allowed in a trace request"
    assert decoded.rejected == [(0, f"span 0: {reason}"), (1, f"span 1: {reason}")]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_pb_body(_pb_span(), _pb_span())[:-3], id="truncated"),
        pytest.param(b"\xff\xff\xff\xff", id="garbage"),
        pytest.param(b'{"resourceSpans": []}', id="json-sent-as-protobuf"),
    ],
)
def test_protobuf_undecodable_body_raises(body: bytes) -> None:
    with pytest.raises(OtlpDecodeError, match="body is not an OTLP protobuf"):
        decode_request(body)


# --- ring 1 and wire constants ----------------------------------------------------------------


def test_otlp_package_is_pure() -> None:
    code = (
        "import sys, threading; import otel_runs.otlp; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'httpx', 'requests', 'urllib3', 'aiohttp', 'grpc', 'httpcore'} or m == 'http.client'); "
        "print(bad, threading.active_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[] 1"


def test_wire_constants_match_the_proto() -> None:
    assert wire.FLAG_HAS_IS_REMOTE == SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
    assert wire.FLAG_IS_REMOTE == SpanFlags.SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK
    for name, number in wire.SPAN_KIND_NUMBERS.items():
        assert Span.SpanKind.Value(f"SPAN_KIND_{name}") == number
        assert wire.SPAN_KIND_NAMES[number] == name
        assert wire.SPAN_KIND_ENUM_NAMES[f"SPAN_KIND_{name}"] == number
    for name, number in wire.STATUS_CODE_NUMBERS.items():
        assert wire.STATUS_CODE_NAMES[number] == name
        assert wire.STATUS_CODE_ENUM_NAMES[f"STATUS_CODE_{name}"] == number


def test_decoded_is_a_frozen_value() -> None:
    decoded = Decoded([], [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.records = []  # type: ignore[misc]  # proving it is frozen
