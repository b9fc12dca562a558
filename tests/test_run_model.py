"""Run <-> run-format JSON."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from otel_runs import InvalidRunError, Run
from otel_runs.model.run import (
    _ENCODERS,
    _PARSED,
    FIELD_KINDS,
    RUN_FORMAT_FIELDS,
    parse_datetime,
    run_sharing_input,
    uuid_text,
)

# The field list of the run data format (docs.langchain.com/langsmith/run-data-format).
FORMAT_FIELDS = [
    "id", "name", "inputs", "run_type", "start_time", "end_time", "extra", "error", "outputs",
    "events", "tags", "trace_id", "dotted_order", "status", "child_run_ids",
    "direct_child_run_ids", "parent_run_ids", "feedback_stats", "reference_example_id",
    "total_tokens", "prompt_tokens", "completion_tokens", "total_cost", "prompt_cost",
    "completion_cost", "first_token_time", "session_id", "in_dataset", "parent_run_id",
    "execution_order", "serialized", "manifest_id", "manifest_s3_id", "inputs_s3_urls",
    "outputs_s3_urls", "price_model_id", "app_path", "last_queued_at", "share_token",
]  # fmt: skip

RUN_ID = "00000000-0000-0000-ff5d-02ce52aea886"


def api_run(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": RUN_ID,
        "name": "ChatOpenAI",
        "run_type": "llm",
        "start_time": "2024-09-19T17:16:48.521691",
        "end_time": "2024-09-19T17:16:49.000001Z",
        "trace_id": RUN_ID,
        "dotted_order": "20240919T171648521691Z" + RUN_ID,
        "inputs": {"messages": [{"role": "user", "content": "hi"}]},
        "outputs": {"choices": []},
        "prompt_tokens": 12,
        "total_cost": "0.00012",
        "tags": ["a"],
        "child_run_ids": None,
        "session_name": "my-project",
        "prompt_token_details": {"cache_read": 4},
    }
    base.update(overrides)
    return base


def test_to_dict_has_exactly_the_run_format_fields() -> None:
    run = Run.from_dict(api_run())
    assert list(run.to_dict()) == FORMAT_FIELDS
    assert list(RUN_FORMAT_FIELDS) == FORMAT_FIELDS


def test_to_dict_encodes_every_field_by_its_kind() -> None:
    """The written-out to_dict agrees with the field table, on a run with every field set."""
    every = api_run(
        child_run_ids=[RUN_ID], direct_child_run_ids=[RUN_ID], parent_run_ids=[RUN_ID],
        feedback_stats={"correct": {"n": 1}}, reference_example_id=RUN_ID, total_tokens=3,
        completion_tokens=1, prompt_cost="0.1", completion_cost="0.2",
        first_token_time="2024-09-19T19:16:48.6+02:00", session_id="s", in_dataset=True,
        parent_run_id=RUN_ID, execution_order=2, serialized={"a": 1}, manifest_id=RUN_ID,
        manifest_s3_id=RUN_ID, inputs_s3_urls={"i": "s3://a"}, outputs_s3_urls={"o": "s3://b"},
        price_model_id=RUN_ID, app_path="/o/1", last_queued_at=1_726_766_208_521,
        share_token="t", error="boom", status="error", events=[{"name": "start"}], extra={"x": 1},
    )  # fmt: skip
    run = Run.from_dict(every)
    by_table = {name: _ENCODERS[kind](getattr(run, name)) for name, kind in FIELD_KINDS.items()}
    assert run.to_dict() == by_table
    assert all(value is not None for value in by_table.values())
    assert by_table["first_token_time"] == "2024-09-19T17:16:48.600000+00:00"


def test_to_dict_encodes_json_ready_values() -> None:
    out = Run.from_dict(api_run()).to_dict()
    assert out["id"] == RUN_ID
    assert out["start_time"] == "2024-09-19T17:16:48.521691+00:00"
    assert out["end_time"] == "2024-09-19T17:16:49.000001+00:00"
    assert out["total_cost"] == "0.00012"
    assert out["child_run_ids"] == []


def test_from_dict_keeps_what_is_not_a_format_field() -> None:
    run = Run.from_dict(api_run())
    assert run.unmapped == {"session_name": "my-project", "prompt_token_details": {"cache_read": 4}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("2024-09-19T17:16:48.521691Z", "2024-09-19T17:16:48.521691+00:00", id="Z"),
        pytest.param(
            "2024-09-19T17:16:48.521691", "2024-09-19T17:16:48.521691+00:00", id="naive-is-utc"
        ),
        pytest.param(
            "2024-09-19T19:16:48.5+02:00", "2024-09-19T17:16:48.500000+00:00", id="offset"
        ),
        pytest.param(
            "2024-09-19T17:16:48.521691999Z", "2024-09-19T17:16:48.521691+00:00", id="nanos"
        ),
        pytest.param("2024-09-19T17:16:48Z", "2024-09-19T17:16:48.000000+00:00", id="no-fraction"),
        pytest.param("2024-09-19T17:16:48", "2024-09-19T17:16:48.000000+00:00", id="naive-whole"),
        pytest.param(
            "2024-09-19T19:16:48+02:00", "2024-09-19T17:16:48.000000+00:00", id="offset-whole"
        ),
        pytest.param(
            "2024-09-19T12:16:48.521691-05:00",
            "2024-09-19T17:16:48.521691+00:00",
            id="offset-micros",
        ),
        pytest.param(
            " 2024-09-19T17:16:48.521691 ", "2024-09-19T17:16:48.521691+00:00", id="spaces"
        ),
        pytest.param(
            "2024-09-19T17:16:48.5216+00:00", "2024-09-19T17:16:48.521600+00:00", id="4-digits"
        ),
        pytest.param(1726766208521, "2024-09-19T17:16:48.521000+00:00", id="epoch-ms"),
        pytest.param(1726766208.5, "2024-09-19T17:16:48.500000+00:00", id="epoch-s"),
    ],
)
def test_from_dict_reads_every_time_form(raw: object, expected: str) -> None:
    assert Run.from_dict(api_run(start_time=raw)).to_dict()["start_time"] == expected


def test_aliases_are_read() -> None:
    run = Run.from_dict(api_run(prompt_tokens=None, input_tokens=7, output_cost=0.5))
    assert run.prompt_tokens == 7
    assert run.completion_cost == Decimal("0.5")


def test_round_trip_is_identity() -> None:
    first = Run.from_dict(api_run()).to_dict()
    assert Run.from_dict(first).to_dict() == first


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"id": "not-a-uuid"}, "id", id="bad-uuid"),
        pytest.param({"start_time": "yesterday"}, "start_time", id="bad-time"),
        pytest.param({"prompt_tokens": True}, "prompt_tokens", id="bool-tokens"),
        pytest.param({"tags": "a,b"}, "tags", id="tags-not-list"),
        pytest.param({"name": None}, "name", id="missing-name"),
    ],
)
def test_bad_fields_are_named(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRunError, match=field):
        Run.from_dict(api_run(**overrides))


def test_missing_dotted_order_of_a_root_is_derived() -> None:
    run = Run.from_dict(api_run(dotted_order=None))
    assert run.dotted_order == "20240919T171648521691Z" + RUN_ID
    assert run.trace_id == UUID(RUN_ID)
    assert run.start_time == datetime(2024, 9, 19, 17, 16, 48, 521691, tzinfo=timezone.utc)


def test_run_sharing_input_reads_what_from_dict_reads_without_copying() -> None:
    data = api_run(events=[{"name": "start"}], extra={"metadata": {"a": 1}}, input_tokens=3)
    shared, copied = run_sharing_input(data), Run.from_dict(data)
    assert shared == copied
    assert shared.inputs is data["inputs"] and shared.tags is data["tags"]
    assert shared.extra is data["extra"] and shared.events is data["events"]
    assert copied.inputs is not data["inputs"] and copied.tags is not data["tags"]


def test_run_sharing_input_still_converts_tags_that_are_not_text() -> None:
    data = api_run(tags=["a", 2])
    assert run_sharing_input(data).tags == ["a", "2"] == Run.from_dict(data).tags


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(RUN_ID, id="canonical"),
        pytest.param(RUN_ID.upper(), id="upper-case"),
        pytest.param("{" + RUN_ID + "}", id="braces"),
        pytest.param(RUN_ID.replace("-", ""), id="no-hyphens"),
    ],
)
def test_ids_read_from_any_uuid_spelling_are_written_canonically(text: str) -> None:
    run = Run.from_dict(api_run(id=text, trace_id=text, dotted_order=None))
    assert run.id == UUID(RUN_ID)
    assert uuid_text(run.id) == str(run.id) == RUN_ID
    assert run.to_dict()["id"] == RUN_ID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T01:30:00+01:30", datetime(2025, 3, 1, tzinfo=timezone.utc)),
        ("2025-03-01T00:00:00.250000", datetime(2025, 3, 1, 0, 0, 0, 250000, timezone.utc)),
        ("2025-03-01T00:00:00+00:00", datetime(2025, 3, 1, tzinfo=timezone.utc)),
    ],
)
def test_a_time_text_read_again_gives_the_same_utc_time(text: str, expected: datetime) -> None:
    # The second reading comes from the texts already read (`_PARSED`): it must be the
    # converted time, in UTC, not the text's own offset or a naive time.
    _PARSED.clear()
    for _ in range(2):
        value = parse_datetime(text)
        assert value == expected
        assert value.tzinfo is timezone.utc
    assert text in _PARSED
    run = run_sharing_input(api_run(start_time=text, end_time=text))
    assert run.start_time.tzinfo is timezone.utc and run.end_time == expected
