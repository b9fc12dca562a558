"""`run_sharing_input` through the readers compiled per key sequence (model/run_reader.py) gives
the table reader's run, or its refusal with the same reason, for inputs of every kind."""

from __future__ import annotations

import linecache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_runs.errors import InvalidRunError
from otel_runs.generated_code import ShapeTable
from otel_runs.model import run_reader
from otel_runs.model.run import _SHARING_READERS, FIELD_KINDS, Run, _read, run_sharing_input
from tests.fixtures.runs.roundtrip import langsmith_runs

_ODD_VALUES = st.sampled_from(
    [None, "", "x", 0, 7, 1.5, True, [], ["a", 1], {}, {"a": 1}, "2025-01-01T00:00:00Z",
     "e3e70682-c209-4cac-629f-6fbed82c07cd", 1_700_000_000_000, "12"]
)  # fmt: skip
_KEYS = st.sampled_from([*FIELD_KINDS, "input_tokens", "output_tokens", "input_cost",
                         "output_cost", "session_name", "custom"])  # fmt: skip


def _table(data: dict[str, Any]) -> Run | str:
    try:
        return Run(**_read(data, _SHARING_READERS))
    except InvalidRunError as exc:
        return f"refused: {exc}"


def _compiled(data: dict[str, Any]) -> Run | str:
    """What the compiled reader of the input's keys makes of it."""
    read = run_reader.reader_for(tuple(data)) or run_reader.reader_for(tuple(data))
    assert read is not None  # (written for a key sequence's second input)
    try:
        return read(data)
    except InvalidRunError as exc:
        return f"refused: {exc}"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(langsmith_runs(max_runs=2), st.data())
def test_compiled_readers_read_as_the_table_does(runs: list[Run], data: Any) -> None:
    for run in runs:
        fields = {**run.to_dict(), **run.unmapped}
        keys = data.draw(st.permutations(list(fields)))
        given_dict = {key: fields[key] for key in keys if data.draw(st.integers(0, 9))}
        given_dict.update(data.draw(st.dictionaries(_KEYS, _ODD_VALUES, max_size=3)))
        want, got = _table(dict(given_dict)), _compiled(dict(given_dict))
        assert got == want
        if isinstance(got, Run):
            assert isinstance(want, Run)
            assert list(got.unmapped) == list(want.unmapped)  # (order too)
            for name in FIELD_KINDS:  # same types, and the input's containers shared
                assert type(getattr(got, name)) is type(getattr(want, name))


def test_an_alias_loses_to_its_field_in_either_order() -> None:
    base = {"id": "e3e70682-c209-4cac-629f-6fbed82c07cd", "name": "n", "run_type": "llm",
            "start_time": "2025-01-01T00:00:00Z"}  # fmt: skip
    for extra in (
        {"input_tokens": 5, "prompt_tokens": 6},
        {"prompt_tokens": 6, "input_tokens": 5},
        {"prompt_tokens": None, "input_tokens": 5},
        {"input_tokens": None, "prompt_tokens": 6},
    ):
        data = {**base, **extra}
        assert _compiled(data) == _table(data)
        run = _compiled(data)
        assert isinstance(run, Run)
        assert run.prompt_tokens == (6 if extra.get("prompt_tokens") else 5)


def test_a_refusal_names_the_key_and_a_traceback_shows_the_reader() -> None:
    data = {"id": "not-a-uuid", "name": "n", "run_type": "chain", "start_time": 0}
    run_sharing_input({**data, "id": "e3e70682-c209-4cac-629f-6fbed82c07cd"})  # (seen once)
    with pytest.raises(InvalidRunError, match="field 'id'") as caught:
        run_sharing_input(data)
    frames = [f for f in caught.traceback if str(f.path).startswith("<otel-runs run reader")]
    assert frames
    frame = frames[-1]
    line = linecache.getline(str(frame.path), frame.lineno + 1)
    assert "raise InvalidRunError" in line


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_reader, "_READERS", ShapeTable(run_reader._compile, 3))
    for index in range(8):
        data = {"id": "e3e70682-c209-4cac-629f-6fbed82c07cd", "name": "n", "run_type": "chain",
                "start_time": "2025-01-01T00:00:00Z", f"key{index}": index}  # fmt: skip
        assert run_reader.reader_for(tuple(data)) is None  # the first of its keys: the table
        assert run_sharing_input(data).unmapped == {f"key{index}": index}  # the second: compiled
        assert run_reader._READERS.written[tuple(data)] is not None
        assert len(run_reader._READERS.written) <= 3
        assert len(run_reader._READERS.seen) <= 3


@pytest.mark.parametrize("dotted", [None, "", "x"])
def test_a_missing_or_empty_dotted_order_is_derived(dotted: str | None) -> None:
    data = {"id": "e3e70682-c209-4cac-629f-6fbed82c07cd", "name": "n", "run_type": "chain",
            "start_time": "2025-01-01T00:00:00Z", "dotted_order": dotted}  # fmt: skip
    for given_dict in (data, {k: v for k, v in data.items() if k != "dotted_order"}):
        assert _compiled(given_dict) == _table(given_dict)
    assert run_sharing_input(data).dotted_order == (
        "x" if dotted else "20250101T000000000000Ze3e70682-c209-4cac-629f-6fbed82c07cd"
    )
