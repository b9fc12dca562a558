"""What the oracle's corpus found the old converter doing wrong, each held right by a test.

(tests/oracle/README.md lists the findings; the recording was re-recorded with these fixes.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, TraceFlags

from otel_runs import RunExporter
from otel_runs.convert.assembler import TraceAssembler
from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.model.span_record import SpanRecord
from otel_runs.sinks import SinkResult
from tests.support.records import TRACE, record

FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"  # (typed from the GenAI conventions)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_absurd_time_to_first_token_is_ignored_not_fatal() -> None:
    span = record(1, attributes={FIRST_CHUNK: 1e30, "gen_ai.operation.name": "chat"})
    conversion = convert_records([span])
    assert conversion.rejected == []
    [run] = conversion.runs
    assert run.first_token_time is None
    assert run.metadata["otel"]["attributes"][FIRST_CHUNK] == 1e30  # kept as it came


def test_a_parent_cycle_is_broken_and_says_so() -> None:
    spans = [record(1, 2, name="a"), record(2, 1, name="b", start=5)]
    runs = convert_records(spans).runs
    root = next(run for run in runs if run.parent_run_id is None)
    assert root.name == "a"  # the earliest-starting span of the cycle
    assert root.metadata["ls_orphan"] == {"parent_cycle": True}


def test_spans_on_a_parent_cycle_leave_the_assembler_with_their_ttl() -> None:
    clock = Clock()
    assembler = TraceAssembler(ttl_s=30.0, clock=clock)
    assert assembler.add([record(1, 2, name="a"), record(2, 1, name="b", start=5)]).runs == []
    assert assembler.waiting == 2
    clock.now += 31
    runs = assembler.add([]).runs
    assert sorted(run.name for run in runs) == ["a", "b"] and assembler.waiting == 0
    assert [run.metadata.get("ls_orphan") for run in runs if run.parent_run_id is None] == [
        {"parent_cycle": True}
    ]


def test_a_flush_lets_a_parent_cycle_go() -> None:
    assembler = TraceAssembler()
    assembler.add([record(1, 2), record(2, 1)])
    assert len(assembler.add([], flush=True).runs) == 2 and assembler.waiting == 0


def test_bytes_inside_a_kvlist_value_reach_no_run() -> None:
    span = record(1, attributes={"input.value": {"blob": b"\x00\xff", "text": "hi"}})
    [run] = convert_records([span]).runs
    assert run.inputs == {"blob": "00ff", "text": "hi"}
    json.dumps(run.to_dict())  # JSON-ready everywhere


def test_the_resource_is_cut_by_each_call_s_own_limit() -> None:
    resource = {"long": "x" * 500}
    span = SpanRecord(TRACE, 1, None, "s", record(1).start_ns, record(1).end_ns, resource=resource)
    short = convert_records([span], max_value_chars=100).runs[0]
    full = convert_records([span]).runs[0]
    assert len(short.metadata["otel"]["resource"]["long"]) < 200
    assert full.metadata["otel"]["resource"]["long"] == "x" * 500


class _Keep:
    takes_run_data = False

    def __init__(self) -> None:
        self.names: list[str] = []

    def write(self, runs: Sequence[object]) -> SinkResult:
        self.names += [str(getattr(run, "name", "")) for run in runs]
        return SinkResult(stored=len(runs))

    def close(self) -> None:
        return


def test_a_round_tripped_span_with_a_broken_lineage_loses_no_neighbour() -> None:
    """A span made by runs -> spans keeps the dotted_order its run had, even one that does not
    end in the run's id; its batch must still be delivered whole (it used to be lost)."""
    context = SpanContext(TRACE, 7, is_remote=False, trace_flags=TraceFlags(1))
    start = record(1).start_ns
    broken = ReadableSpan(
        "restored", context, None, Resource({}),
        {"otel_runs.run_fields": "{}",
         "langsmith.span.dotted_order": "not-a-dotted-order"},
        start_time=start, end_time=start + 10,
    )  # fmt: skip
    neighbour = ReadableSpan(
        "neighbour", SpanContext(TRACE, 8, False, TraceFlags(1)), context, Resource({}), {},
        start_time=start + 1, end_time=start + 5,
    )  # fmt: skip
    sink = _Keep()
    exporter = RunExporter(sink)
    exporter.export([broken])
    exporter.export([neighbour])
    exporter.shutdown()
    assert sorted(sink.names) == ["neighbour", "restored"]
