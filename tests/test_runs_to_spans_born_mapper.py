"""The mappings compiled per run shape (runs_to_spans/born_mapper.py) make the same records as
the general path, field by field, for runs of every shape they take; rarer runs are left to it."""

from __future__ import annotations

import dataclasses
import linecache
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_runs.generated_code import ShapeTable
from otel_runs.model.run import Run
from otel_runs.runs_to_spans import born_mapper, record
from otel_runs.runs_to_spans.facts import facts_of
from tests.fixtures.runs.roundtrip import langsmith_runs
from tests.oracle.serial import record_to_json

RESOURCE = {"service.name": "x"}
_CLEARED: dict[str, Any] = {
    **{name: None for name in born_mapper._NONE_FIELDS[:23]},
    "child_run_ids": [],
    "direct_child_run_ids": [],
    "parent_run_ids": [],
    "status": "success",
}


def _usual(run: Run, data: st.DataObject) -> Run:
    """The run with the fields that send a run down the general path cleared, and metadata
    values of the kinds the compiled text decides by type."""
    usual = dataclasses.replace(run, **_CLEARED)
    project = run.unmapped.get("session_name")
    usual.unmapped = {"session_name": project} if project is not None else {}
    metadata = usual.extra.get("metadata")
    if isinstance(metadata, dict):  # (`otel` marks a run that came from a span)
        kept = {k: v for k, v in metadata.items() if k != "otel"}
        usual.extra = {**usual.extra, "metadata": {**kept, **data.draw(_META)}}
    if usual.run_type in ("llm", "embedding") and data.draw(st.booleans()):
        where = data.draw(st.sampled_from(["outputs", "metadata"]))
        if where == "outputs" or not isinstance(usual.extra.get("metadata"), dict):
            usual.outputs = {**(usual.outputs or {}), "usage_metadata": data.draw(_USAGE)}
        else:
            metadata = {**usual.extra["metadata"], "usage_metadata": data.draw(_USAGE)}
            usual.extra = {**usual.extra, "metadata": metadata}
    if usual.run_type == "tool" and data.draw(st.booleans()):
        usual.extra = {**usual.extra, "tool_call_id": data.draw(_SMALL)}
    return usual


_SMALL = st.sampled_from(["", "t-1", 0, 7, True, None, 1.5, float("inf"), 2**70, [1], {"a": 1}])
_COUNT = st.sampled_from([0, 5, 120, -1, 2**63 - 1, 2**63, True, "3", None, 1.0])
_DETAILS: st.SearchStrategy[Any] = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "cache_read": _COUNT,
            "cache_creation": _COUNT,
            "audio": _COUNT,
            "reasoning": _COUNT,
            "other": _COUNT,
        },
    ),
    st.sampled_from([None, [], "x"]),
)
_USAGE = st.fixed_dictionaries(
    {},
    optional={
        "input_tokens": _COUNT,
        "output_tokens": _COUNT,
        "total_tokens": _COUNT,
        "input_token_details": _DETAILS,
        "output_token_details": _DETAILS,
    },
)
_META = st.fixed_dictionaries(
    {},
    optional={
        "thread_id": _SMALL,
        "session_id": _SMALL,
        "conversation_id": _SMALL,
        "user_id": _SMALL,
        "ls_provider": st.sampled_from(["openai", "Anthropic", "", 3]),
        "ls_model_name": st.sampled_from(["gpt-4o-mini", "", None]),
        "ls_model_type": st.sampled_from(["llm", "chat"]),
        "invocation_params": st.sampled_from([{"temperature": 0.2, "stop": "x"}, {}, "no"]),
        "tool_call_id": _SMALL,
        "json_like": st.sampled_from(['{"a": 1}', "[1]", '"q"', "{no", "plain"]),
        "big": st.sampled_from([2**63, -(2**63) - 1, 5]),
        "odd": st.sampled_from([float("nan"), float("-inf"), 0.5]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(langsmith_runs(), st.data())
def test_compiled_mappings_make_the_general_paths_records(runs: list[Run], data: Any) -> None:
    for run in runs:
        usual = _usual(run, data)
        mapper = born_mapper.mapper_for(usual) or born_mapper.mapper_for(usual)
        assert mapper is not None  # every such run takes a compiled mapping (from the second)
        for resource in (None, RESOURCE):
            compiled = mapper(usual, resource)
            general = record._born_record(usual, facts_of(usual), resource)
            assert record_to_json(compiled) == record_to_json(general)
            assert list(compiled.attributes) == list(general.attributes)  # (order too)
            assert [type(v) for v in compiled.attributes.values()] == [
                type(v) for v in general.attributes.values()
            ]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(langsmith_runs())
def test_rarer_runs_take_the_general_path(runs: list[Run]) -> None:
    for run in runs:
        rare = any(getattr(run, name) not in (None, []) for name in born_mapper._NONE_FIELDS)
        rare = rare or run.status != "success" or bool(set(run.unmapped) - {"session_name"})
        metadata = run.extra.get("metadata") if isinstance(run.extra, dict) else None
        rare = rare or (isinstance(metadata, dict) and "otel" in metadata)
        if rare:
            assert born_mapper.mapper_for(run) is None


def test_a_traceback_through_a_mapping_shows_its_text() -> None:
    run = Run.from_dict({
        "id": "00000000-0000-0000-0000-0000000000a1", "name": "n", "run_type": "chain",
        "start_time": "2025-01-01T00:00:00+00:00", "extra": {"metadata": {"k": "v"}},
    })  # fmt: skip
    mapper = born_mapper.mapper_for(run) or born_mapper.mapper_for(run)
    assert mapper is not None
    broken = dataclasses.replace(run, trace_id=None)  # type: ignore[arg-type]
    with pytest.raises(AttributeError) as caught:
        mapper(broken, None)
    frame = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert frame.filename.startswith("<otel-runs born mapper")
    assert frame.line == "trace = run.trace_id.int or span"
    assert frame.lineno is not None
    assert linecache.getline(frame.filename, frame.lineno).strip() == frame.line


def test_the_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(born_mapper, "_MAPPERS", ShapeTable(born_mapper._compile, 4))
    for index in range(10):
        run = Run.from_dict({
            "id": f"00000000-0000-0000-0000-0000000000{index:02d}", "name": "n",
            "run_type": "chain", "start_time": "2025-01-01T00:00:00+00:00",
            "extra": {"metadata": {f"key{index}": index}},
        })  # fmt: skip
        assert born_mapper.mapper_for(run) is None  # a shape's first run: the general path
        assert born_mapper.mapper_for(run) is not None  # its second: a mapping
        assert len(born_mapper._MAPPERS.written) <= 4
        assert len(born_mapper._MAPPERS.seen) <= 4


_MODEL_CALL: dict[str, Any] = {
    "id": "173f34bc-8571-4ea8-9415-5a02e86d270d",
    "trace_id": "b4151caf-e035-4ab8-a84a-815a96717a40",
    "parent_run_id": "b4151caf-e035-4ab8-a84a-815a96717a40",
    "name": "ChatOpenAI",
    "start_time": "2025-03-01T00:00:00.010000+00:00",
    "end_time": "2025-03-01T00:00:01+00:00",
    "dotted_order": "20250301T000000000000Zb4151caf-e035-4ab8-a84a-815a96717a40."
    "20250301T000000010000Z173f34bc-8571-4ea8-9415-5a02e86d270d",
    "session_name": "bench",
    "inputs": {"messages": [{"role": "user", "content": "hi"}], "model": "gpt-4o-mini"},
}


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(["llm", "embedding"]),
    st.sampled_from(["outputs", "metadata"]),
    _USAGE,
    st.sampled_from([[], [{"name": "new_token", "time": "2025-03-01T00:00:00.300000+00:00"}]]),
)
def test_usage_of_every_kind_maps_as_the_general_path(
    run_type: str, where: str, usage: dict[str, Any], events: list[Any]
) -> None:
    outputs: dict[str, Any] = {"choices": [{"message": {"role": "assistant", "content": "yo"}}]}
    metadata: dict[str, Any] = {"ls_provider": "openai"}
    (outputs if where == "outputs" else metadata)["usage_metadata"] = usage
    run = Run.from_dict({
        **_MODEL_CALL, "run_type": run_type, "outputs": outputs, "events": events,
        "extra": {"metadata": metadata},
    })  # fmt: skip
    mapper = born_mapper.mapper_for(run) or born_mapper.mapper_for(run)
    assert mapper is not None
    compiled = mapper(run, None)
    general = record._born_record(run, facts_of(run), None)
    assert record_to_json(compiled) == record_to_json(general)
    assert list(compiled.attributes) == list(general.attributes)


_CHILD_DOTTED: str = _MODEL_CALL["dotted_order"]
_ROOT_DOTTED = _CHILD_DOTTED.partition(".")[0]


@pytest.mark.parametrize(
    ("parent", "dotted"),
    [
        (None, _ROOT_DOTTED),
        (None, _CHILD_DOTTED),  # a root whose dotted order names a parent
        (None, "not-a-dotted-order"),
        (None, _ROOT_DOTTED.replace("Z", "Y")),
        (None, _CHILD_DOTTED.replace("Z", "Y")),  # segments of the right length, not dotted
        ("b4151caf-e035-4ab8-a84a-815a96717a40", _CHILD_DOTTED),
        ("b4151caf-e035-4ab8-a84a-815a96717a40", _ROOT_DOTTED),  # a child without ancestors
        ("b4151caf-e035-4ab8-a84a-815a96717a40", _CHILD_DOTTED + "x"),
        ("00000000-0000-0000-0000-0000000000b1", "x"),
    ],
)
@pytest.mark.parametrize("run_id", [_MODEL_CALL["id"], "00000000-0000-0000-0000-0000000000a1"])
def test_lineage_reads_back_as_the_general_path(
    parent: str | None, dotted: str, run_id: str
) -> None:
    run = Run.from_dict({
        **_MODEL_CALL, "id": run_id, "run_type": "chain", "parent_run_id": parent,
        "dotted_order": dotted,
    })  # fmt: skip
    mapper = born_mapper.mapper_for(run) or born_mapper.mapper_for(run)
    assert mapper is not None
    assert record_to_json(mapper(run, None)) == record_to_json(
        record._born_record(run, facts_of(run), None)
    )
