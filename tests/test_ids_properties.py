"""Properties of the id rules (`ids.py`) and of dotted_order segments (`dotted_order.py`).

The oracles are independent of the code under test: byte slicing for ids, `strftime` for
segment times, and plain integer arithmetic for nanoseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from otel_runs.conventions import langsmith as ls
from otel_runs.convert import times
from otel_runs.convert.identity import identity, run_key
from otel_runs.dotted_order import (
    SEGMENT_LEN,
    Segment,
    datetime_to_us,
    format_segment,
    format_time,
    ns_to_us,
    parse,
    problems,
    segments_of,
    us_to_datetime,
)
from otel_runs.errors import DottedOrderError
from otel_runs.ids import (
    is_span_derived,
    run_id_from_span_id,
    run_id_text_from_span_id,
    span_id_from_run_id,
    valid_span_id,
    valid_trace_id,
)
from otel_runs.model.span_record import SpanRecord
from tests.support.strategies import (
    PROPERTIES,
    SPAN_MAX,
    TRACE_MAX,
    YEAR_2000_US,
    YEAR_3000_US,
    any_uuids,
    oracle_segment,
    oracle_time,
    span_ids,
    times_us,
    zero_padded_uuids,
)

TIME_PART = re.compile(r"[0-9]{8}T[0-9]{6}[0-9]{6}Z")
"""The time part: date, T, time, exactly 6 fractional digits, Z (22 characters)."""


@st.composite
def lineages_of_any_order(draw: st.DrawFn) -> list[Segment]:
    """1..4 segments, any times, any ids."""
    depth = draw(st.integers(1, 4))
    return [Segment(draw(times_us), draw(any_uuids)) for _ in range(depth)]


# --- ids -------------------------------------------------------------------------------------


@settings(PROPERTIES, max_examples=300)
@given(span_id=span_ids)
def test_run_id_is_eight_zero_bytes_then_the_span_id(span_id: int) -> None:
    run_id = run_id_from_span_id(span_id)
    assert run_id.bytes[:8] == bytes(8)
    assert run_id.bytes[8:] == span_id.to_bytes(8, "big")
    assert str(run_id)[:19] == "00000000-0000-0000-"
    assert run_id_text_from_span_id(span_id) == str(run_id)
    assert span_id_from_run_id(run_id) == span_id
    assert is_span_derived(run_id)


def test_run_id_of_a_known_span() -> None:
    run_id = run_id_from_span_id(0xFF5D02CE52AEA886)
    assert str(run_id) == "00000000-0000-0000-ff5d-02ce52aea886"
    assert span_id_from_run_id(run_id) == 0xFF5D02CE52AEA886


@settings(PROPERTIES, max_examples=300)
@given(run_id=zero_padded_uuids)
def test_zero_padded_uuid_round_trips_through_its_span_id(run_id: UUID) -> None:
    span_id = span_id_from_run_id(run_id)
    assert valid_span_id(span_id)
    assert span_id.to_bytes(8, "big") == run_id.bytes[8:]
    assert run_id_from_span_id(span_id) == run_id


@settings(PROPERTIES, max_examples=300)
@given(run_id=st.one_of(any_uuids, zero_padded_uuids, st.sampled_from(
    [UUID(int=0), UUID(int=1), UUID(int=SPAN_MAX), UUID(int=SPAN_MAX + 1), UUID(int=TRACE_MAX)]
)))  # fmt: skip
def test_is_span_derived_is_exactly_the_zero_padded_form(run_id: UUID) -> None:
    zero_padded = run_id.bytes[:8] == bytes(8) and run_id.bytes[8:] != bytes(8)
    assert is_span_derived(run_id) == zero_padded
    # ...which is exactly the image of the valid span ids.
    back = span_id_from_run_id(run_id)
    assert (valid_span_id(back) and run_id_from_span_id(back) == run_id) == zero_padded
    assert span_id_from_run_id(run_id).to_bytes(8, "big") == run_id.bytes[8:]


@settings(PROPERTIES, max_examples=300)
@given(value=st.one_of(
    st.integers(-(2**130), 2**130),
    st.sampled_from([-1, 0, 1, SPAN_MAX, SPAN_MAX + 1, TRACE_MAX, TRACE_MAX + 1]),
))  # fmt: skip
def test_valid_id_bounds(value: int) -> None:
    assert valid_span_id(value) == (value > 0 and value.bit_length() <= 64)
    assert valid_trace_id(value) == (value > 0 and value.bit_length() <= 128)


@pytest.mark.parametrize(
    ("check", "value", "valid"),
    [
        pytest.param(valid_span_id, 0, False, id="span-zero"),
        pytest.param(valid_span_id, 1, True, id="span-one"),
        pytest.param(valid_span_id, 2**64 - 1, True, id="span-max"),
        pytest.param(valid_span_id, 2**64, False, id="span-too-wide"),
        pytest.param(valid_span_id, -1, False, id="span-negative"),
        pytest.param(valid_trace_id, 0, False, id="trace-zero"),
        pytest.param(valid_trace_id, 1, True, id="trace-one"),
        pytest.param(valid_trace_id, 2**128 - 1, True, id="trace-max"),
        pytest.param(valid_trace_id, 2**128, False, id="trace-too-wide"),
        pytest.param(valid_trace_id, -1, False, id="trace-negative"),
    ],
)
def test_valid_id_edges(check: Callable[[int], bool], value: int, valid: bool) -> None:
    assert check(value) is valid


# --- dotted_order: times ---------------------------------------------------------------------


@settings(PROPERTIES, max_examples=300)
@given(time_us=times_us, run_id=any_uuids)
def test_segment_layout(time_us: int, run_id: UUID) -> None:
    segment = format_segment(time_us, run_id)
    time_part = format_time(time_us)
    assert TIME_PART.fullmatch(time_part)
    assert len(time_part) == 22
    assert time_part == oracle_time(time_us)
    assert segment == oracle_segment(time_us, run_id) == time_part + str(run_id)
    assert len(segment) == 22 + 36


@settings(PROPERTIES, max_examples=300)
@given(time_us=times_us, run_id=any_uuids)
def test_segment_round_trips_through_parse(time_us: int, run_id: UUID) -> None:
    segment = format_segment(time_us, run_id)
    assert len(segment) == SEGMENT_LEN
    assert parse(segment) == [Segment(time_us, run_id)]


@settings(PROPERTIES, max_examples=100)
@given(
    second=st.integers(YEAR_2000_US // 10**6, YEAR_3000_US // 10**6 - 2),
    offsets=st.lists(st.integers(0, 2 * 10**6 - 1), min_size=1, max_size=20),
)
def test_time_part_is_right_in_any_order_of_calls(second: int, offsets: list[int]) -> None:
    """format_time may cache per second: runs of calls within one second and across a
    boundary, in any order, still give the strftime answer."""
    for offset in offsets:
        us = second * 10**6 + offset
        assert format_time(us) == oracle_time(us)


@settings(PROPERTIES, max_examples=300)
@given(time_us=times_us)
def test_microseconds_and_datetimes_are_exact_inverses(time_us: int) -> None:
    moment = us_to_datetime(time_us)
    assert moment.tzinfo is not None
    assert datetime_to_us(moment) == time_us
    assert datetime_to_us(moment.replace(tzinfo=None)) == time_us
    assert 2000 <= moment.year <= 2999


@settings(PROPERTIES, max_examples=300)
@given(ns=st.integers(YEAR_2000_US * 1000, YEAR_3000_US * 1000))
def test_ns_to_us_is_integer_floor(ns: int) -> None:
    us = ns_to_us(ns)
    assert us == ns // 1000
    assert us * 1000 <= ns < us * 1000 + 1000
    assert format_time(us) == oracle_time(us)


@settings(PROPERTIES, max_examples=200)
@given(us=st.integers(1 << 50, (1 << 51) - 1))
def test_float_ns_to_us_would_round_up_into_the_next_microsecond(us: int) -> None:
    """For 2005-09 .. 2041-05 (2**50 <= us < 2**51) a float holds microseconds only to 1/4, so
    `int(ns / 1000)` turns every `…999` ns into the next microsecond; the integer floor does not.
    """
    ns = us * 1000 + 999
    assert ns_to_us(ns) == us
    assert int(ns / 1000) == us + 1
    assert datetime.fromtimestamp(ns / 1e9, tz=timezone.utc) != us_to_datetime(us)


@settings(PROPERTIES, max_examples=300)
@given(a=times_us, b=times_us, id_a=any_uuids, id_b=any_uuids)
def test_segments_sort_chronologically(a: int, b: int, id_a: UUID, id_b: UUID) -> None:
    seg_a, seg_b = format_segment(a, id_a), format_segment(b, id_b)
    if a < b:
        assert seg_a < seg_b
    elif a > b:
        assert seg_a > seg_b
    else:
        assert seg_a[:22] == seg_b[:22]
        assert (seg_a < seg_b) == (str(id_a) < str(id_b))
    # A parent's dotted_order sorts before any of its descendants'.
    assert seg_a < seg_a + "." + seg_b


# --- dotted_order: parse rejects malformed segments ------------------------------------------


def _fraction(digits: int) -> Callable[[str], str]:
    def mutate(segment: str) -> str:
        return segment[:15] + (segment[15:21] + "123")[:digits] + segment[21:]

    return mutate


def _field(start: int, value: str) -> Callable[[str], str]:
    def mutate(segment: str) -> str:
        return segment[:start] + value + segment[start + len(value) :]

    return mutate


def _uuid(mutate_id: Callable[[str], str]) -> Callable[[str], str]:
    def mutate(segment: str) -> str:
        return segment[:22] + mutate_id(segment[22:])

    return mutate


MALFORMED = [
    pytest.param(_fraction(3), id="3-fractional-digits"),
    pytest.param(_fraction(5), id="5-fractional-digits"),
    pytest.param(_fraction(7), id="7-fractional-digits"),
    pytest.param(_fraction(9), id="9-fractional-digits"),
    pytest.param(_fraction(0), id="no-fraction"),
    pytest.param(_field(4, "13"), id="month-13"),
    pytest.param(_field(4, "00"), id="month-00"),
    pytest.param(_field(6, "32"), id="day-32"),
    pytest.param(_field(0, "20230230"), id="february-30"),
    pytest.param(_field(9, "24"), id="hour-24"),
    pytest.param(_field(11, "60"), id="minute-60"),
    pytest.param(_field(13, "60"), id="second-60"),
    pytest.param(_field(8, "t"), id="lowercase-t"),
    pytest.param(_field(8, " "), id="no-t"),
    pytest.param(_field(21, "z"), id="lowercase-z"),
    pytest.param(_field(16, "\u0663"), id="non-ascii-digit"),
    pytest.param(_uuid(lambda u: "g" + u[1:]), id="uuid-non-hex"),
    pytest.param(_uuid(str.upper), id="uuid-upper-case"),
    pytest.param(_uuid(lambda u: u.replace("-", "")), id="uuid-no-hyphens"),
    pytest.param(_uuid(lambda u: u[:-1]), id="uuid-truncated"),
    pytest.param(_uuid(lambda u: "{" + u[1:-1] + "}"), id="uuid-braces"),
    pytest.param(_uuid(lambda u: ""), id="no-uuid"),
    pytest.param(lambda s: s + ".", id="trailing-dot"),
    pytest.param(lambda s: "." + s, id="leading-dot"),
    pytest.param(lambda s: s + "." + s[:22], id="segment-without-uuid"),
    pytest.param(lambda s: "", id="empty"),
]


@pytest.mark.parametrize("mutate", MALFORMED)
@settings(PROPERTIES, max_examples=15)
@given(time_us=times_us, run_id=any_uuids)
def test_parse_rejects_malformed_segments(
    mutate: Callable[[str], str], time_us: int, run_id: UUID
) -> None:
    good = oracle_segment(time_us, run_id)
    bad = mutate(good)
    assume(bad != good)  # an all-digit UUID has no case to change
    with pytest.raises(DottedOrderError):
        parse(bad)
    assert segments_of(bad) is None  # the engine's quick reading refuses what parse refuses


@settings(PROPERTIES, max_examples=200)
@given(segments=lineages_of_any_order())
def test_the_quick_reading_gives_what_parse_gives(segments: list[Segment]) -> None:
    dotted = ".".join(oracle_segment(s.time_us, s.run_id) for s in segments)
    assert segments_of(dotted) == [(s.time_us, s.run_id.int) for s in parse(dotted)]


# --- dotted_order: problems() names each broken invariant ------------------------------------


@st.composite
def lineages(draw: st.DrawFn) -> list[Segment]:
    """1..6 segments with distinct run ids and non-decreasing times."""
    depth = draw(st.integers(1, 6))
    ids = draw(st.lists(any_uuids, min_size=depth, max_size=depth, unique=True))
    times = sorted(draw(st.lists(times_us, min_size=depth, max_size=depth)))
    return [Segment(t, u) for t, u in zip(times, ids, strict=True)]


def _join(segments: list[Segment]) -> str:
    return ".".join(oracle_segment(s.time_us, s.run_id) for s in segments)


def _parent(segments: list[Segment]) -> UUID | None:
    return segments[-2].run_id if len(segments) > 1 else None


@settings(PROPERTIES, max_examples=200)
@given(segments=lineages())
def test_problems_accepts_a_valid_lineage(segments: list[Segment]) -> None:
    dotted = _join(segments)
    assert parse(dotted) == segments
    assert problems(dotted, segments[-1].run_id, segments[0].run_id, _parent(segments)) == []


@pytest.mark.parametrize(
    "broken",
    ["last id", "trace id", "root with two segments", "child with one", "penultimate", "earlier"],
)
@settings(PROPERTIES, max_examples=40)
@given(segments=lineages(), other=any_uuids, data=st.data())
def test_problems_names_each_broken_invariant(
    broken: str, segments: list[Segment], other: UUID, data: st.DataObject
) -> None:
    assume(other not in {s.run_id for s in segments})
    run_id, trace_id, parent = segments[-1].run_id, segments[0].run_id, _parent(segments)
    if broken == "last id":
        run_id, expected = other, "is not the last UUID"
    elif broken == "trace id":
        trace_id, expected = other, "does not match first part"
    elif broken == "root with two segments":
        assume(len(segments) >= 2)
        parent, expected = None, "single part for root runs"
    elif broken == "child with one":
        segments, parent, expected = segments[:1], other, "at least two parts for child runs"
        run_id = trace_id
    elif broken == "penultimate":
        assume(len(segments) >= 2)
        parent, expected = other, "is not the penultimate UUID"
    else:
        assume(len(segments) >= 2)
        at = data.draw(st.integers(1, len(segments) - 1))
        assume(segments[at - 1].time_us > YEAR_2000_US)
        earlier = data.draw(st.integers(YEAR_2000_US, segments[at - 1].time_us - 1))
        segments = [*segments[:at], Segment(earlier, segments[at].run_id), *segments[at + 1 :]]
        expected = "earlier than parent"
    found = problems(_join(segments), run_id, trace_id, parent)
    assert len(found) == 1
    assert expected in found[0]


# --- a span's run key ---------------------------------------------------------------------------


@settings(PROPERTIES, max_examples=300)
@given(
    span_id=span_ids,
    declared=st.one_of(
        st.none(),
        any_uuids.map(str),
        any_uuids.map(lambda run_id: str(run_id).upper()),
        any_uuids.map(lambda run_id: run_id.hex),
        any_uuids.map(lambda run_id: f"{{{run_id}}}"),
        st.text(max_size=40),
        st.integers(),
        st.booleans(),
    ),
    parent_declared=st.one_of(st.none(), any_uuids.map(str)),
    root=st.one_of(st.none(), st.booleans(), st.sampled_from(["true", "false"])),
)
def test_run_key_is_the_key_of_the_full_identity(
    span_id: int, declared: object, parent_declared: str | None, root: object
) -> None:
    attributes: dict[str, object] = {}
    for key, value in (
        (ls.SPAN_ID, declared),
        (ls.SPAN_PARENT_ID, parent_declared),
        (ls.IS_ROOT, root),
    ):
        if value is not None:
            attributes[key] = value
    record = SpanRecord(1, span_id, 7, "span", 1, 2, attributes)  # type: ignore[arg-type]
    assert run_key(record) == identity(record).key


# --- run time texts (convert/times.py) ----------------------------------------------------------


@settings(PROPERTIES, max_examples=300)
@given(
    us=st.one_of(
        times_us,
        st.integers(-(10**15), 10**15),  # before 1970 too
        times_us.map(lambda us: us - us % 1_000_000 + 999_999),
        times_us.map(lambda us: us - us % 1_000),
    ),
    ns_rest=st.integers(0, 999),
)
def test_run_time_texts_are_strftimes(us: int, ns_rest: int) -> None:
    instant = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)
    iso = instant.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    assert times.iso_time(us) == iso
    assert times.iso_time_ns(us * 1000 + ns_rest) == iso
    assert times.segment_time(us) == oracle_time(us)
    assert times.day_of(us) == instant.strftime("%Y-%m-%d")
