"""Issue 15: the GenAI conventions 1.38-1.42 (and semantic-conventions-genai's main branch) into
runs: usage by cache, reasoning and modality, carried and custom costs, operations -> run types,
MCP, threads, and the names of traces whose root is an HTTP request.

Where a real instrumentation emits a name, its recording (tests/fixtures/frameworks/) is
converted; the rest are spans made with the OTel SDK's own tracer, with the attribute names
typed from the convention text (tests/fixtures/spec_keys.py: `GenAINext`, `Mcp`), never taken
from otel-runs' constants.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Tracer

from otel_runs import Run, prices, runs_to_spans, spans_to_runs, use_prices
from otel_runs.convert import costs
from otel_runs.convert.assembler import TraceAssembler
from otel_runs.convert.from_sdk import record_from_span
from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.errors import ConfigError
from otel_runs.model.ingest import encode_ingest_run
from otel_runs.otlp.decode import decode_request
from otel_runs.processor import RunSpanProcessor
from tests.fixtures.spec_keys import GenAI, GenAINext, LangSmithOtel, Mcp, OpenInference
from tests.support import frameworks as fw
from tests.support.memory_sink import MemorySink
from tests.support.run_tree import assert_one_tree

G = GenAINext
AttrValue = str | int | float | bool


@contextmanager
def tracer() -> Iterator[tuple[Tracer, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield provider.get_tracer("spec-test"), exporter
    finally:
        provider.shutdown()


def one_span(
    name: str, attributes: Mapping[str, AttrValue], kind: SpanKind = SpanKind.INTERNAL
) -> Run:
    """One span made by the SDK with these attributes, converted."""
    with tracer() as (t, exporter):
        with t.start_as_current_span(name, kind=kind, attributes=dict(attributes)):
            pass
        [run] = spans_to_runs(exporter.get_finished_spans())
    return run


def fw_convert_genai(path: Path) -> list[Run]:
    """A recording's spans converted with keep="genai"."""
    _, bodies = fw.request_bodies(path)
    records = [r for body in bodies for r in decode_request(body).records]
    return convert_records(records, keep="genai").runs


def by_name(runs: list[Run]) -> dict[str, Run]:
    return {run.name: run for run in runs}


def usage_of(run: Run) -> dict[str, Any]:
    usage: dict[str, Any] = run.metadata["usage_metadata"]
    return usage


def chat(model: str = "gpt-4o-mini", **usage: int) -> dict[str, AttrValue]:
    attributes: dict[str, AttrValue] = {
        GenAI.OPERATION_NAME: "chat",
        GenAI.PROVIDER_NAME: "openai",
        GenAI.REQUEST_MODEL: model,
    }
    attributes.update({f"gen_ai.usage.{key.replace('__', '.')}": n for key, n in usage.items()})
    return attributes


# --- usage ------------------------------------------------------------------------------------


def test_cache_and_reasoning_counts_reach_the_token_details() -> None:
    run = one_span(
        "chat gpt-4o-mini",
        {
            **chat(),
            GenAI.USAGE_INPUT_TOKENS: 100,
            GenAI.USAGE_OUTPUT_TOKENS: 40,
            G.USAGE_CACHE_READ_INPUT_TOKENS: 60,
            G.USAGE_CACHE_CREATION_INPUT_TOKENS: 20,
            G.USAGE_REASONING_OUTPUT_TOKENS: 25,
        },
    )
    usage = usage_of(run)
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (100, 40, 140)
    assert usage["input_token_details"] == {"cache_read": 60, "cache_creation": 20}
    assert usage["output_token_details"] == {"reasoning": 25}
    assert "ls_usage_normalization" not in run.metadata  # inclusive counts, as the spec says


@pytest.mark.parametrize(
    "key",
    [G.USAGE_CACHE_CREATION_INPUT_TOKENS, G.USAGE_CACHE_WRITE_INPUT_TOKENS],
    ids=["cache_creation (1.40)", "cache_write (genai main, #440)"],
)
def test_both_names_of_cache_writes_are_cache_creation(key: str) -> None:
    run = one_span("chat", {**chat(), GenAI.USAGE_INPUT_TOKENS: 50, key: 30})
    assert usage_of(run)["input_token_details"] == {"cache_creation": 30}
    assert key not in run.metadata["otel"].get("attributes", {})  # read, not left over


def test_langsmith_reasoning_key_is_read() -> None:
    run = one_span(
        "chat",
        {
            **chat(),
            GenAI.USAGE_INPUT_TOKENS: 10,
            GenAI.USAGE_OUTPUT_TOKENS: 30,
            LangSmithOtel.USAGE_DETAILS_REASONING_TOKENS: 12,
        },
    )
    assert usage_of(run)["output_token_details"] == {"reasoning": 12}


def test_per_modality_counts_reach_langsmith_token_details() -> None:
    run = one_span(
        "generate_content gemini",
        {
            **chat(),
            GenAI.USAGE_INPUT_TOKENS: 200,
            GenAI.USAGE_OUTPUT_TOKENS: 70,
            G.USAGE_TEXT_INPUT_TOKENS: 100,
            G.USAGE_IMAGE_INPUT_TOKENS: 50,
            G.USAGE_AUDIO_INPUT_TOKENS: 30,
            G.USAGE_VIDEO_INPUT_TOKENS: 20,
            G.USAGE_TEXT_OUTPUT_TOKENS: 60,
            G.USAGE_AUDIO_OUTPUT_TOKENS: 10,
            G.USAGE_IMAGE_OUTPUT_TOKENS: 0,
        },
    )
    usage = usage_of(run)
    assert usage["input_token_details"] == {"audio": 30, "text": 100, "image": 50, "video": 20}
    assert usage["output_token_details"] == {"audio": 10, "text": 60, "image": 0}
    assert (usage["input_tokens"], usage["output_tokens"]) == (200, 70)  # subsets, not added


def test_real_google_genai_spans_carry_reasoning_cache_and_text_counts() -> None:
    """opentelemetry-instrumentation-google-genai 1.3b0 (util-genai 1.3b0) writes
    `reasoning.output_tokens`, `cache_read.input_tokens` and `text.input_tokens`."""
    runs = fw.convert_file(fw.load("google_genai").recording)
    answered = [r for r in runs if r.run_type == "llm" and r.metadata.get("usage_metadata")]
    assert answered
    for run in answered:
        usage = usage_of(run)
        assert usage["output_token_details"]["reasoning"] > 0
        assert usage["input_token_details"]["cache_read"] > 0
        assert usage["input_token_details"]["text"] == usage["input_tokens"]


def test_real_anthropic_spans_with_cache_write_and_cache_creation() -> None:
    """anthropic 2.16's own spans write `cache_write.input_tokens`, OpenLLMetry 0.62's
    `cache_creation.input_tokens`: both become cache_creation, counted inside the input."""
    content_type, bodies = fw.request_bodies(fw.load("anthropic_openllmetry").recording)
    assert content_type == "application/x-protobuf"
    records = [r for body in bodies for r in decode_request(body).records]
    written = {
        key for r in records for key in r.attributes if key.startswith("gen_ai.usage.cache_")
    }
    assert {G.USAGE_CACHE_WRITE_INPUT_TOKENS, G.USAGE_CACHE_CREATION_INPUT_TOKENS} <= written
    runs = fw.convert_file(fw.load("anthropic_openllmetry").recording)
    counted = [usage_of(r) for r in runs if r.run_type == "llm" and "usage_metadata" in r.metadata]
    assert len(counted) >= 6
    for usage in counted:
        details = usage["input_token_details"]
        assert details["cache_creation"] > 0
        assert usage["input_tokens"] >= details["cache_creation"] + details["cache_read"]


# --- costs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"gen_ai.usage.cost": 0.5}, {"total_cost": "0.5"}, id="gen_ai.usage.cost"),
        pytest.param(
            {
                OpenInference.COST_TOTAL: 0.25,
                OpenInference.COST_PROMPT: 0.2,
                OpenInference.COST_COMPLETION: 0.05,
            },
            {"total_cost": "0.25", "input_cost": "0.2", "output_cost": "0.05"},
            id="llm.cost.*",
        ),
        pytest.param(
            {
                "langfuse.observation.usage_details": json.dumps({"input": 10, "output": 5}),
                "langfuse.observation.cost_details": json.dumps(
                    {"input": 0.03, "output": 0.07, "total": 0.1}
                ),
            },
            {"total_cost": "0.1", "input_cost": "0.03", "output_cost": "0.07"},
            id="langfuse cost_details",
        ),
    ],
)
def test_carried_costs_win_over_computed_ones(
    attributes: dict[str, AttrValue], expected: dict[str, str]
) -> None:
    """gpt-4o-mini is in the genai-prices tables; the span's own costs win anyway."""
    run = one_span(
        "chat gpt-4o-mini",
        {**chat(), GenAI.USAGE_INPUT_TOKENS: 10, GenAI.USAGE_OUTPUT_TOKENS: 5, **attributes},
    )
    assert run.metadata["ls_cost_source"] == "span"
    found = {"total_cost": run.total_cost, "input_cost": run.prompt_cost}
    found["output_cost"] = run.completion_cost
    assert {k: str(found[k]) for k in expected} == expected
    ingest = encode_ingest_run(run, project="p")
    assert ingest["extra"]["metadata"]["usage_metadata"]["total_cost"] == float(
        expected["total_cost"]
    )


def test_without_carried_costs_genai_prices_prices_the_call() -> None:
    run = one_span("chat", {**chat(), GenAI.USAGE_INPUT_TOKENS: 10, GenAI.USAGE_OUTPUT_TOKENS: 5})
    assert run.metadata["ls_cost_source"] == "genai-prices"
    assert run.total_cost is not None and run.total_cost > 0


# --- custom prices ----------------------------------------------------------------------------


PRICES = {
    "models": [
        {
            "model": "acme-large",
            "provider": "acme",
            "input_mtok": 2,
            "output_mtok": 8,
            "cache_read_mtok": 0.5,
            "cache_write_mtok": 2.5,
        },
        {"model": "acme-large", "input_mtok": 100, "output_mtok": 100},
        {"model": "gpt-4o-mini", "input_mtok": 1000, "output_mtok": 1000},
    ]
}


def _prices_from_the_environment() -> None:
    """Back to the default: custom prices read from OTEL_RUNS_PRICES on first need."""
    costs.set_price_loader(prices._from_environment)


@pytest.fixture
def no_custom_prices() -> Iterator[None]:
    use_prices(None)
    yield
    _prices_from_the_environment()


def _acme(provider: str = "acme") -> Run:
    return one_span(
        "chat acme-large",
        {
            GenAI.OPERATION_NAME: "chat",
            GenAI.PROVIDER_NAME: provider,
            GenAI.REQUEST_MODEL: "acme-large",
            GenAI.USAGE_INPUT_TOKENS: 1_000_000,
            GenAI.USAGE_OUTPUT_TOKENS: 100_000,
            G.USAGE_CACHE_READ_INPUT_TOKENS: 400_000,
            G.USAGE_CACHE_WRITE_INPUT_TOKENS: 100_000,
        },
    )


@pytest.mark.usefixtures("no_custom_prices")
@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_custom_prices_price_a_model_genai_prices_does_not_know(
    tmp_path: Path, suffix: str
) -> None:
    assert _acme().total_cost is None  # unknown to genai-prices, no custom prices yet
    path = tmp_path / f"prices{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(PRICES))
    else:
        path.write_text(
            "\n".join(
                "[[models]]\n"
                + "\n".join(f"{k} = {json.dumps(v)}" for k, v in entry.items())
                + "\n"
                for entry in PRICES["models"]
            )
        )
    use_prices(path)
    run = _acme()
    # 500k plain input at $2/M, 400k cache reads at $0.5/M, 100k cache writes at $2.5/M
    assert run.prompt_cost == Decimal("1") + Decimal("0.2") + Decimal("0.25")
    assert run.completion_cost == Decimal("0.8")  # 100k output at $8/M
    assert run.total_cost == Decimal("2.25")
    assert run.metadata["ls_cost_source"] == "custom-prices"
    sent = encode_ingest_run(run, project="p")["extra"]["metadata"]["usage_metadata"]
    assert sent["total_cost"] == 2.25  # the user's prices are sent as explicit costs
    other = _acme(provider="other-cloud")  # the entry without a provider
    assert other.total_cost == Decimal("100") * Decimal("1.1")
    known = one_span("chat", {**chat(), GenAI.USAGE_INPUT_TOKENS: 10, GenAI.USAGE_OUTPUT_TOKENS: 5})
    assert known.metadata["ls_cost_source"] == "genai-prices"  # genai-prices first
    assert known.total_cost is not None and known.total_cost < Decimal("0.001")


@pytest.mark.usefixtures("no_custom_prices")
def test_custom_prices_from_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES))
    monkeypatch.setenv("OTEL_RUNS_PRICES", str(path))
    _prices_from_the_environment()  # forget the table use_prices(None) set
    assert _acme().total_cost == Decimal("2.25")
    path.write_text('{"models": [{"model": "acme-large"}]}')  # read once: no effect now
    assert _acme().total_cost == Decimal("2.25")
    _prices_from_the_environment()
    with caplog.at_level("WARNING", logger="otel_runs"):
        assert _acme().total_cost is None  # a bad file: a warning, no custom prices
    assert "OTEL_RUNS_PRICES" in caplog.text and "input_mtok is required" in caplog.text


@pytest.mark.usefixtures("no_custom_prices")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"prices": []}', '"models"'),
        ('{"models": [{"model": "m", "input_mtok": 1}]}', "output_mtok is required"),
        ('{"models": [{"model": "m", "input_mtok": -1, "output_mtok": 1}]}', "price >= 0"),
        ('{"models": [{"model": "m", "input_mtok": 1, "output_mtok": 1, "x": 1}]}', "unknown"),
        ('{"models": [{"input_mtok": 1, "output_mtok": 1}]}', "model must be"),
    ],
)
def test_a_bad_price_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        use_prices(path)
    with pytest.raises(ConfigError, match=r"prices\.json"):
        use_prices(tmp_path / "missing" / "prices.json")


# --- operations -> run types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "kind", "run_type"),
    [
        (G.OP_INVOKE_AGENT, SpanKind.CLIENT, "chain"),
        (G.OP_INVOKE_AGENT, SpanKind.INTERNAL, "chain"),
        (G.OP_CREATE_AGENT, SpanKind.CLIENT, "chain"),
        (G.OP_INVOKE_WORKFLOW, SpanKind.INTERNAL, "chain"),
        (G.OP_PLAN, SpanKind.INTERNAL, "chain"),
        (G.OP_EXECUTE_TOOL, SpanKind.INTERNAL, "tool"),
        (G.OP_RETRIEVAL, SpanKind.CLIENT, "retriever"),
        (G.OP_EMBEDDINGS, SpanKind.CLIENT, "embedding"),
        (G.OP_SEARCH_MEMORY, SpanKind.CLIENT, "retriever"),
        (G.OP_CREATE_MEMORY, SpanKind.CLIENT, "chain"),
        (G.OP_UPSERT_MEMORY, SpanKind.CLIENT, "chain"),
        (G.OP_DELETE_MEMORY, SpanKind.CLIENT, "chain"),
    ],
)
def test_operations_map_to_run_types(operation: str, kind: SpanKind, run_type: str) -> None:
    run = one_span(operation, {GenAI.OPERATION_NAME: operation}, kind)
    assert run.run_type == run_type


def test_agent_usage_is_a_roll_up_not_counted() -> None:
    """invoke_agent spans may carry the usage of the whole invocation (the spec's
    `attributes.gen_ai.invoke_agent.common` includes usage): kept, never counted."""
    with tracer() as (t, exporter):
        with (
            t.start_as_current_span(
                "invoke_agent weather",
                kind=SpanKind.CLIENT,
                attributes={
                    GenAI.OPERATION_NAME: G.OP_INVOKE_AGENT,
                    GenAI.AGENT_NAME: "weather",
                    GenAI.USAGE_INPUT_TOKENS: 30,
                    GenAI.USAGE_OUTPUT_TOKENS: 10,
                },
            ),
            t.start_as_current_span("chat", attributes={**chat(), "gen_ai.usage.input_tokens": 30}),
        ):
            pass
        runs = by_name(spans_to_runs(exporter.get_finished_spans()))
    agent = runs["invoke_agent weather"]
    assert agent.metadata["ls_aggregated_usage"]["input_tokens"] == 30
    assert agent.prompt_tokens == 30  # the chat call below it, once
    assert agent.metadata["agent_name"] == "weather"


def test_workflow_name_is_kept() -> None:
    run = one_span(
        "invoke_workflow support_pipeline",
        {GenAI.OPERATION_NAME: G.OP_INVOKE_WORKFLOW, G.WORKFLOW_NAME: "support_pipeline"},
    )
    assert run.metadata["workflow_name"] == "support_pipeline"
    assert run.name == "invoke_workflow support_pipeline"


def test_real_adk_workflow_and_conversation() -> None:
    """Google ADK 2 writes invoke_workflow with gen_ai.workflow.name and gen_ai.conversation.id
    on its agent spans: every run of each trace gets the workflow's session as thread_id."""
    runs = fw.convert_file(fw.load("google_adk").recording)
    workflows = [r for r in runs if r.name.startswith("invoke_workflow ")]
    assert {r.metadata["workflow_name"] for r in workflows} == {"assistant", "broken_agent"}
    for trace_id in {r.trace_id for r in runs}:
        threads = {r.metadata.get("thread_id") for r in runs if r.trace_id == trace_id}
        assert len(threads) == 1 and None not in threads


def test_execute_tool_arguments_and_result() -> None:
    run = one_span(
        "execute_tool get_weather",
        {
            GenAI.OPERATION_NAME: G.OP_EXECUTE_TOOL,
            GenAI.TOOL_NAME: "get_weather",
            GenAI.TOOL_CALL_ID: "call_1",
            GenAI.TOOL_CALL_ARGUMENTS: json.dumps({"location": "Paris"}),
            GenAI.TOOL_CALL_RESULT: json.dumps({"conditions": "sunny"}),
        },
    )
    assert (run.run_type, run.name) == ("tool", "get_weather")
    assert run.inputs == {"location": "Paris"}
    assert run.outputs == {"conditions": "sunny"}


def test_retrieval_is_a_retriever_run_with_langsmith_documents() -> None:
    documents = [
        {"id": "doc_123", "score": 0.95, "content": "Paris is the capital of France."},
        {"id": "doc_456", "score": 0.87},
    ]
    run = one_span(
        "retrieval kb-1",
        {
            GenAI.OPERATION_NAME: G.OP_RETRIEVAL,
            G.DATA_SOURCE_ID: "kb-1",
            G.RETRIEVAL_QUERY_TEXT: "What is the capital of France?",
            G.RETRIEVAL_DOCUMENTS: json.dumps(documents),
        },
        SpanKind.CLIENT,
    )
    assert run.run_type == "retriever"
    assert run.inputs == {"query": "What is the capital of France?"}
    assert run.outputs == {
        "documents": [
            {
                "page_content": "Paris is the capital of France.",
                "metadata": {"id": "doc_123", "score": 0.95},
                "type": "Document",
            },
            {"page_content": "", "metadata": {"id": "doc_456", "score": 0.87}, "type": "Document"},
        ]
    }


def test_memory_search_and_write() -> None:
    records = [
        {"content": "User prefers dark mode", "id": "mem_123", "score": 0.95},
        {"content": {"preference": "vegetarian"}, "metadata": {"source": "profile"}},
    ]
    search = one_span(
        "search_memory",
        {
            GenAI.OPERATION_NAME: G.OP_SEARCH_MEMORY,
            G.MEMORY_STORE_ID: "prefs",
            G.MEMORY_QUERY_TEXT: "user preferences",
            G.MEMORY_RECORDS: json.dumps(records),
        },
        SpanKind.CLIENT,
    )
    assert search.run_type == "retriever"
    assert search.inputs == {"query": "user preferences"}
    docs = search.outputs["documents"] if search.outputs else []
    assert [d["page_content"] for d in docs] == [
        "User prefers dark mode",
        '{"preference":"vegetarian"}',
    ]
    assert docs[1]["metadata"] == {"source": "profile"}
    written = one_span(
        "create_memory",
        {GenAI.OPERATION_NAME: G.OP_CREATE_MEMORY, G.MEMORY_RECORDS: json.dumps(records[:1])},
    )
    assert (written.run_type, written.inputs) == ("chain", {"records": records[:1]})


def test_tool_definitions_are_the_llm_runs_tools_even_without_messages() -> None:
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
    run = one_span(
        "chat gpt-4o-mini",
        {**chat(), GenAI.USAGE_INPUT_TOKENS: 5, G.TOOL_DEFINITIONS: json.dumps(tools)},
    )
    assert run.inputs == {
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": {"type": "object"}},
            }
        ]
    }


# --- MCP --------------------------------------------------------------------------------------


def test_mcp_server_tool_call_is_a_tool_run() -> None:
    """The server side as the MCP conventions specify: method, tool name, execute_tool."""
    run = one_span(
        "tools/call get_weather",
        {
            Mcp.METHOD_NAME: Mcp.TOOLS_CALL,
            GenAI.TOOL_NAME: "get_weather",
            GenAI.OPERATION_NAME: G.OP_EXECUTE_TOOL,
            GenAI.TOOL_CALL_ARGUMENTS: json.dumps({"city": "Paris"}),
        },
        SpanKind.SERVER,
    )
    assert (run.run_type, run.name, run.inputs) == ("tool", "get_weather", {"city": "Paris"})


@pytest.mark.parametrize("span_name", ["tools/call get_weather", "MCP send tools/call get_weather"])
def test_mcp_client_tool_call_is_named_by_its_tool(span_name: str) -> None:
    """A client span carries only the method; the tool is the span name's target (the MCP
    Python SDK 2.3 prefixes its client spans with `MCP send`)."""
    run = one_span(span_name, {Mcp.METHOD_NAME: Mcp.TOOLS_CALL}, SpanKind.CLIENT)
    assert (run.run_type, run.name) == ("tool", "get_weather")
    assert run.metadata["otel"]["attributes"][Mcp.METHOD_NAME] == Mcp.TOOLS_CALL  # kept
    assert run.metadata["otel"]["span_name"] == span_name


def test_real_mcp_sdk_spans() -> None:
    """The MCP Python SDK 2.3's own spans, client and server, over stdio (its fixture's README):
    each tool call is a tool run named by the tool on both sides."""
    fixture = fw.load("mcp")
    runs = fw.convert_file(fixture.recording)
    fw.check(runs, fixture)
    for trace_id in {r.trace_id for r in runs}:
        assert_one_tree([r for r in runs if r.trace_id == trace_id])
    kept = fw_convert_genai(fixture.recording)
    assert len(kept) == len(runs)  # every MCP span is kept by keep="genai"


def test_other_mcp_methods_are_chains_kept_by_the_genai_filter() -> None:
    with tracer() as (t, exporter):
        with t.start_as_current_span(
            "resources/read", attributes={Mcp.METHOD_NAME: "resources/read"}
        ):
            pass
        spans = exporter.get_finished_spans()
    [run] = spans_to_runs(spans, keep="genai")
    assert (run.run_type, run.name) == ("chain", "resources/read")


# --- threads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "field"),
    [
        (GenAI.CONVERSATION_ID, "thread_id"),
        (OpenInference.SESSION_ID, "thread_id"),
        (OpenInference.USER_ID, "user_id"),
    ],
)
def test_thread_and_user_reach_every_run_of_the_trace(key: str, field: str) -> None:
    """Set on one inner span only, as an instrumentation does; LangSmith's threads view reads
    the metadata of every run."""
    agent = {GenAI.OPERATION_NAME: "invoke_agent"}
    with tracer() as (t, exporter):
        with (
            t.start_as_current_span("POST /chat", kind=SpanKind.SERVER),
            t.start_as_current_span("invoke_agent a", attributes=agent),
        ):
            with t.start_as_current_span("chat", attributes={**chat(), key: "conv-42"}):
                pass
            with t.start_as_current_span("execute_tool t", attributes={GenAI.TOOL_NAME: "t"}):
                pass
        runs = spans_to_runs(exporter.get_finished_spans())
    assert len(runs) == 4
    assert [run.metadata.get(field) for run in runs] == ["conv-42"] * 4


def test_real_claude_agent_sdk_threads_and_users_on_every_run() -> None:
    runs = fw.convert_file(fw.load("claude_agent_sdk").recording)
    for trace_id in {r.trace_id for r in runs}:
        trace = [r for r in runs if r.trace_id == trace_id]
        for field in ("thread_id", "user_id"):
            values = {r.metadata.get(field) for r in trace}
            assert len(values) == 1 and None not in values, (field, values)


# --- names of traces whose root is a request --------------------------------------------------


def _web_trace(t: Tracer, route: bool = True, genai: bool = True) -> None:
    attributes: dict[str, AttrValue] = {"http.request.method": "POST"}
    if route:
        attributes["http.route"] = "/chat"
    with t.start_as_current_span("POST", kind=SpanKind.SERVER, attributes=attributes):
        with t.start_as_current_span("auth check"):
            pass
        if genai:
            with (
                t.start_as_current_span(
                    "invoke_agent weather",
                    attributes={GenAI.OPERATION_NAME: "invoke_agent", GenAI.AGENT_NAME: "weather"},
                ),
                t.start_as_current_span("chat gpt-4o-mini", attributes=chat()),
            ):
                pass


def _converted(route: bool = True, genai: bool = True, keep: str = "all") -> list[Run]:
    with tracer() as (t, exporter):
        _web_trace(t, route, genai)
        return spans_to_runs(exporter.get_finished_spans(), keep=keep)  # type: ignore[arg-type]


def test_an_http_root_is_named_by_its_first_genai_run() -> None:
    runs = _converted()
    root = runs[0]
    assert root.parent_run_id is None
    assert root.name == "invoke_agent weather"
    assert root.metadata["otel"]["span_name"] == "POST"
    assert [r.name for r in runs[1:]] == ["auth check", "invoke_agent weather", "chat gpt-4o-mini"]


def test_an_http_root_without_genai_runs_is_named_by_its_route() -> None:
    assert _converted(genai=False)[0].name == "POST /chat"
    assert _converted(route=False, genai=False)[0].name == "POST"


def test_other_roots_keep_their_names() -> None:
    with tracer() as (t, exporter):
        with (
            t.start_as_current_span("my pipeline"),
            t.start_as_current_span("chat gpt-4o-mini", attributes=chat()),
        ):
            pass
        runs = spans_to_runs(exporter.get_finished_spans())
    assert runs[0].name == "my pipeline"


def test_keep_genai_roots_the_trace_at_the_first_genai_run_under_its_own_name() -> None:
    runs = _converted(keep="genai")
    assert [r.name for r in runs] == ["invoke_agent weather", "chat gpt-4o-mini"]
    assert runs[0].parent_run_id is None
    assert "span_name" not in runs[0].metadata["otel"]


def test_the_renamed_root_comes_back_as_its_span() -> None:
    runs = _converted()
    [root] = [s for s in runs_to_spans(runs) if s.parent is None]
    assert root.name == "POST"
    again = spans_to_runs(runs_to_spans(runs))
    assert [r.to_dict() for r in again] == [r.to_dict() for r in runs]


def test_a_root_after_its_stamped_descendants_in_a_later_batch_is_named() -> None:
    """Spans the processor stamped with their lineage at start are emitted without waiting for
    their parent: the root, exported last in its own batch, still gets the first GenAI run's
    name."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    stamper = RunSpanProcessor(MemorySink())
    provider.add_span_processor(stamper)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _web_trace(provider.get_tracer("spec-test"))
    provider.shutdown()
    records = [record_from_span(span) for span in exporter.get_finished_spans()]
    [root] = [r for r in records if r.parent_span_id is None]
    assembler = TraceAssembler()
    first = assembler.take([r for r in records if r is not root])
    assert len(first.runs) == 3  # emitted at once: their stamps place them
    [named] = assembler.take([root]).runs
    assert named.name == "invoke_agent weather"
    assert named.metadata["otel"]["span_name"] == "POST"
