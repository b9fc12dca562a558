"""OpenTelemetry GenAI semantic conventions: current attributes, deprecated ones, and events."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import genai as g
from otel_runs.conventions.providers import FRAMEWORK_SYSTEMS
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import (
    as_list,
    as_str,
    as_text,
    dumps,
    json_or_text,
    loads,
    to_jsonable,
)
from otel_runs.dialects.view import SpanView

# Request parameter names that LangChain spells differently.
_PARAM_RENAMES = {"stop_sequences": "stop", "choice.count": "n"}
_JSON_SCALARS = frozenset({str, int, bool})
"""Attribute value types that are JSON as they are (a float may not be finite)."""


def run_type(v: SpanView) -> str | None:
    """`gen_ai.operation.name` mapped to a run type: model calls -> llm, embeddings, retrieval
    and `search_memory` -> retriever, `execute_tool` -> tool; agents (`create_agent`,
    `invoke_agent`), workflows, `plan`, the other memory operations and unknown ones -> chain."""
    op = as_str(v.peek(g.OPERATION_NAME))
    if op is None:
        return None
    op = op.lower()
    if op in g.OPS_LLM:
        return "llm"
    if op in g.OPS_EMBEDDING:
        return "embedding"
    if op in g.OPS_RETRIEVER:
        return "retriever"
    if op in g.OPS_TOOL:
        return "tool"
    return "chain"


def tool_name(v: SpanView) -> str | None:
    """`gen_ai.tool.name`, the name of a tool run."""
    if v.run_type != "tool":
        return None
    return as_str(v.get(g.TOOL_NAME))


def _with_system(v: SpanView, messages: list[m.Message]) -> list[m.Message]:
    system = m.system_messages(v.get(g.SYSTEM_INSTRUCTIONS))
    if system and messages and messages[0] == system[0]:
        return messages  # also sent as the first input message (OpenLIT)
    return system + messages if system else messages


def _tools(v: SpanView) -> list[Any] | None:
    tools = as_list(v.get(g.TOOL_DEFINITIONS))
    return m.openai_tools(tools) if tools else None


def input_messages(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.input.messages` with `gen_ai.system_instructions` prepended and tools added."""
    msgs = m.from_genai(v.peek(g.INPUT_MESSAGES))
    if msgs is None:
        return None
    v.consume(g.INPUT_MESSAGES)
    inputs: dict[str, Any] = {"messages": _with_system(v, m.without_finish_reasons(msgs))}
    tools = _tools(v)
    if tools:
        inputs["tools"] = tools
    return inputs


def output_messages(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.output.messages` as OpenAI choices."""
    msgs = m.from_genai(v.peek(g.OUTPUT_MESSAGES))
    if msgs is None:
        return None
    v.consume(g.OUTPUT_MESSAGES)
    return m.as_choices(msgs)


def tool_arguments(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.tool.call.arguments` of a tool run."""
    return json_or_text(v.get(g.TOOL_CALL_ARGUMENTS), "input")


def tool_result(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.tool.call.result` of a tool run."""
    return json_or_text(v.get(g.TOOL_CALL_RESULT), "output")


def tools_only(v: SpanView) -> dict[str, Any] | None:
    """An llm run's `gen_ai.tool.definitions` and system instructions when its messages were
    not recorded (content capture off for messages only, or messages on a log record)."""
    if v.run_type != "llm":
        return None
    tools = _tools(v)
    system = m.system_messages(v.peek(g.SYSTEM_INSTRUCTIONS))
    if not tools and not system:
        return None
    v.consume(g.SYSTEM_INSTRUCTIONS)
    inputs: dict[str, Any] = {"messages": system} if system else {}
    if tools:
        inputs["tools"] = tools
    return inputs


def query(v: SpanView) -> dict[str, Any] | None:
    """A retrieval's `gen_ai.retrieval.query.text`, or a memory search's
    `gen_ai.memory.query.text`, as a retriever's `{"query": text}`."""
    for key in (g.RETRIEVAL_QUERY_TEXT, g.MEMORY_QUERY_TEXT):
        text = as_text(v.get(key))
        if text is not None:
            return {"query": text}
    return None


def _operation(v: SpanView) -> str | None:
    op = as_str(v.peek(g.OPERATION_NAME))
    return op.lower() if op else None


def memory_written(v: SpanView) -> dict[str, Any] | None:
    """The `gen_ai.memory.records` a `create_memory`/`update_memory`/`upsert_memory` span
    wrote, as `{"records": [...]}`."""
    if _operation(v) not in g.OPS_MEMORY_WRITE:
        return None
    records = as_list(v.peek(g.MEMORY_RECORDS))
    if records is None:
        return None
    v.consume(g.MEMORY_RECORDS)
    return {"records": to_jsonable(records)}


def documents(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.retrieval.documents` (or a memory search's `gen_ai.memory.records`) as LangSmith
    documents: `{"documents": [{"page_content", "metadata", "type"}]}`; an item's `content`
    (or `text`) is the page content, its `id`, `score` and other properties the metadata."""
    found = as_list(v.peek(g.RETRIEVAL_DOCUMENTS))
    key = g.RETRIEVAL_DOCUMENTS
    if found is None and _operation(v) == g.OP_SEARCH_MEMORY:
        found, key = as_list(v.peek(g.MEMORY_RECORDS)), g.MEMORY_RECORDS
    if found is None:
        return None
    v.consume(key)
    return {"documents": [m.document(item, dumps) for item in found]}


def names(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.workflow.name` of an `invoke_workflow` span, kept in metadata (`workflow_name`)."""
    workflow = as_str(v.get(g.WORKFLOW_NAME))
    return {"workflow_name": workflow} if workflow else None


def _details(v: SpanView, key: str) -> list[Any] | None:
    """`key`'s messages over every `gen_ai.client.inference.operation.details` event, in order.

    One event may carry everything, or each its part (Strands sends the system instructions,
    the input messages and the output messages as three events of that name).
    """
    found: list[Any] | None = None
    for _, event in v.events_named(g.EVENT_INFERENCE_DETAILS):
        items = as_list(event.attributes.get(key))
        if items is not None:
            found = (found or []) + items
    return found


def details_event_inputs(v: SpanView) -> dict[str, Any] | None:
    """Input messages of the `gen_ai.client.inference.operation.details` event(s), with their
    system instructions (else the span's)."""
    msgs = m.from_genai(_details(v, g.INPUT_MESSAGES))
    if msgs is None:
        return None
    from_events = _details(v, g.SYSTEM_INSTRUCTIONS)
    instructions = from_events if from_events is not None else v.get(g.SYSTEM_INSTRUCTIONS)
    inputs = {"messages": m.system_messages(instructions) + m.without_finish_reasons(msgs)}
    tools = _details(v, g.TOOL_DEFINITIONS)
    tools = m.openai_tools(tools) if tools else _tools(v)
    if tools:
        inputs["tools"] = tools
    return inputs


def details_event_outputs(v: SpanView) -> dict[str, Any] | None:
    """Output messages of the `gen_ai.client.inference.operation.details` event(s)."""
    msgs = m.from_genai(_details(v, g.OUTPUT_MESSAGES))
    return m.as_choices(msgs) if msgs else None


_INPUT_EVENT_ROLES = {
    g.EVENT_SYSTEM_MESSAGE: "system",
    g.EVENT_USER_MESSAGE: "user",
    g.EVENT_ASSISTANT_MESSAGE: "assistant",
    g.EVENT_TOOL_MESSAGE: "tool",
}


def message_events_inputs(v: SpanView) -> dict[str, Any] | None:
    """Deprecated per-message events (system/user/assistant/tool), or `gen_ai.content.prompt`."""
    msgs = [
        m.from_event(_INPUT_EVENT_ROLES[event.name], event.attributes)
        for _, event in v.events_named(*_INPUT_EVENT_ROLES)
    ]
    if msgs:
        return {"messages": msgs}
    event = v.first_event(g.EVENT_CONTENT_PROMPT)
    if event is not None:
        return json_or_text(event.attributes.get(g.PROMPT), "input")
    return None


def choice_events_outputs(v: SpanView) -> dict[str, Any] | None:
    """Deprecated `gen_ai.choice` events, or `gen_ai.content.completion`."""
    msgs = [m.from_choice_event(event.attributes) for _, event in v.events_named(g.EVENT_CHOICE)]
    if msgs:
        return m.as_choices(msgs)
    event = v.first_event(g.EVENT_CONTENT_COMPLETION)
    if event is not None:
        return json_or_text(event.attributes.get(g.COMPLETION), "output")
    return None


def prompt_text(v: SpanView) -> dict[str, Any] | None:
    """Deprecated `gen_ai.prompt` (LangSmith's exporter writes the whole inputs as JSON)."""
    return json_or_text(v.get(g.PROMPT), "input")


def completion_text(v: SpanView) -> dict[str, Any] | None:
    """Deprecated `gen_ai.completion` (LangSmith's exporter writes the whole outputs)."""
    return json_or_text(v.get(g.COMPLETION), "output")


def model(v: SpanView) -> str | None:
    """The model that answered, else the one requested."""
    return as_str(v.get(g.RESPONSE_MODEL)) or as_str(v.get(g.REQUEST_MODEL))


def provider(v: SpanView) -> str | None:
    """`gen_ai.provider.name`, else the deprecated `gen_ai.system`; a value that names an agent
    framework (`langchain`, `strands-agents`...) is no provider and stays in the leftovers."""
    for key in (g.PROVIDER_NAME, g.SYSTEM):
        value = as_str(v.peek(key))
        if value is not None and value.lower() not in FRAMEWORK_SYSTEMS:
            v.consume(key)
            return value
    return None


def request_params(v: SpanView) -> dict[str, Any] | None:
    """`gen_ai.request.*` with the prefix removed and LangChain's names."""
    keys = v.keys_under(g.REQUEST_PREFIX)
    if not keys:
        return None
    attrs, used, cut = v.attrs, v.used, len(g.REQUEST_PREFIX)
    params = {}
    for key in keys:  # (`prefixed` and a renaming pass in one loop: every chat span has these)
        value = attrs[key]
        if value is not None:
            used.add(key)
            param = key[cut:]
            params[_PARAM_RENAMES.get(param, param)] = (
                value if type(value) in _JSON_SCALARS else to_jsonable(value)
            )
    return params or None


def response_meta(v: SpanView) -> dict[str, Any] | None:
    """Response id and finish reasons, kept in metadata."""
    out: dict[str, Any] = {}
    rid = as_str(v.get(g.RESPONSE_ID))
    if rid:
        out["response_id"] = rid
    reasons = as_list(v.get(g.RESPONSE_FINISH_REASONS))
    if reasons:
        out["finish_reasons"] = [str(r) for r in reasons]
    return out or None


def thread_id(v: SpanView) -> str | None:
    """`gen_ai.conversation.id`."""
    value = v.get(g.CONVERSATION_ID)
    return str(value) if value is not None else None


def streaming(v: SpanView) -> bool | None:
    """`gen_ai.request.stream`."""
    value = v.peek(g.REQUEST_STREAM)
    return value if isinstance(value, bool) else None


def agent_name(v: SpanView) -> str | None:
    """`gen_ai.agent.name`, kept in metadata."""
    return as_str(v.get(g.AGENT_NAME))


def token_details(v: SpanView, key: str) -> dict[str, int] | None:
    """LangSmith's exporter writes token details as a Python repr; read it or JSON."""
    raw = v.peek(key)
    if not isinstance(raw, str):
        return None
    decoded = loads(raw)
    if decoded is None:
        import ast

        try:
            decoded = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return None
    if not isinstance(decoded, dict):
        return None
    v.consume(key)
    return {str(k): n for k, n in decoded.items() if isinstance(n, int) and not isinstance(n, bool)}
