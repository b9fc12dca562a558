"""An instrumented app: a pydantic-ai agent with a tool, on pydantic-ai's built-in test model.

One line wires otel-runs in (`otel_runs.configure`): every span pydantic-ai emits becomes a run
in the local store (LangSmith instead when LANGSMITH_API_KEY is set). The app then draws the
trace it just made, as `otel-runs tree` would. No account, no server.

    python examples/agent_app.py [--store PATH] [--json]
"""

from __future__ import annotations

import argparse
import json

from opentelemetry.sdk.trace import TracerProvider
from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.test import TestModel

import otel_runs
from otel_runs.configure import configure
from otel_runs.sinks.sqlite import SqliteSink, default_store_path, list_traces, read_runs


def run_agent(provider: TracerProvider) -> str:
    """Ask a weather agent one question; its spans go to `provider`."""
    settings = InstrumentationSettings(tracer_provider=provider, include_content=True)
    agent = Agent(
        TestModel(custom_output_text="Sunny and 21 C in Paris."),
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
    parser.add_argument("--store", default=None, help="SQLite store (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one run per line as JSON")
    args = parser.parse_args()
    store = args.store or default_store_path()

    provider = TracerProvider()
    configure(SqliteSink(store), tracer_provider=provider, propagate=False)
    answer = run_agent(provider)
    provider.shutdown()  # flushes the processor: every run is in the store now

    latest = list_traces(store, limit=1)[0]
    runs = read_runs(store, trace_id=str(latest.trace_id))
    if args.json:
        for run in runs:
            print(json.dumps(run.to_dict()))
        return
    print(f"agent answered: {answer}")
    print(f"runs stored in {store} (see them again with: otel-runs tree --store {store})\n")
    print(otel_runs.render_tree(runs))


if __name__ == "__main__":
    main()
