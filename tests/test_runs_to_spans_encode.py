"""Our OTLP protobuf encoder (`files/encode_proto.py`) writes exactly what the OTel SDK's
encoder writes for the same spans, and refuses what OTLP cannot carry; and the runs -> spans
benchmark still runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_runs import InvalidSpanError, Run
from otel_runs.files.encode_proto import encode_request, varint
from otel_runs.model.span_record import AttributeValue, SpanRecord
from otel_runs.otlp.decode import decode_request
from otel_runs.runs_to_spans import runs_to_records
from otel_runs.runs_to_spans.sdk import to_readable_span
from tests.fixtures.runs.roundtrip import back_to_runs, comparable, langsmith_runs, span_forests
from tests.support.records import record
from tests.support.strategies import PROPERTIES


def _parsed(body: bytes) -> ExportTraceServiceRequest:
    message: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(body)
    return message


def _sdk(records: list[SpanRecord]) -> ExportTraceServiceRequest:
    return _parsed(encode_spans([to_readable_span(r) for r in records]).SerializeToString())


@settings(PROPERTIES, max_examples=80)
@given(spans=span_forests())
def test_same_message_as_the_sdk_encoder_for_any_span(spans: list[SpanRecord]) -> None:
    assert _parsed(encode_request(spans)) == _sdk(spans)


@settings(PROPERTIES, max_examples=60)
@given(runs=langsmith_runs())
def test_same_message_as_the_sdk_encoder_for_spans_of_runs(runs: list[Run]) -> None:
    records = runs_to_records(runs)
    assert _parsed(encode_request(records)) == _sdk(records)


@settings(PROPERTIES, max_examples=40)
@given(spans=span_forests())
def test_decoding_gives_the_records_back(spans: list[SpanRecord]) -> None:
    decoded = decode_request(encode_request(spans))
    assert decoded.rejected == []
    # Spans are grouped by resource and scope, so compare them in one order.
    assert sorted((r.span_id, r.name, r.start_ns, r.end_ns) for r in decoded.records) == sorted(
        (r.span_id, r.name, r.start_ns, r.end_ns) for r in spans
    )


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(2**63, "does not fit OTLP's int64", id="int64-overflow"),
        pytest.param(-(2**63) - 1, "does not fit OTLP's int64", id="int64-underflow"),
        pytest.param(object(), "is not an attribute type", id="not-an-attribute"),
    ],
)
def test_values_otlp_cannot_carry_are_refused(value: object, error: str) -> None:
    with pytest.raises(InvalidSpanError, match=error):
        encode_request([record(1, attributes={"x": value})])


def test_times_beyond_2554_are_refused() -> None:
    late = record(1, start=2**64)
    with pytest.raises(InvalidSpanError, match="cannot be encoded"):
        encode_request([late])


def test_varints() -> None:
    assert [varint(n) for n in (0, 1, 127, 128, 300, 16384)] == [
        b"\x00", b"\x01", b"\x7f", b"\x80\x01", b"\xac\x02", b"\x80\x80\x01",
    ]  # fmt: skip


def test_the_runs_to_spans_benchmark_runs() -> None:
    from bench.runs_to_spans import main

    rows = main(["--smoke", "--json"])
    assert rows[0]["benchmark"] == "runs -> spans -> OTLP bytes, from Run objects"
    for row in rows:
        assert row["baseline_us"] > 0 and row["otel_runs_us"] > 0


def test_token_counts_beyond_int64_still_encode_and_come_back() -> None:
    """OTLP integers are int64: a larger count is left out of the usage attributes (and kept in
    the residue), so the span still encodes and the run comes back exactly."""
    huge = 2**70
    run = Run.from_dict(
        {
            "id": "00000000-0000-0000-ff5d-02ce52aea886",
            "name": "model",
            "run_type": "llm",
            "start_time": "2024-09-19T17:16:48.521691",
            "end_time": "2024-09-19T17:16:49.000001",
            "prompt_tokens": huge,
            "completion_tokens": 3,
            "outputs": {"usage_metadata": {"input_tokens": huge, "output_tokens": 3}},
        }
    )
    decoded = decode_request(encode_request(runs_to_records([run])))
    assert decoded.rejected == []
    (back,) = back_to_runs(decoded.records)
    assert back.prompt_tokens == huge
    assert back.outputs == run.outputs
    assert comparable(back) == comparable(run)


def test_long_keys_and_values_need_longer_length_prefixes() -> None:
    """Keys and values whose lengths take two or three varint bytes, where the encoder leaves
    its tables of one-byte lengths."""
    attributes: dict[str, AttributeValue] = {
        "k" * 20_000: "short",
        "long": "x" * 20_000,
        "wide": "é" * 3_000,
        "q" * 17_000: "y" * 100,
        "count": 5_000,
        "negative": -3,
        "mixed": ["a" * 200, "b"],
        "nested": {"k" * 300: "v" * 300},
    }
    spans = [record(1, attributes=attributes), record(2, parent=1, attributes=attributes)]
    assert _parsed(encode_request(spans)) == _sdk(spans)
