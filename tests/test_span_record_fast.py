"""`new_span_record` / `new_event_record` / `new_link_record` build the same frozen records as the
dataclass constructors (the decoders and the spool codec use them on their hot paths)."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from otel_runs.model.span_record import (
    EventRecord,
    LinkRecord,
    SpanRecord,
    new_event_record,
    new_link_record,
    new_span_record,
)

EVENT_VALUES = ("retry", 1_700_000_000_000_000_001, {"attempt": 2})
LINK_VALUES = (0xABC << 64 | 7, 0x1234, {"link.kind": "follows"})
SPAN_VALUES: tuple[Any, ...] = (
    0x0AF7651916CD43DD8448EB211C80319C,
    0xB7AD6B7169203331,
    0x00F067AA0BA902B7,
    "chat gpt-4o-mini",
    1_700_000_000_000_000_000,
    1_700_000_000_500_000_000,
    {"app.key": "value", "n": 3},
    (EventRecord(*EVENT_VALUES),),
    (LinkRecord(*LINK_VALUES),),
    "CLIENT",
    "ERROR",
    "boom",
    {"app.service": "svc"},
    "scope",
    "1.2.3",
    True,
    "vendor=1",
    4,
    5,
    6,
)
"""One value per field, all different, so a swapped pair of fields cannot go unnoticed."""

CASES = [
    pytest.param(SpanRecord, new_span_record, SPAN_VALUES, id="span"),
    pytest.param(EventRecord, new_event_record, EVENT_VALUES, id="event"),
    pytest.param(LinkRecord, new_link_record, LINK_VALUES, id="link"),
]


@pytest.mark.parametrize(("cls", "make", "values"), CASES)
def test_fast_constructor_takes_every_field_in_field_order(
    cls: type[Any], make: Callable[..., Any], values: tuple[Any, ...]
) -> None:
    names = [field.name for field in dataclasses.fields(cls)]
    parameters = inspect.signature(make).parameters.values()
    assert [p.name for p in parameters] == names
    assert all(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in parameters)
    assert len(values) == len(names)


@pytest.mark.parametrize(("cls", "make", "values"), CASES)
def test_fast_constructor_builds_the_same_record(
    cls: type[Any], make: Callable[..., Any], values: tuple[Any, ...]
) -> None:
    fast, slow = make(*values), cls(*values)
    assert type(fast) is cls
    assert fast == slow
    assert repr(fast) == repr(slow)
    for field, value in zip(dataclasses.fields(cls), values, strict=True):
        assert getattr(fast, field.name) is value
    assert pickle.loads(pickle.dumps(fast)) == slow


@pytest.mark.parametrize(("cls", "make", "values"), CASES)
def test_fast_record_stays_frozen_and_replaceable(
    cls: type[Any], make: Callable[..., Any], values: tuple[Any, ...]
) -> None:
    record = make(*values)
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(record, first, values[0])
    changed = dataclasses.replace(record, attributes={})
    assert type(changed) is cls
    assert changed.attributes == {}
    assert record == cls(*values)  # replace made a copy


@pytest.mark.parametrize(("cls", "make", "values"), CASES)
def test_fast_record_refuses_new_attributes_like_the_dataclass(
    cls: type[Any], make: Callable[..., Any], values: tuple[Any, ...]
) -> None:
    # A frozen slots dataclass refuses unknown attributes (with a TypeError on Python 3.10/3.11,
    # from its generated __setattr__); the fast record must refuse them the same way.
    refusals = []
    for record in (make(*values), cls(*values)):
        with pytest.raises((AttributeError, TypeError)) as caught:
            record.extra = 1
        refusals.append(caught.type)
    assert refusals[0] is refusals[1]


def test_fast_records_hash_like_dataclass_records() -> None:
    # Records holding only hashable values hash as the dataclass would.
    event = new_event_record("e", 1, {})
    with pytest.raises(TypeError):  # a dict attribute makes it unhashable, as with EventRecord()
        hash(event)
    with pytest.raises(TypeError):
        hash(EventRecord("e", 1, {}))
