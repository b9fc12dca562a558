"""The ingest JSON writer: orjson's fast path and the stdlib path write the same JSON."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from otel_runs.sinks.ingest import _dumps_stdlib, dumps

_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # includes lone surrogates, which orjson refuses
    st.uuids(),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5))])),
    st.decimals(allow_nan=False, allow_infinity=False, places=6),
    st.binary(max_size=8),
    st.tuples(st.integers(), st.text(max_size=3)),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=4),
    ),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    """Equal JSON values, with floats compared as numbers (the two libraries spell some alike
    values differently, e.g. 1e16 and 1e+16)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(_values)
def test_both_paths_write_the_same_json(value: Any) -> None:
    assert _same(json.loads(dumps(value)), json.loads(_dumps_stdlib(value)))


def test_what_langsmith_needs_is_written_its_way() -> None:
    run_id = UUID("018f0a6e-1c2d-7e3f-8a9b-0c1d2e3f4a5b")
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    out = json.loads(dumps({"id": run_id, "t": at, "c": Decimal("0.25"), "n": float("nan")}))
    assert out == {
        "id": "018f0a6e-1c2d-7e3f-8a9b-0c1d2e3f4a5b",
        "t": "2026-01-02T03:04:05.000000+00:00",  # six fractional digits, even when zero
        "c": 0.25,
        "n": None,  # the server rejects NaN
    }


def test_what_orjson_refuses_still_gets_written() -> None:
    out = json.loads(dumps({1: "int key", "big": 2**70, "s": "\ud800"}))
    assert out == {"1": "int key", "big": 2**70, "s": "?"}
