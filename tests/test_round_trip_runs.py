"""runs -> spans -> runs gives back every field of the run data format, exactly.

Runs are drawn with every field set or not, trees with consistent and broken dotted orders,
ids of every form (UUIDv7-like, zero-padded, last 8 bytes zero, nil), values JSON allows, and
they travel as neutral records, as OTel SDK spans, as OTLP protobuf and as OTLP/JSON.

Where exactness is impossible, a test below names the field and why:

- `test_times_outside_the_conversion_window_are_refused`: spans -> runs refuses spans that
  start before 2000 or after 3000 (its sanity window), so such runs do not come back.
- `test_json_turns_tuples_into_lists`: inputs travel as JSON text (`gen_ai.prompt`), which
  has no tuples, non-string keys or non-JSON types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

import pytest
from hypothesis import given, settings

from otel_runs import Run
from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.model.span_record import SpanRecord
from otel_runs.runs_to_spans import runs_to_records
from tests.fixtures.runs.roundtrip import PATHS, back_to_runs, differences, langsmith_runs
from tests.support.strategies import PROPERTIES


@pytest.mark.parametrize("path", list(PATHS))
@settings(PROPERTIES, max_examples=150)
@given(runs=langsmith_runs())
def test_every_run_field_comes_back(path: str, runs: list[Run]) -> None:
    travel: Callable[[Sequence[Run]], list[SpanRecord]] = PATHS[path]
    back = back_to_runs(travel(runs))
    assert differences(back, runs) == {}


@settings(PROPERTIES, max_examples=60)
@given(runs=langsmith_runs())
def test_a_second_trip_changes_nothing(runs: list[Run]) -> None:
    once = back_to_runs(runs_to_records(runs))
    twice = back_to_runs(runs_to_records(once))
    assert differences(twice, once) == {}


def test_times_outside_the_conversion_window_are_refused() -> None:
    run = Run.from_dict(
        {
            "id": str(UUID(int=7)),
            "name": "old",
            "run_type": "chain",
            "start_time": "1999-12-31T23:59:59Z",
        }
    )
    conversion = convert_records(runs_to_records([run]))
    assert conversion.runs == []
    assert "outside years 2000-3000" in conversion.rejected[0].reason


def test_json_turns_tuples_into_lists() -> None:
    run = Run.from_dict(
        {
            "id": str(UUID(int=7)),
            "name": "t",
            "run_type": "chain",
            "start_time": "2024-01-01T00:00:00Z",
        }
    )
    run.inputs = {"pair": (1, 2)}
    (back,) = back_to_runs(runs_to_records([run]))
    assert back.inputs == {"pair": [1, 2]}


def test_a_run_dict_that_is_not_a_run_is_refused_by_position() -> None:
    from otel_runs import InvalidRunError
    from otel_runs.runs_to_spans import runs_to_spans

    with pytest.raises(InvalidRunError, match=r"run 1: field 'start_time' is required"):
        runs_to_spans(
            [
                {
                    "id": str(UUID(int=1)),
                    "name": "a",
                    "run_type": "chain",
                    "start_time": "2024-01-01T00:00:00Z",
                },
                {"id": str(UUID(int=2)), "name": "b", "run_type": "chain"},
            ]
        )
