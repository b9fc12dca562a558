"""The LangSmith API shapes `otel-runs pull` relies on, checked against the `langsmith` SDK
itself: its generated client pages through the fake of the runs query (so the fake answers
what the SDK reads, and accepts what the SDK sends), our requests are the SDK's requests, and
our reading of a v2 run agrees with the SDK's own `_v2_run_to_schema`."""

from __future__ import annotations

import typing
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import pytest
from langsmith import Client
from langsmith._client import Langsmith
from langsmith._internal._v2_migration_utils import _v2_run_to_schema
from langsmith.types.run import Run as SdkV2Run
from langsmith.types.run_query_v2_params import RunQueryV2Params
from langsmith.types.run_select_field import RunSelectField
from langsmith.types.run_type import RunType

from otel_runs import Run
from otel_runs.langsmith_api.client import LangSmithApi, api_base
from otel_runs.langsmith_api.v2_runs import SELECTS, run_from_v2
from otel_runs.pull.sources import QuerySource
from tests.support import fake_langsmith_query as fake_module
from tests.support.fake_langsmith_query import FakeLangSmithQuery, running_fake_query
from tests.support.langsmith_runs import agent_traces

SINCE = datetime(2000, 1, 1, tzinfo=timezone.utc)
UNTIL = datetime(2100, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def fake() -> typing.Iterator[FakeLangSmithQuery]:
    with running_fake_query() as server:
        yield server


def test_the_fake_knows_exactly_the_parameters_and_fields_of_the_sdk() -> None:
    assert set(RunQueryV2Params.__annotations__) - {"accept"} == fake_module.QUERY_PARAMS
    assert set(typing.get_args(RunSelectField)) == fake_module.SELECT_FIELDS
    assert set(typing.get_args(RunType)) == fake_module.RUN_TYPES
    assert set(SELECTS) <= set(typing.get_args(RunSelectField))
    assert {name.lower() for name in typing.get_args(RunSelectField)} - {
        "error_preview", "inputs_preview", "outputs_preview", "thread_evaluation_time",
        "reference_dataset_id", "attachments", "thread_id", "ls_user_id",
    } <= set(fake_module.v2_run(agent_traces(1)[0], "p"))  # fmt: skip


def test_the_sdk_pages_through_the_fake_with_its_cursors(fake: FakeLangSmithQuery) -> None:
    source = agent_traces(5)
    project_id = fake.add_project("p", source)
    client = Langsmith(api_key=fake.api_key, base_url=fake.url)
    got = list(
        client.runs.query(
            project_ids=[project_id], min_start_time=SINCE, max_start_time=UNTIL,
            page_size=4, selects=list(SELECTS),
        )
    )
    assert sorted(run.id or "" for run in got) == sorted(run["id"] for run in source)
    requests = fake.query_requests()
    assert [r.status for r in requests] == [200] * 4
    assert [r.body.get("cursor") for r in requests[1:]] == [r.cursor_out for r in requests[:-1]]


def test_our_requests_are_the_sdks_requests(fake: FakeLangSmithQuery) -> None:
    project_id = fake.add_project("p", agent_traces(3))
    Langsmith(api_key=fake.api_key, base_url=fake.url).runs.query(
        project_ids=[project_id], min_start_time=SINCE, max_start_time=UNTIL,
        page_size=500, selects=list(SELECTS),
    )  # fmt: skip
    sdk_project = Client(api_url=fake.url, api_key=fake.api_key).read_project(project_name="p")
    api = LangSmithApi(api_key=fake.api_key, endpoint=fake.url)
    project = api.project_named("p")
    assert project == api.project(project_id)
    assert project.id == str(sdk_project.id) == project_id
    list(QuerySource(api, project, SINCE, UNTIL, 500).pages(None))
    api.close()

    sdk_body, our_body = (r.body for r in fake.query_requests())

    def times(body: dict[str, Any]) -> dict[str, Any]:
        return {
            **body,
            **{key: datetime.fromisoformat(body[key].replace("Z", "+00:00"))
               for key in ("min_start_time", "max_start_time")},
        }  # fmt: skip

    assert times(our_body) == times(sdk_body)
    sdk_lookup, our_lookup = (r for r in fake.requests if r.path == "/sessions")
    assert our_lookup.query["name"] == sdk_lookup.query["name"] == ["p"]
    assert our_lookup.query["limit"] == sdk_lookup.query["limit"] == ["1"]


@pytest.mark.parametrize(
    "endpoint, base",
    [
        pytest.param("https://api.smith.langchain.com", "https://api.smith.langchain.com", id="saas"),
        pytest.param("https://eu.api.smith.langchain.com/", "https://eu.api.smith.langchain.com", id="slash"),
        pytest.param("https://ls.example.com/api/v1", "https://ls.example.com", id="self-hosted"),
        pytest.param("https://ls.example.com/api", "https://ls.example.com", id="api"),
    ],
)
def test_the_v2_base_url_is_the_sdks(endpoint: str, base: str) -> None:
    from langsmith.client import _get_openapi_base_url

    assert api_base(endpoint) == base == _get_openapi_base_url(endpoint)


def test_a_v2_run_reads_as_the_sdk_reads_it() -> None:
    for raw in agent_traces(3):
        shown = fake_module.v2_run(raw, "9f3b7a52-6a7a-4c6f-8d7e-0a1b2c3d4e5f")
        answer = {name.lower(): shown.get(name.lower()) for name in SELECTS}
        sdk = _v2_run_to_schema(SdkV2Run.model_validate(answer))
        ours = Run.from_dict(run_from_v2(answer, session_name="p"))
        assert ours.id == sdk.id and ours.trace_id == sdk.trace_id
        assert ours.name == sdk.name and ours.run_type == sdk.run_type
        assert ours.status == sdk.status
        assert ours.parent_run_id == sdk.parent_run_id
        assert ours.session_id is not None and UUID(ours.session_id) == sdk.session_id
        assert ours.start_time == sdk.start_time and ours.end_time == sdk.end_time
        assert ours.dotted_order == sdk.dotted_order
        assert ours.inputs == sdk.inputs and ours.outputs == sdk.outputs
        assert ours.error == sdk.error and ours.tags == sdk.tags
        assert ours.extra == sdk.extra
        assert ours.prompt_tokens == sdk.prompt_tokens
        assert ours.total_cost == (None if sdk.total_cost is None else sdk.total_cost)
        assert ours.unmapped.get("prompt_token_details") == sdk.prompt_token_details
        assert ours.first_token_time == sdk.first_token_time
        assert [e["name"] for e in ours.events] == [e["name"] for e in sdk.events or []]
        assert ours.unmapped["session_name"] == "p"


@pytest.mark.parametrize(
    "v2, expected",
    [
        pytest.param({"run_type": "RETRIEVER", "status": "PENDING"},
                     {"run_type": "retriever", "status": "pending"}, id="capitals"),
        pytest.param({"project_id": "p1"}, {"session_id": "p1"}, id="project"),
        pytest.param({"parent_run_ids": ["a", "b"]}, {"parent_run_ids": ["a", "b"], "parent_run_id": "b"},
                     id="parents"),
        pytest.param({"parent_run_ids": []}, {"parent_run_ids": []}, id="root"),
        pytest.param({"completion_cost_details": {"raw": {"reasoning": 0.5}}},
                     {"completion_cost_details": {"reasoning": 0.5}}, id="details"),
        pytest.param({"prompt_token_details": None}, {"prompt_token_details": None}, id="no-details"),
        pytest.param({"is_in_dataset": True}, {"in_dataset": True}, id="dataset"),
        pytest.param({"manifest": {"a": 1}}, {"manifest": {"a": 1}}, id="kept"),
    ],
)  # fmt: skip
def test_v2_fields_become_run_format_fields(v2: dict[str, Any], expected: dict[str, Any]) -> None:
    assert run_from_v2(v2) == expected
