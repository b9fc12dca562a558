"""An instrumented app -> RunSpanProcessor -> LangSmithSink -> a validating fake LangSmith,
through injected outages: every run arrives complete, valid and exactly once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.test import TestModel

from otel_runs import RunSpanProcessor
from otel_runs.sinks.langsmith import LangSmithSink
from tests.support.fake_langsmith import FakeLangSmith, Fault, running_fake_langsmith


@pytest.fixture
def fake() -> Iterator[FakeLangSmith]:
    with running_fake_langsmith() as server:
        yield server


def run_agents(provider: TracerProvider, count: int) -> None:
    settings = InstrumentationSettings(tracer_provider=provider, include_content=True)
    agent = Agent(
        TestModel(custom_output_text="done"),
        instructions="be brief",
        capabilities=[Instrumentation(settings=settings)],
    )

    @agent.tool_plain
    def lookup(key: str) -> str:
        return f"value of {key}"

    tracer = provider.get_tracer("app")
    for i in range(count):
        with tracer.start_as_current_span(f"request {i}"):
            agent.run_sync(f"question {i}")


def test_runs_arrive_once_through_an_outage(fake: FakeLangSmith) -> None:
    fake.inject(Fault(status=503), times=2)
    fake.inject(Fault(status=429, retry_after="0"), times=1)
    sink = LangSmithSink(
        api_key=fake.api_key, endpoint=fake.url, project="e2e", backoff=0.01, deadline=30
    )
    provider = TracerProvider()
    processor = RunSpanProcessor(sink, schedule_delay_millis=20, max_export_batch_size=4)
    provider.add_span_processor(processor)
    run_agents(provider, 3)
    provider.shutdown()

    stats = processor.exporter.stats()
    assert stats["failed"] == 0 and stats["waiting"] == 0
    assert len(fake.runs) == 3 * 5  # request, agent, 2 model calls, 1 tool call each
    assert set(fake.accepted.values()) == {1}
    statuses = [r.status for r in fake.ingest_requests()]
    assert statuses[:3] == [503, 503, 429] and statuses.count(202) >= 1
    by_name: dict[str, list[dict[str, object]]] = {}
    for run in fake.runs.values():
        by_name.setdefault(str(run["name"]), []).append(run)
    assert {run["run_type"] for run in by_name["chat test"]} == {"llm"}
    for root in by_name["request 0"]:
        assert root.get("parent_run_id") is None
        assert root["session_name"] == "e2e"
    llm = by_name["chat test"][0]
    outputs = llm["outputs"]
    assert isinstance(outputs, dict) and outputs["usage_metadata"]["input_tokens"] > 0
