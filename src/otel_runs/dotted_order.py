"""dotted_order: LangSmith's sortable key that places a run in its trace.

A segment is `%Y%m%dT%H%M%S%fZ` followed by the run UUID: exactly 6 fractional digits (the
server parses a fixed-width layout), then the 36-character hyphenated UUID. A child's
dotted_order is its parent's, a dot, and its own segment. Invariants (run data format):

- the run's `id` is the last 36 characters;
- `trace_id` is the UUID of the first segment;
- `parent_run_id` is the UUID of the penultimate segment, and absent for roots;
- a root has exactly one segment;
- no segment's time is earlier than the one before it (the server rejects an earlier child).

Times are integer microseconds since the Unix epoch, floored from integer nanoseconds: no float
ever touches a timestamp.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final
from uuid import UUID

from otel_runs.errors import DottedOrderError

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TIME_LEN: Final = 22  # 8 date + "T" + 6 time + 6 fraction + "Z"
_UUID_LEN: Final = 36
SEGMENT_LEN: Final = _TIME_LEN + _UUID_LEN


@dataclass(frozen=True, slots=True)
class Segment:
    """One dotted_order segment: start time in Unix microseconds and the run id."""

    time_us: int
    run_id: UUID


def ns_to_us(ns: int) -> int:
    """Integer nanoseconds to integer microseconds (floor)."""
    return ns // 1000


def us_to_datetime(us: int) -> datetime:
    """Unix microseconds to an aware UTC datetime, exactly."""
    return _EPOCH + timedelta(microseconds=us)


def datetime_to_us(value: datetime) -> int:
    """Aware (or UTC-naive) datetime to Unix microseconds, exactly."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_last_second: list[tuple[int, str]] = [(-1, "")]


def format_time(us: int) -> str:
    """The segment's time part, `YYYYmmddTHHMMSSffffffZ`."""
    second, micro = divmod(us, 1_000_000)
    cached_second, prefix = _last_second[0]
    if cached_second != second:  # spans cluster in time: build the date part once a second
        t = us_to_datetime(second * 1_000_000)
        prefix = f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}"
        _last_second[0] = (second, prefix)
    return f"{prefix}{micro:06d}Z"


def format_segment(time_us: int, run_id: UUID | str) -> str:
    """One segment: time part followed by the run UUID (or its hyphenated text)."""
    return format_time(time_us) + str(run_id)


def child_segment_time(child_us: int, parent_us: int) -> int:
    """A child's segment time, clamped to at least its parent's (clocks skew across services)."""
    return child_us if child_us >= parent_us else parent_us


def _parse_time(text: str, whole: str) -> int:
    if len(text) != _TIME_LEN or text[8] != "T" or text[-1] != "Z":
        raise DottedOrderError(f"segment time {text!r} is not YYYYmmddTHHMMSSffffffZ in {whole!r}")
    digits = text[:8] + text[9:21]
    if not digits.isascii() or not digits.isdigit():
        raise DottedOrderError(f"segment time {text!r} has a non-digit in {whole!r}")
    try:
        t = datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]),
            int(text[9:11]), int(text[11:13]), int(text[13:15]), int(text[15:21]),
            tzinfo=timezone.utc,
        )  # fmt: skip
    except ValueError as exc:
        raise DottedOrderError(f"segment time {text!r} is not a real time in {whole!r}") from exc
    return datetime_to_us(t)


def segment_time_us(dotted_order: str) -> int:
    """The last segment's time, for a dotted_order this library built (not validated)."""
    return _parse_time(dotted_order[-SEGMENT_LEN:-_UUID_LEN], dotted_order)


_SEGMENT: Final = re.compile(
    r"(\d{8}T\d{6})(\d{6})Z([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})",
    re.ASCII,
).fullmatch
_SECONDS: dict[str, int | None] = {}
"""`YYYYmmddTHHMMSS` -> Unix seconds, None when it is no real time (a small cache: segments of
one trace share their second)."""


def _second_of(text: str) -> int | None:
    found = _SECONDS.get(text, -1)
    if found == -1:
        try:
            t = datetime(
                int(text[0:4]), int(text[4:6]), int(text[6:8]),
                int(text[9:11]), int(text[11:13]), int(text[13:15]), tzinfo=timezone.utc,
            )  # fmt: skip
            found = datetime_to_us(t) // 1_000_000
        except ValueError:
            found = None
        if len(_SECONDS) >= 4096:
            _SECONDS.clear()
        _SECONDS[text] = found
    return found


def last_segment_us(dotted_order: str) -> int | None:
    """The last segment's time, None when that segment is not one `parse` reads."""
    match = _SEGMENT(dotted_order[-SEGMENT_LEN:])
    if match is None or (second := _second_of(match[1])) is None:
        return None
    return second * 1_000_000 + int(match[2])


def segments_of(dotted_order: str) -> list[tuple[int, int]] | None:
    """(time in us, run id as an integer) of every segment, or None when `parse` would raise:
    the same checks, without building a datetime or a UUID per segment (stamped spans are
    checked one by one, and most carry several segments)."""
    out = []
    for part in dotted_order.split("."):
        match = _SEGMENT(part)
        if match is None:
            return None
        second = _second_of(match[1])
        if second is None:
            return None
        key = int("".join(match.group(3, 4, 5, 6, 7)), 16)
        out.append((second * 1_000_000 + int(match[2]), key))
    return out


def parse(dotted_order: str) -> list[Segment]:
    """Split a dotted_order into segments; raise DottedOrderError on any malformed segment."""
    if not isinstance(dotted_order, str) or not dotted_order:
        raise DottedOrderError("dotted_order is empty")
    segments = []
    for part in dotted_order.split("."):
        if len(part) != SEGMENT_LEN:
            raise DottedOrderError(
                f"segment {part!r} has {len(part)} characters, expected {SEGMENT_LEN}"
                f" (6 fractional digits then a UUID) in {dotted_order!r}"
            )
        time_us = _parse_time(part[:_TIME_LEN], dotted_order)
        try:
            run_id = UUID(part[_TIME_LEN:])
        except ValueError as exc:
            raise DottedOrderError(f"segment {part!r} does not end in a UUID") from exc
        if str(run_id) != part[_TIME_LEN:]:
            raise DottedOrderError(f"segment {part!r} has a non-canonical UUID")
        segments.append(Segment(time_us, run_id))
    return segments


def problems(
    dotted_order: str, run_id: UUID, trace_id: UUID, parent_run_id: UUID | None
) -> list[str]:
    """Every invariant the run breaks, as messages; empty when the run is valid."""
    try:
        segments = parse(dotted_order)
    except DottedOrderError as exc:
        return [str(exc)]
    found = []
    if segments[-1].run_id != run_id:
        found.append(f"id {run_id} is not the last UUID of dotted_order {dotted_order!r}")
    if segments[0].run_id != trace_id:
        found.append(f"trace_id {trace_id} does not match first part of dotted_order")
    if parent_run_id is None and len(segments) != 1:
        found.append("dotted_order must contain a single part for root runs")
    if parent_run_id is not None:
        if len(segments) < 2:
            found.append("dotted_order must contain at least two parts for child runs")
        elif segments[-2].run_id != parent_run_id:
            found.append(f"parent_run_id {parent_run_id} is not the penultimate UUID")
    for before, after in itertools.pairwise(segments):
        if after.time_us < before.time_us:
            found.append(
                f"dotted_order has timestamp {format_time(after.time_us)} earlier than parent"
                f" timestamp {format_time(before.time_us)}"
            )
    return found


def validate(dotted_order: str, run_id: UUID, trace_id: UUID, parent_run_id: UUID | None) -> None:
    """Raise DottedOrderError naming every broken invariant."""
    found = problems(dotted_order, run_id, trace_id, parent_run_id)
    if found:
        raise DottedOrderError("; ".join(found))
