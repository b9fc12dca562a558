"""Privacy controls: hidden inputs/outputs and redaction never reach a sink, even on failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.util.types import AttributeValue

from otel_runs import Run, RunSpanProcessor
from otel_runs.conventions import genai as g
from otel_runs.privacy import Privacy
from otel_runs.sinks.sqlite import SqliteSink, read_runs
from tests.support.memory_sink import MemorySink

SECRET_IN = "my card number is 4111-1111"
SECRET_OUT = "your balance is 9000"

MESSAGES_IN = json.dumps([{"role": "user", "parts": [{"type": "text", "content": SECRET_IN}]}])
MESSAGES_OUT = json.dumps(
    [{"role": "assistant", "parts": [{"type": "text", "content": SECRET_OUT}], "finish_reason": "stop"}]
)
LLM: dict[str, AttributeValue] = {
    g.OPERATION_NAME: "chat", g.REQUEST_MODEL: "gpt-4o-mini", g.USAGE_INPUT_TOKENS: 10,
    g.USAGE_OUTPUT_TOKENS: 2, g.INPUT_MESSAGES: MESSAGES_IN, g.OUTPUT_MESSAGES: MESSAGES_OUT,
}  # fmt: skip


def _emit(processor: RunSpanProcessor) -> None:
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("chat", attributes=LLM) as span:
        # The deprecated per-message events carry the same content again.
        span.add_event(g.EVENT_USER_MESSAGE, {"content": SECRET_IN})
        span.add_event(g.EVENT_CHOICE, {"message": SECRET_OUT})
    provider.shutdown()


def _stored_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.mark.parametrize(
    ("privacy", "env", "gone", "kept"),
    [
        pytest.param(Privacy(hide_inputs=True), {}, [SECRET_IN], [SECRET_OUT], id="inputs"),
        pytest.param(Privacy(hide_outputs=True), {}, [SECRET_OUT], [SECRET_IN], id="outputs"),
        pytest.param(None, {"LANGSMITH_HIDE_INPUTS": "true", "LANGSMITH_HIDE_OUTPUTS": "1"},
                     [SECRET_IN, SECRET_OUT], [], id="both from the environment"),
        pytest.param(None, {}, [], [SECRET_IN, SECRET_OUT], id="nothing hidden by default"),
    ],
)  # fmt: skip
def test_hidden_content_never_reaches_the_store(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    privacy: Privacy | None,
    env: dict[str, str],
    gone: list[str],
    kept: list[str],
) -> None:
    for name in ("LANGSMITH_HIDE_INPUTS", "LANGSMITH_HIDE_OUTPUTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store = tmp_path / "runs.sqlite"
    _emit(RunSpanProcessor(SqliteSink(store), privacy=privacy))
    [run] = read_runs(store)
    assert run.run_type == "llm" and run.total_tokens == 12  # everything else still there
    raw = _stored_bytes(store)
    for secret in gone:
        assert secret.encode() not in raw
    for secret in kept:
        assert secret.encode() in raw


def test_hide_functions_and_a_redaction_hook_see_the_values() -> None:
    def keep_roles(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [{"role": m["role"]} for m in inputs["messages"]]}

    def redact(run: Run) -> None:
        run.metadata["redacted"] = True
        run.tags.append("redacted")

    sink = MemorySink()
    _emit(RunSpanProcessor(sink, privacy=Privacy(hide_inputs=keep_roles, redact=redact)))
    [run] = sink.runs.values()
    assert run.inputs == {"messages": [{"role": "user"}]}
    assert SECRET_OUT in json.dumps(run.outputs)
    assert run.metadata["redacted"] is True and "redacted" in run.tags


def test_a_failing_hook_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    def broken(run: Run) -> None:
        raise RuntimeError("hook bug")

    sink = MemorySink()
    _emit(RunSpanProcessor(sink, privacy=Privacy(redact=broken)))
    [run] = sink.runs.values()
    text = json.dumps(run.to_dict())
    assert SECRET_IN not in text and SECRET_OUT not in text
    assert run.metadata["ls_redaction_failed"] is True
    assert "privacy hook failed" in caplog.text
