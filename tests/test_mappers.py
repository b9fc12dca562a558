"""Plan mappers (`convert/map_span.py`): written and compiled once per plan, sharing compiled
text between plans that differ only in their sources' and keys' identities."""

from __future__ import annotations

import traceback

import pytest

from otel_runs.convert import map_span
from otel_runs.convert.plan import plan_of
from otel_runs.convert.run_data import RunData
from otel_runs.convert.spans_to_runs import Converted, check, convert_records
from otel_runs.generated_code import CodeCache
from otel_runs.model.span_record import Attributes, SpanRecord


def _record(span_id: int, attributes: Attributes) -> SpanRecord:
    return SpanRecord(
        trace_id=0xABC, span_id=span_id, parent_span_id=None, name="step",
        start_ns=1_700_000_000_000_000_000, end_ns=1_700_000_000_100_000_000,
        attributes=attributes,
    )  # fmt: skip


def _leftovers(record: SpanRecord) -> dict[str, object]:
    [run] = convert_records([record]).runs
    found: dict[str, object] = run.extra["metadata"]["otel"]["attributes"]
    return found


def test_shapes_alike_share_one_compiled_text_and_each_maps_its_own_keys() -> None:
    first = _record(1, {"app.alpha": "a", "app.count": 1})
    second = _record(2, {"app.beta": "b", "app.other": 2})
    assert _leftovers(first) == {"app.alpha": "a", "app.count": 1}
    assert _leftovers(second) == {"app.beta": "b", "app.other": 2}
    one, two = plan_of(first).mapper, plan_of(second).mapper
    assert one is not None and two is not None and one is not two
    assert one.__code__ is two.__code__  # one compilation for both shapes


def test_a_plan_compiles_its_mapper_once() -> None:
    record = _record(3, {"app.gamma": "g"})
    _leftovers(record)
    mapper = plan_of(record).mapper
    _leftovers(_record(4, {"app.gamma": "h"}))
    assert plan_of(record).mapper is mapper


def test_a_traceback_through_a_mapper_shows_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    record = _record(5, {"app.delta": "d", "app.epsilon": 5, "app.zeta": True})
    plan = plan_of(record)
    monkeypatch.setattr(plan, "mapper", None)
    monkeypatch.setitem(map_span._NAMESPACE, "otel_space", broken)
    monkeypatch.setattr(map_span, "_CODE", CodeCache("mapper"))
    with pytest.raises(RuntimeError) as caught:
        map_span.map_span(_checked(record))
    text = "".join(traceback.format_tb(caught.value.__traceback__))
    assert "<otel-runs mapper" in text and "otel_space(" in text


def _checked(record: SpanRecord) -> RunData:
    found = check(record, Converted())
    assert found is not None
    return found


def test_the_compiled_texts_and_their_traceback_lines_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import linecache

    monkeypatch.setattr(map_span, "_CODE", CodeCache("mapper", 3))
    before = {name for name in linecache.cache if name.startswith("<otel-runs mapper")}
    for count in range(1, 11):  # ten structures: one to ten keys
        record = _record(100 + count, {f"app.k{i}": i for i in range(count)})
        monkeypatch.setattr(plan_of(record), "mapper", None)
        _leftovers(record)
    mine = {name for name in linecache.cache if name.startswith("<otel-runs mapper")} - before
    assert 1 <= len(map_span._CODE.codes) <= 3 and len(mine) == len(map_span._CODE.codes)
