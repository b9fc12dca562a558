"""An instrumented app: a pydantic-ai agent with a tool, on pydantic-ai's built-in test model.

Real OpenTelemetry spans come from pydantic-ai's own instrumentation; otel-runs turns them into
LangSmith runs and prints them as a tree (or as JSON lines with --json). No account, no server.

    python examples/agent_app.py [--json]
"""

from __future__ import annotations

import argparse
import json

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.test import TestModel

import otel_runs


def run_agent(provider: TracerProvider) -> str:
    """Ask a weather agent one question; its spans go to `provider`."""
    settings = InstrumentationSettings(tracer_provider=provider, include_content=True)
    agent = Agent(
        TestModel(),
        instructions="You answer weather questions with the get_weather tool.",
        capabilities=[Instrumentation(settings=settings)],
    )

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Today's weather for a city."""
        return f"sunny and 21 C in {city}"

    result = agent.run_sync("What is the weather in Paris?")
    return str(result.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one run per line as JSON")
    args = parser.parse_args()

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    answer = run_agent(provider)
    provider.shutdown()

    runs = otel_runs.spans_to_runs(exporter.get_finished_spans())
    if args.json:
        for run in runs:
            print(json.dumps(run.to_dict()))
        return
    print(f"agent answered: {answer}\n")
    print(otel_runs.render_tree(runs))


if __name__ == "__main__":
    main()
