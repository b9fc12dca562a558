"""Single conversion rules on hand-made spans: tokens, costs, errors, leftovers, filters, rejects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from otel_runs import EventRecord, Run, SpanRecord, convert_spans
from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.conventions import openllmetry as ol
from otel_runs.conventions import otel, others, vercel_ai
from otel_runs.conventions import pydantic_ai as pa
from tests.support.records import T0, record


def runs_of(*records: SpanRecord, keep: Any = "all") -> dict[str, Run]:
    result = convert_spans(records, keep=keep)
    assert result.rejected == []
    return {run.name: run for run in result.runs}


def llm(span_id: int, parent: int | None, usage: dict[str, Any], **attrs: Any) -> SpanRecord:
    attributes = {g.OPERATION_NAME: "chat", g.REQUEST_MODEL: "gpt-4o-mini", **usage, **attrs}
    return record(
        span_id, parent, name=f"llm{span_id}", start=span_id * 1000, attributes=attributes
    )


@pytest.mark.parametrize(
    ("usage", "expected", "fired"),
    [
        pytest.param(
            {g.USAGE_INPUT_TOKENS: 100, g.USAGE_OUTPUT_TOKENS: 20, g.USAGE_CACHE_READ_INPUT_TOKENS: 30},
            (100, 20, 120), False, id="semconv-inclusive",
        ),
        pytest.param(
            {g.USAGE_INPUT_TOKENS: 10, g.USAGE_OUTPUT_TOKENS: 20,
             g.USAGE_CACHE_READ_INPUT_TOKENS: 30, g.USAGE_CACHE_CREATION_INPUT_TOKENS: 5},
            (45, 20, 65), True, id="exclusive-cache-added",
        ),
        pytest.param(
            {g.USAGE_INPUT_TOKENS: 10, g.USAGE_OUTPUT_TOKENS: 5, g.USAGE_REASONING_OUTPUT_TOKENS: 8},
            (10, 13, 23), True, id="exclusive-reasoning-added",
        ),
        pytest.param(
            {g.USAGE_PROMPT_TOKENS: 7, g.USAGE_COMPLETION_TOKENS: 3}, (7, 3, 10), False,
            id="deprecated-names",
        ),
        pytest.param(
            {oi.TOKEN_COUNT_TOTAL: 30, oi.TOKEN_COUNT_COMPLETION: 10}, (20, 10, 30), True,
            id="input-inferred-from-total",
        ),
        pytest.param(
            {g.USAGE_INPUT_TOKENS: "12", g.USAGE_OUTPUT_TOKENS: 3.0}, (12, 3, 15), False,
            id="numeric-strings-and-integral-floats",
        ),
        pytest.param(
            {ls.USAGE_METADATA: '{"input_tokens": 5, "output_tokens": 6, "total_tokens": 11}',
             g.USAGE_INPUT_TOKENS: 999},
            (5, 6, 11), False, id="langsmith-object-wins",
        ),
    ],
)  # fmt: skip
def test_usage_is_inclusive(
    usage: dict[str, Any], expected: tuple[int, int, int], fired: bool
) -> None:
    run = runs_of(llm(1, None, usage))["llm1"]
    assert (run.prompt_tokens, run.completion_tokens, run.total_tokens) == expected
    assert ("ls_usage_normalization" in run.metadata) is fired


def test_langsmith_python_exporter_token_details_repr_is_read() -> None:
    usage = {
        g.USAGE_INPUT_TOKENS: 5,
        g.USAGE_OUTPUT_TOKENS: 7,
        g.USAGE_INPUT_TOKEN_DETAILS: "{'cache_read': 2}",
    }
    run = runs_of(llm(1, None, usage))["llm1"]
    assert run.metadata[ls.META_USAGE]["input_token_details"] == {"cache_read": 2}


def test_chain_tokens_are_the_sum_of_leaf_llm_calls_and_nothing_counts_twice() -> None:
    usage = {g.USAGE_INPUT_TOKENS: 10, g.USAGE_OUTPUT_TOKENS: 2}
    agent = record(
        1, name="agent", attributes={
            g.OPERATION_NAME: "invoke_agent", pa.AGGREGATED_USAGE_PREFIX + "input_tokens": 20,
            g.USAGE_INPUT_TOKENS: 20, g.USAGE_OUTPUT_TOKENS: 4,
        },
    )  # fmt: skip
    # A framework's LLM span wrapping the client's LLM span: only the inner one counts.
    outer = llm(2, 1, usage)
    inner = llm(3, 2, usage)
    other = llm(4, 1, usage)
    runs = runs_of(agent, outer, inner, other)
    assert runs["llm3"].total_tokens == 12
    assert runs["llm2"].total_tokens == 12
    assert runs["llm2"].metadata[ls.META_AGGREGATED_USAGE]["input_tokens"] == 10
    assert runs["agent"].total_tokens == 24
    assert runs["agent"].prompt_tokens == 20
    assert runs["agent"].metadata[ls.META_AGGREGATED_USAGE]["input_tokens"] == 20
    assert ls.META_USAGE not in runs["agent"].metadata
    costs = [runs[n].total_cost or Decimal(0) for n in ("llm3", "llm4")]
    assert all(c > 0 for c in costs)
    assert runs["agent"].total_cost == sum(costs, Decimal(0))


def test_costs_carried_by_the_span_win_over_prices() -> None:
    usage = {g.USAGE_INPUT_TOKENS: 10, g.USAGE_OUTPUT_TOKENS: 2, oi.COST_TOTAL: 0.5}
    run = runs_of(llm(1, None, usage))["llm1"]
    assert run.total_cost == Decimal("0.5")


def test_prices_are_cache_aware() -> None:
    plain = {g.USAGE_INPUT_TOKENS: 1000, g.USAGE_OUTPUT_TOKENS: 0}
    cached = {**plain, g.USAGE_CACHE_READ_INPUT_TOKENS: 800}
    a = runs_of(llm(1, None, plain))["llm1"].prompt_cost
    b = runs_of(llm(1, None, cached))["llm1"].prompt_cost
    assert a is not None and b is not None and b < a


@pytest.mark.parametrize(
    "attrs",
    [
        pytest.param({g.REQUEST_MODEL: "no-such-model-xyz"}, id="unknown-model"),
        pytest.param({g.PROVIDER_NAME: "my-own-gateway"}, id="unknown-provider"),
    ],
)
def test_no_cost_rather_than_a_guess(attrs: dict[str, Any]) -> None:
    usage = {g.USAGE_INPUT_TOKENS: 10, g.USAGE_OUTPUT_TOKENS: 2, **attrs}
    run = runs_of(llm(1, None, usage))["llm1"]
    assert run.total_tokens == 12
    assert run.total_cost is None


def test_exception_event_gives_type_message_and_stack() -> None:
    event = EventRecord(
        otel.EVENT_EXCEPTION, T0 + 10,
        {otel.EXCEPTION_TYPE: "ValueError", otel.EXCEPTION_MESSAGE: "bad", otel.EXCEPTION_STACKTRACE: "Traceback..."},
    )  # fmt: skip
    run = runs_of(record(1, name="x", events=(event,), status="ERROR"))["x"]
    assert run.status == "error"
    assert run.error == "ValueError: bad\n\nTraceback..."


def test_status_error_without_exception_event_is_still_an_error() -> None:
    span = record(
        1,
        name="x",
        status="ERROR",
        status_message="timeout",
        attributes={otel.ERROR_TYPE: "TimeoutError"},
    )
    run = runs_of(span)["x"]
    assert run.status == "error"
    assert run.error == "TimeoutError: timeout"


def test_first_token_time_from_seconds_attribute_and_new_token_event() -> None:
    span = llm(1, None, {g.RESPONSE_TIME_TO_FIRST_CHUNK: 0.25})
    run = runs_of(span)["llm1"]
    assert run.first_token_time is not None
    assert (run.first_token_time - run.start_time).total_seconds() == 0.25
    assert [e["name"] for e in run.events] == [ls.EVENT_NEW_TOKEN]


def test_leftovers_keep_unknown_attributes_capped() -> None:
    huge = "x" * 20_000
    span = record(1, name="x", attributes={"http.route": "/chat", "blob": huge, "raw": b"\x01\x02"})
    otel_meta = runs_of(span)["x"].metadata[ls.META_OTEL]
    assert otel_meta["attributes"]["http.route"] == "/chat"
    assert otel_meta["attributes"]["raw"] == "0102"
    assert otel_meta["attributes"]["blob"].endswith("...[truncated 3616 of 20000 chars]")
    assert otel_meta["start_time_unix_nano"] == T0 + 1000 * 0


def test_odd_attribute_types_are_tolerated() -> None:
    span = record(
        1, name="x", attributes={
            g.INPUT_MESSAGES: "{not json", g.USAGE_INPUT_TOKENS: -5, g.OUTPUT_MESSAGES: [1, 2],
            ls.SPAN_TAGS: 42, ls.SPAN_ID: "not-a-uuid", g.RESPONSE_TIME_TO_FIRST_CHUNK: "soon",
            oi.LLM_INPUT_MESSAGES_PREFIX + "99999999.message.role": "user",
        },
    )  # fmt: skip
    run = runs_of(span)["x"]
    assert run.total_tokens is None
    assert run.metadata[ls.META_OTEL]["attributes"][g.INPUT_MESSAGES] == "{not json"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param(record(0), "invalid span id", id="zero-span-id"),
        pytest.param(record(5, trace_id=0), "invalid trace id", id="zero-trace-id"),
        pytest.param(record(1 << 64), "invalid span id", id="span-id-too-long"),
        pytest.param(record(6, duration=-5), "end", id="end-before-start"),
        pytest.param(record(7, parent=7), "own parent", id="self-parent"),
    ],
)
def test_bad_span_is_rejected_and_neighbours_convert(bad: SpanRecord, reason: str) -> None:
    good = [record(10, name="root"), record(11, 10, name="child")]
    result = convert_spans([good[0], bad, good[1]])
    assert [r.name for r in result.runs] == ["root", "child"]
    assert len(result.rejected) == 1
    assert reason in result.rejected[0].reason


def test_genai_filter_reparents_to_nearest_kept_ancestor() -> None:
    server = record(1, name="POST /chat", attributes={"http.route": "/chat"})
    agent = record(2, 1, name="agent", start=10, attributes={g.OPERATION_NAME: "invoke_agent"})
    db = record(3, 2, name="SELECT", start=20, attributes={"db.system": "postgresql"})
    call = llm(4, 3, {g.USAGE_INPUT_TOKENS: 1, g.USAGE_OUTPUT_TOKENS: 1})
    result = convert_spans([server, agent, db, call], keep="genai")
    names = [r.name for r in result.runs]
    assert names == ["agent", "llm4"]
    assert result.filtered == 2
    agent_run, llm_run = result.runs
    assert agent_run.parent_run_id is None
    assert llm_run.parent_run_id == agent_run.id
    assert llm_run.trace_id == agent_run.id


def test_resent_span_maps_to_one_run() -> None:
    result = convert_spans([record(1, name="a"), record(1, name="a")])
    assert len(result.runs) == 1


def test_parent_cycle_is_broken_not_dropped() -> None:
    result = convert_spans([record(1, 2, name="a"), record(2, 1, name="b", start=5)])
    assert sorted(r.name for r in result.runs) == ["a", "b"]
    root = next(r for r in result.runs if r.parent_run_id is None)
    assert root.name == "a"


def test_logfire_pending_spans_are_not_runs() -> None:
    pending = record(1, name="agent run", attributes={pa.LOGFIRE_SPAN_TYPE: pa.PENDING_SPAN})
    result = convert_spans([pending, record(2, name="real")])
    assert [r.name for r in result.runs] == ["real"]
    assert result.pending == 1


def test_thread_and_user_spread_to_every_run_of_the_trace() -> None:
    root = record(1, name="root")
    child = record(2, 1, name="child", attributes={oi.SESSION_ID: "thread-9", oi.USER_ID: "u1"})
    grandchild = record(3, 2, name="grandchild")
    runs = runs_of(root, child, grandchild)
    for run in runs.values():
        assert run.metadata["thread_id"] == "thread-9"
        assert run.metadata["user_id"] == "u1"


@pytest.mark.parametrize(
    ("attrs", "events", "offset_us"),
    [
        pytest.param(
            {others.LANGFUSE_COMPLETION_START_TIME: '"2025-11-22T08:26:40.250000Z"'},
            (),
            250_000,
            id="langfuse-iso-double-encoded",
        ),
        pytest.param({g.RESPONSE_TIME_TO_FIRST_CHUNK: 0.25}, (), 250_000, id="genai-seconds"),
        pytest.param(
            {g.CLIENT_TIME_TO_FIRST_CHUNK: 0.1}, (), 100_000, id="pydantic-ai-client-metric"
        ),
        pytest.param({g.SERVER_TIME_TO_FIRST_TOKEN: 0.3}, (), 300_000, id="openlit-server-metric"),
        pytest.param({vercel_ai.RESPONSE_MS_TO_FIRST_CHUNK: 40}, (), 40_000, id="vercel-ms"),
        pytest.param(
            {"mastra.completion_start_time": "2025-11-22T08:26:40.125Z"},
            (),
            125_000,
            id="mastra-iso",
        ),
        pytest.param(
            {},
            (EventRecord(oi.EVENT_FIRST_TOKEN, T0 + 70_000_000),),
            70_000,
            id="openinference-event",
        ),
        pytest.param(
            {others.COMPLETION_START_TIME: "2025-11-22T08:26:40.5Z"}, (), 500_000, id="bare-iso"
        ),
        pytest.param({others.TTFT_MS: 12.5}, (), 12_500, id="bare-ttft-ms"),
        pytest.param(
            {},
            (EventRecord(ol.EVENT_COMPLETION_CHUNK, T0 + 9_000_000),),
            9_000,
            id="openllmetry-first-chunk",
        ),
    ],
)
def test_every_first_token_source(
    attrs: dict[str, Any], events: tuple[EventRecord, ...], offset_us: int
) -> None:
    span = record(
        1, name="x", attributes={g.OPERATION_NAME: "chat", **attrs}, events=events, duration=10**9
    )
    run = runs_of(span)["x"]
    assert run.first_token_time is not None
    delta = run.first_token_time - run.start_time
    assert delta.seconds * 1_000_000 + delta.microseconds == offset_us
    assert any(e["name"] == ls.EVENT_NEW_TOKEN for e in run.events)


def test_a_first_token_time_before_the_call_began_is_not_taken() -> None:
    """Mastra writes its first model call's completion start time on the later calls too."""
    span = record(
        1,
        name="x",
        start=10**9,  # 08:26:41, half a second after that "first token"
        attributes={
            g.OPERATION_NAME: "chat",
            "mastra.completion_start_time": "2025-11-22T08:26:40.5Z",
        },
        duration=10**9,
    )
    run = runs_of(span)["x"]
    assert run.first_token_time is None
    assert "mastra.completion_start_time" in run.metadata["otel"]["attributes"]


def test_stamped_segment_times_are_kept_and_unstamped_children_follow_them() -> None:
    """A stamped dotted_order whose segment time is not the span's start (runs that came from
    LangSmith, clamped clock skew) is kept, and an unstamped child continues it exactly."""
    root_id, child_id = (
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-000000000002",
    )
    root_dotted = "20251122T082640000000Z" + root_id  # T0
    child_dotted = root_dotted + ".20251122T082640000010Z" + child_id  # start is +5 µs, stamp +10
    spans = [
        record(1, attributes={ls.SPAN_DOTTED_ORDER: root_dotted, ls.TRACE_ID: root_id}),
        record(2, 1, start=5_000, attributes={ls.SPAN_DOTTED_ORDER: child_dotted,
                                              ls.TRACE_ID: root_id, ls.SPAN_PARENT_ID: root_id}),
        record(3, 2, start=20_000, name="native"),
    ]  # fmt: skip
    runs = {run.name: run for run in convert_spans(spans).runs}
    by_id = {str(run.id): run for run in runs.values()}
    assert by_id[child_id].dotted_order == child_dotted
    native = runs["native"]
    assert native.dotted_order.startswith(child_dotted + ".")
    assert str(native.parent_run_id) == child_id
