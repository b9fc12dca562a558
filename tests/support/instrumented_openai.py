"""Run the OpenAI chat scenarios under ONE real instrumentation library, in a fresh interpreter.

    python -m tests.support.instrumented_openai FLAVOR BASE_URL > outcome.pickle

FLAVOR is `openai-v2`, `openinference` or `openllmetry`; BASE_URL is a `fake_openai()` URL. Each
scenario runs inside its own `handle request` span, and its finished spans are shipped back as
pickled `otel_runs.SpanRecord`s (an `Outcome`), so the conversion under test runs in the pytest
process.

Why a process per instrumentation: the three instrumentors patch the same client methods, and
OpenLLMetry's `uninstrument()` leaves its wrappers in place (it calls
`unwrap("openai.resources.chat.completions", "Completions.create")`, which the current
`opentelemetry.instrumentation.utils.unwrap` resolves to nothing). Its stale wrapper keeps making
spans for the previous tracer provider, becomes the parent of the next instrumentation's spans
(so they arrive as orphans), and wraps streams twice. Isolating each library avoids all that.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam

from otel_runs import SpanRecord
from otel_runs.convert.from_sdk import record_from_span
from tests.support.capture import REQUEST_SPAN, capture_spans

MODEL = "gpt-4o-mini"
BROKEN_MODEL = "broken"
SYSTEM = "be brief"
QUESTION = "weather in Paris?"
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": QUESTION},
]
WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
AFTER_UNINSTRUMENT = "after-uninstrument"
"""Pseudo-scenario: a plain and a streamed call made after `uninstrument()`."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What one scenario produced: its finished spans and what the client saw."""

    records: tuple[SpanRecord, ...]
    seen: str
    """The answer text, the tool call's arguments, or the exception message."""


@dataclass(frozen=True, slots=True)
class Outcome:
    flavor: str
    scenarios: dict[str, Scenario] = field(default_factory=dict)


def _instrumentor(flavor: str) -> Any:
    if flavor == "openai-v2":
        # Content capture is read from the environment; set before instrumenting.
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY"
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        return OpenAIInstrumentor()  # type: ignore[no-untyped-call]
    if flavor == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OIInstrumentor

        return OIInstrumentor()
    if flavor == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OLInstrumentor

        return OLInstrumentor()
    raise SystemExit(f"unknown flavor {flavor!r}")


def ask_plain(client: openai.OpenAI) -> str:
    response = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    return response.choices[0].message.content or ""


def ask_streaming(client: openai.OpenAI) -> str:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    return "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)


def ask_with_tool(client: openai.OpenAI) -> str:
    response = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        tools=[WEATHER_TOOL],
    )
    calls = response.choices[0].message.tool_calls or []
    return "".join(call.function.arguments for call in calls if call.type == "function")


def ask_broken(client: openai.OpenAI) -> str:
    try:
        client.chat.completions.create(model=BROKEN_MODEL, messages=MESSAGES)
    except openai.InternalServerError as exc:
        return str(exc)
    raise AssertionError("the broken model did not fail")


SCENARIOS: dict[str, Callable[[openai.OpenAI], str]] = {
    "plain": ask_plain,
    "streaming": ask_streaming,
    "tool": ask_with_tool,
    "broken": ask_broken,
}


def run(flavor: str, base_url: str) -> Outcome:
    """Every scenario under one instrumentation, then a check that uninstrument() unpatched."""
    outcome = Outcome(flavor)
    instrumentor = _instrumentor(flavor)
    with (
        capture_spans() as capture,
        openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0) as client,
    ):
        instrumentor.instrument(tracer_provider=capture.provider)
        try:
            for name, ask in SCENARIOS.items():
                with capture.tracer.start_as_current_span(REQUEST_SPAN):
                    seen = ask(client)
                records = tuple(record_from_span(span) for span in capture.spans())
                outcome.scenarios[name] = Scenario(records, seen)
                capture.exporter.clear()
        finally:
            instrumentor.uninstrument()
        ask_plain(client)
        ask_streaming(client)
        leaked = tuple(record_from_span(span) for span in capture.spans())
        outcome.scenarios[AFTER_UNINSTRUMENT] = Scenario(leaked, "")
    return outcome


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    outcome = run(*argv)
    sys.stdout.buffer.write(pickle.dumps(outcome))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    # Pickle classes under their importable name, not `__main__`.
    from tests.support.instrumented_openai import main as _main

    raise SystemExit(_main(sys.argv[1:]))
