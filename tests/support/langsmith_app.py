"""A small app traced with the `langsmith` SDK in OTel mode; prints its runs as JSON lines.

Run as a subprocess: the SDK reads its settings from the environment and installs a global
tracer provider, which must not leak into the test process.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

os.environ.update(
    {
        "LANGSMITH_TRACING": "true",
        "LANGSMITH_TRACING_MODE": "otel",
        "LANGSMITH_API_KEY": "lsv2-not-a-real-key",
        "LANGSMITH_ENDPOINT": "http://127.0.0.1:9",
        "LANGSMITH_PROJECT": "otel-runs-test",
    }
)

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(PROVIDER)

from langsmith import traceable  # noqa: E402
from langsmith.run_trees import get_cached_client  # noqa: E402

import otel_runs  # noqa: E402

USAGE = {
    "input_tokens": 5,
    "output_tokens": 7,
    "total_tokens": 12,
    "input_token_details": {"cache_read": 2},
}


@traceable(
    run_type="llm",
    metadata={"ls_model_name": "gpt-4o-mini", "ls_provider": "openai", "thread_id": "t-1"},
    tags=["t1", "t2"],
)
def chat(messages: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "choices": [{"message": {"role": "assistant", "content": "hello"}}],
        "usage_metadata": USAGE,
    }


@traceable(run_type="tool")
def double(x: int) -> int:
    return x * 2


@traceable(run_type="tool")
def explode(x: int) -> int:
    raise ValueError(f"cannot use {x}")


@traceable(name="pipeline")
def pipeline(question: str) -> dict[str, Any]:
    double(3)
    with contextlib.suppress(ValueError):
        explode(4)
    return chat([{"role": "user", "content": question}])


if __name__ == "__main__":
    pipeline("hi")
    get_cached_client().flush()
    PROVIDER.force_flush()
    for run in otel_runs.spans_to_runs(EXPORTER.get_finished_spans()):
        print(json.dumps(run.to_dict()))
