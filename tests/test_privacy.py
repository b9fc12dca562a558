"""Privacy controls: hidden inputs/outputs and redaction never reach a sink, even on failure."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.util.types import AttributeValue

from otel_runs import Run, RunExporter, RunSpanProcessor, SpanRecord, conventions
from otel_runs.conventions import genai as g
from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.otlp import decode_json_request, decode_request
from otel_runs.privacy import Privacy, content
from otel_runs.sinks.sqlite import SqliteSink, read_runs
from tests.support.frameworks import request_bodies
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


def _emit(processor: SpanProcessor) -> None:
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


# --- independent of the content-key lists: the golden fixtures' own texts ---------------------

FIXTURES = Path(__file__).parent / "fixtures" / "otlp"
FRAMEWORKS = Path(__file__).parent / "fixtures" / "frameworks"


def _texts(value: Any) -> set[str]:
    """Natural-language strings (with a space, 10+ characters) anywhere in a JSON value, also
    inside JSON text: prompts and answers, not ids, names or roles."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, (dict, list)):
            return _texts(decoded)
        return {value} if " " in value.strip() and len(value) >= 10 else set()
    if isinstance(value, dict):
        return set().union(*(_texts(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_texts(item) for item in value))
    return set()


def _without_tools(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k != "tools"}


def _framework_records(path: Path) -> list[SpanRecord]:
    kind, bodies = request_bodies(path)
    decode = decode_json_request if kind == "application/json" else decode_request
    return [record for body in bodies for record in decode(body).records]


_GOLDEN = [
    pytest.param(lambda path=path: decode_json_request(path.read_bytes()).records, id=path.stem)
    for path in sorted(FIXTURES.glob("*.json"))
]
_CONTENT_FREE = {"mcp": "the MCP SDK records no arguments, results or prompts: nothing to hide"}
"""Framework recordings without any prompt or completion content, and why."""
_FRAMEWORKS = [
    pytest.param(lambda path=path: _framework_records(path), id=path.parent.name)
    for path in sorted(FRAMEWORKS.glob("*/recording.otlp.*"))
    if path.parent.name not in _CONTENT_FREE
]


@pytest.mark.parametrize("read", _GOLDEN + _FRAMEWORKS)
def test_no_text_of_the_visible_inputs_or_outputs_survives_hiding(
    read: Callable[[], list[SpanRecord]],
) -> None:
    """Whatever the converter shows as inputs and outputs when nothing is hidden must appear
    nowhere in the runs once both sides are hidden: not in metadata, leftovers or events either.
    The expectation comes from the program's own unhidden output, not from our key lists: the
    golden fixtures and every framework's recorded spans."""
    records = read()
    # Offered tools are configuration, not content (docs/reliability.md, Privacy): the tool
    # descriptions the converter shows under inputs["tools"] (or a prepared request's outputs,
    # LlamaIndex's `_prepare_chat_with_tools`) stay in the tool runs' metadata.
    runs = convert_records(records).runs
    visible = set().union(
        *(_texts(_without_tools(run.inputs)) | _texts(_without_tools(run.outputs)) for run in runs)
    )
    # Error messages are kept, hidden or not (docs/reliability.md, Privacy): a tool's failure
    # text that is also its output stays in the run's error.
    errors = [run.error for run in runs if run.error]
    visible = {text for text in visible if not any(text in error for error in errors)}
    # Names are kept too: a CrewAI agent's role also names its task's span and graph node.
    visible = {text for text in visible if not any(text in run.name for run in runs)}
    assert visible  # the fixture has content to hide
    privacy = Privacy(hide_inputs=True, hide_outputs=True)
    for run in convert_records([privacy.hide_record(record) for record in records]).runs:
        text = json.dumps(privacy.apply(run).to_dict(), default=str)
        leaked = sorted(t for t in visible if t in text or json.dumps(t)[1:-1] in text)
        assert leaked == [], (run.name, leaked)


def test_every_content_looking_constant_is_classified() -> None:
    """A constant whose name says it may carry content is either in a content list (hidden) or
    named here with the reason it is not: adding a key to `conventions/` forces the choice."""
    not_content = {
        "FINISH_TOOL_CALL": "a finish-reason value, not a key",
        "REQUEST_EXTRA_QUERY": "request parameters",
        "USAGE_INPUT_TOKEN_DETAILS": "token counts",
        "USAGE_OUTPUT_TOKEN_DETAILS": "token counts",
        "EXCEPTION_MESSAGE": "errors are kept (docs: not inspected; use redact)",
        "LOGFIRE_MSG_TEMPLATE": "a template with placeholders, no values",
        "EMBEDDING_MODEL_NAME": "a model name",
        "TOOL_CALL_ID": "an id",
        "TOOL_CALL_NAME": "a tool's name",
        "RESPONSE_FINISH_REASON": "a finish reason",
        "PROMPT_TOOLS": "tool definitions are configuration (here a child of ai.prompt, hidden)",
        "MESSAGE_FORMAT": "a format name",
        "CALL_LLM_SPAN": "a span name, not a key",
        "OBSERVATION_STATUS_MESSAGE": "errors are kept, as exception messages are",
        "TOOL_OUTPUT": "the attribute of Claude Code's tool.output event, hidden with the event",
        "TOOL_RESULT_ATTR": "an attribute of Strands' gen_ai.choice events, hidden with them",
        "INPUT_SUFFIX": "a key suffix; mastra.{}.input is the content key",
        "OUTPUT_SUFFIX": "a key suffix; mastra.{}.output is the content key",
        "EVALUATION_RESULT": "an evaluation event: a score and a judgement, not the prompt",
        "EVALUATION_SCORE_VALUE": "a score",
        "TOOLS_CALL": "an MCP method name (`tools/call`), a value, not a key",
        "CALL_ARGS": "a JSON field inside LlamaIndex's input.value, hidden with it",
        "CALL_KWARGS": "a JSON field inside LlamaIndex's input.value, hidden with it",
        "TOOL_RAW_OUTPUT": "a JSON field inside LlamaIndex's output.value, hidden with it",
    }
    metadata_words = re.compile(
        r"TOKEN|COST|MIME|TIME|_MS_|MODEL|_ID$|TYPE|TIER|FINGERPRINT|REASONS|AUDIO"
    )
    content_words = re.compile(
        r"MESSAGE|PROMPT|COMPLETION|CONTENT|INPUT|OUTPUT|ARGUMENT|ARGS|RESULT|RESPONSE|DOCUMENT"
        r"|TEMPLATE|VALUE|TEXT|QUERY|CHOICE|EMBEDDING|INSTRUCTION|CALL|CHUNK"
    )
    hidden = content.INPUT_KEYS | content.OUTPUT_KEYS | content.INPUT_EVENTS
    hidden |= content.OUTPUT_EVENTS | content.RUN_KEYS
    unclassified = []
    for info in pkgutil.iter_modules(conventions.__path__):
        module = importlib.import_module(f"{conventions.__name__}.{info.name}")
        for name, value in vars(module).items():
            if not (name.isupper() and isinstance(value, str) and content_words.search(name)):
                continue
            if value.rstrip(".") in hidden or name in not_content:
                continue
            if not metadata_words.search(name):
                unclassified.append(f"{info.name}.{name} = {value!r}")
    assert unclassified == []


def test_the_exporter_hides_spans_before_it_converts_them() -> None:
    """Hidden content never reaches the conversion either: a `keep` callable, which sees the
    span records the exporter converts, finds none."""
    seen: list[str] = []

    def keep(record: SpanRecord) -> bool:
        seen.append(json.dumps(dict(record.attributes)) + repr(record.events))
        return True

    sink = MemorySink()
    exporter = RunExporter(sink, keep=keep, privacy=Privacy(hide_inputs=True, hide_outputs=True))
    _emit(SimpleSpanProcessor(exporter))
    assert seen and not any(SECRET_IN in text or SECRET_OUT in text for text in seen)
    [run] = sink.runs.values()
    assert run.run_type == "llm" and run.total_tokens == 12
