"""OpenInference attributes (Phoenix, Arize, openinference-instrumentation-*)."""

from __future__ import annotations

from typing import Any

from otel_runs.conventions import openinference as oi
from otel_runs.dialects import messages as m
from otel_runs.dialects.coerce import (
    as_list,
    as_object,
    as_str,
    call_arguments,
    json_or_text,
    loads,
    to_jsonable,
)
from otel_runs.dialects.view import SpanView


def run_type(v: SpanView) -> str | None:
    """`openinference.span.kind` mapped to a run type."""
    kind = as_str(v.peek(oi.SPAN_KIND))
    if kind is None:
        return None
    v.consume(oi.SPAN_KIND)
    return oi.KIND_TO_RUN_TYPE.get(kind.upper(), "chain")


def tool_name(v: SpanView) -> str | None:
    """`tool.name` of a tool run."""
    if v.run_type != "tool":
        return None
    return as_str(v.get(oi.TOOL_NAME))


def _tools(v: SpanView) -> list[Any]:
    tools = []
    for entry in m.unflatten(v.prefixed(oi.LLM_TOOLS_PREFIX)) or []:
        schema = entry.get("tool", {}).get("json_schema") if isinstance(entry, dict) else None
        decoded = loads(schema)
        if decoded is not None:
            tools.append(decoded)
    return tools


def input_messages(v: SpanView) -> dict[str, Any] | None:
    """`llm.input_messages.*` (and `llm.tools.*`) as OpenAI messages.

    The raw request in `input.value` is then redundant (its parameters are in
    `llm.invocation_parameters`), so it is consumed too.
    """
    if not v.has_prefix(oi.LLM_INPUT_MESSAGES_PREFIX):
        return None
    msgs = m.from_openinference(v.prefixed(oi.LLM_INPUT_MESSAGES_PREFIX))
    if msgs is None:
        return None
    inputs: dict[str, Any] = {"messages": msgs}
    tools = _tools(v)
    if tools:
        inputs["tools"] = tools
    v.consume(oi.INPUT_VALUE, oi.INPUT_MIME_TYPE)
    return inputs


def output_messages(v: SpanView) -> dict[str, Any] | None:
    """`llm.output_messages.*` as OpenAI choices; `llm.finish_reason` fills the first choice."""
    if not v.has_prefix(oi.LLM_OUTPUT_MESSAGES_PREFIX):
        return None
    msgs = m.from_openinference(v.prefixed(oi.LLM_OUTPUT_MESSAGES_PREFIX))
    if msgs is None:
        return None
    finish = as_str(v.get(oi.LLM_FINISH_REASON))
    if finish and msgs and "finish_reason" not in msgs[0]:
        msgs[0]["finish_reason"] = finish
    v.consume(oi.OUTPUT_VALUE, oi.OUTPUT_MIME_TYPE)
    return m.as_choices(msgs)


def input_value(v: SpanView) -> dict[str, Any] | None:
    """`input.value`: JSON objects as is, text wrapped; a retriever's text is its query."""
    raw = v.get(oi.INPUT_VALUE)
    if raw is None:
        return None
    v.consume(oi.INPUT_MIME_TYPE)
    key = "query" if v.run_type == "retriever" else "input"
    found = json_or_text(raw, key)
    if v.run_type == "tool" and found is not None:  # a tool's {"args", "kwargs"} (smolagents)
        arguments = call_arguments(found)
        return arguments if isinstance(arguments, dict) else {key: arguments}
    return found


def output_value(v: SpanView) -> dict[str, Any] | None:
    """`output.value`: JSON objects as is, text wrapped."""
    raw = v.get(oi.OUTPUT_VALUE)
    if raw is None:
        return None
    v.consume(oi.OUTPUT_MIME_TYPE)
    return json_or_text(raw, "output")


def documents(v: SpanView) -> dict[str, Any] | None:
    """`retrieval.documents.*` as LangChain-style documents."""
    if not v.has_prefix(oi.RETRIEVAL_DOCUMENTS_PREFIX):
        return None
    docs = []
    for entry in m.unflatten(v.prefixed(oi.RETRIEVAL_DOCUMENTS_PREFIX)) or []:
        doc = entry.get("document") if isinstance(entry, dict) else None
        if not isinstance(doc, dict):
            continue
        item: dict[str, Any] = {"page_content": doc.get("content", ""), "type": "Document"}
        meta = as_object(doc.get("metadata"))
        item["metadata"] = meta or {}
        for key in ("id", "score"):
            if doc.get(key) is not None:
                item[key] = to_jsonable(doc[key])
        docs.append(item)
    return {"documents": docs} if docs else None


def _embedded(v: SpanView, field: str) -> list[Any]:
    """`embedding.embeddings.{i}.embedding.<field>` in index order; only those keys consumed."""
    prefix = oi.EMBEDDING_EMBEDDINGS_PREFIX
    wanted = "embedding." + field
    found: dict[int, Any] = {}
    for key in v.attrs:
        if key.startswith(prefix):
            index, _, rest = key[len(prefix) :].partition(".")
            if rest == wanted and index.isdigit():
                found[int(index)] = to_jsonable(v.get(key))
    return [found[index] for index in sorted(found)]


def embedding_texts(v: SpanView) -> dict[str, Any] | None:
    """`embedding.embeddings.{i}.embedding.text` as `{"input": [texts]}`."""
    if not v.has_prefix(oi.EMBEDDING_EMBEDDINGS_PREFIX):
        return None
    texts = _embedded(v, "text")
    return {"input": texts} if texts else None


def embeddings(v: SpanView) -> dict[str, Any] | None:
    """`embedding.embeddings.{i}.embedding.vector` as `{"embeddings": [vectors]}`."""
    if not v.has_prefix(oi.EMBEDDING_EMBEDDINGS_PREFIX):
        return None
    vectors = _embedded(v, "vector")
    return {"embeddings": vectors} if vectors else None


def model(v: SpanView) -> str | None:
    """`llm.model_name`, else `embedding.model_name`."""
    return as_str(v.get(oi.LLM_MODEL_NAME)) or as_str(v.get(oi.EMBEDDING_MODEL_NAME))


def requested_model(v: SpanView) -> str | None:
    """The `model` of `llm.invocation_parameters` (a failed call has no `llm.model_name`)."""
    params = as_object(v.peek(oi.LLM_INVOCATION_PARAMETERS))
    return as_str(params.get("model")) if params else None


def provider(v: SpanView) -> str | None:
    """`llm.provider`, else `llm.system`."""
    return as_str(v.get(oi.LLM_PROVIDER)) or as_str(v.get(oi.LLM_SYSTEM))


def invocation_params(v: SpanView) -> dict[str, Any] | None:
    """`llm.invocation_parameters` (JSON)."""
    return as_object(v.get(oi.LLM_INVOCATION_PARAMETERS))


def metadata(v: SpanView) -> dict[str, Any] | None:
    """`metadata` (a JSON object)."""
    return as_object(v.get(oi.METADATA))


def tags(v: SpanView) -> list[str] | None:
    """`tag.tags`."""
    items = as_list(v.get(oi.TAG_TAGS))
    return [str(t) for t in items] if items else None


def thread_id(v: SpanView) -> str | None:
    """`session.id`."""
    value = v.get(oi.SESSION_ID)
    return str(value) if value is not None else None


def user_id(v: SpanView) -> str | None:
    """`user.id`."""
    value = v.get(oi.USER_ID)
    return str(value) if value is not None else None


def streaming(v: SpanView) -> bool | None:
    """True when a `First Token Stream Event` marks a model call's response as streamed."""
    if v.run_type != "llm":
        return None
    for _ in v.events_named(oi.EVENT_FIRST_TOKEN):
        return True
    return None


def first_token_ns(v: SpanView) -> int | None:
    """Time of the `First Token Stream Event`."""
    for _, event in v.events_named(oi.EVENT_FIRST_TOKEN):
        return event.time_ns
    return None


def prompt_template(v: SpanView) -> dict[str, Any] | None:
    """Prompt template and variables, kept in metadata."""
    out: dict[str, Any] = {}
    template = as_str(v.get(oi.LLM_PROMPT_TEMPLATE))
    if template:
        out["template"] = template
    variables = v.get(oi.LLM_PROMPT_TEMPLATE_VARIABLES)
    if variables is not None:
        out["variables"] = as_object(variables) or to_jsonable(variables)
    return out or None
