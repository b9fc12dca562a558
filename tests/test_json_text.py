"""JSON text in attributes is read exactly as the standard library reads it, whichever parser
does the reading (orjson on the fast path)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_runs.dialects.coerce import _NOT_JSON, _decode, dumps


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (1 and 1.0 differ; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _stdlib(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


@pytest.mark.parametrize(
    "text",
    [
        "12345678901234567890123",  # past 64 bits: orjson would say 1.2345678901234568e+22
        "[18446744073709551616, -9223372036854775809]",
        '{"id": 123456789012345678901234567890, "ok": true}',
        "9223372036854775807",
        "NaN",
        "[Infinity, -Infinity]",
        "1e400",
        '"\\ud800"',  # a lone surrogate escape
        '"\ud800"',  # a lone surrogate itself
        '{"a": 1, "a": 2, "b": 3}',
        "[" * 2000 + "]" * 2000,  # deeper than the standard library reads
        "[1, 2,]",
        "",
        '{"text": "19 digits in a string: 1234567890123456789"}',
        "[" + "12345678901234567890," * 300 + "1.5]",  # long text: the standard library reads it
    ],
)
def test_edge_cases_read_as_the_standard_library_does(text: str) -> None:
    got = _decode(text)
    want = _stdlib(text)
    assert (got is _NOT_JSON) == (want is _NOT_JSON)
    if want is not _NOT_JSON:
        assert _same(got, want)


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(_values, st.booleans())
def test_any_json_text_reads_as_the_standard_library_does(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(_decode(text), _stdlib(text))


_anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.binary(max_size=4),  # not JSON: written with str()
    lambda inner: st.lists(inner, max_size=5)
    | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text() | st.integers() | st.booleans(), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(_anything)
def test_json_text_is_written_as_json_dumps_writes_it(value: Any) -> None:
    want = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    assert dumps(value) == want


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet='[]{}",:.-+eE0123456789 \t\nnultrfasNIy\\u\ud800x', max_size=40))
def test_any_text_is_refused_or_read_as_the_standard_library_does(text: str) -> None:
    assert _same(_decode(text), _stdlib(text))
