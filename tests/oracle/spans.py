"""One span's body (name, attributes, events, kind, scope, status) per role, written the way each
convention's instrumentations write it; `corpus.py` places the bodies in trees and in time.

Names are taken from the convention constants (never spelled here); the few keys a convention
reads under a prefix are composed from that prefix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.conventions import openllmetry as ol
from otel_runs.conventions import others as o
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.conventions import vercel_ai as ai
from otel_runs.model.span_record import AttributeValue
from tests.oracle import values as v
from tests.oracle.draw import Draw

Attrs = dict[str, AttributeValue]


@dataclass
class Body:
    """A span before it has ids and times; event times are fractions of the span's duration."""

    name: str
    attributes: Attrs = field(default_factory=dict)
    events: list[tuple[str, float, Attrs]] = field(default_factory=list)
    kind: str = "INTERNAL"
    scope: tuple[str, str] = ("", "")
    status: tuple[str, str] = ("UNSET", "")


SCOPES: Final = {
    "genai": (("opentelemetry.instrumentation.openai_v2", "2.4b0"), ("my.agent", "1.0")),
    "openinference": (("openinference.instrumentation.openai", "0.1.60"), ("my.app", "")),
    "openllmetry": (("opentelemetry.instrumentation.openai", "0.40.2"), ("traceloop.sdk", "")),
    "langsmith": (("langsmith", "0.4.1"), ("", "")),
    "pydantic_ai": (("pydantic-ai", "1.0.0"), ("logfire", "3.14.0")),
    "other": (("", ""), ("", "9.9"), ("opentelemetry.instrumentation.requests", "0.50b0")),
}
KINDS: Final = (("INTERNAL", 8), ("CLIENT", 4), ("SERVER", 2), ("PRODUCER", 1), ("CONSUMER", 1))


def _scope(d: Draw, family: str) -> tuple[str, str]:
    return d.pick(SCOPES[family])


def _tokens(d: Draw, attrs: Attrs, inp_key: str, out_key: str) -> tuple[int, int]:
    inp, out = d.pick(v.INPUT_TOKENS), d.pick(v.OUTPUT_TOKENS)
    attrs[inp_key] = inp if d.chance(0.95) else str(inp)
    attrs[out_key] = out if d.chance(0.95) else float(out)
    return inp, out


# --- OpenTelemetry GenAI (current) ------------------------------------------------------------


def genai_chat(d: Draw) -> Body:
    model, provider = v.model(d)
    op = d.weighted((("chat", 8), ("text_completion", 1), ("generate_content", 1), ("responses", 1),
                     ("Chat", 1)))  # fmt: skip
    a: Attrs = {g.OPERATION_NAME: op, g.REQUEST_MODEL: model}
    if d.chance(0.85):
        a[g.PROVIDER_NAME if d.chance(0.7) else g.SYSTEM] = provider
    if d.chance(0.7):
        a[g.RESPONSE_MODEL] = model if d.chance(0.7) else model + "-2024-07-18"
    inp, out = _tokens(d, a, g.USAGE_INPUT_TOKENS, g.USAGE_OUTPUT_TOKENS)
    if d.chance(0.3):
        a[g.USAGE_CACHE_READ_INPUT_TOKENS] = d.pick(v.CACHE_TOKENS)
    if d.chance(0.15):
        a[d.pick((g.USAGE_CACHE_CREATION_INPUT_TOKENS, g.USAGE_CACHE_WRITE_INPUT_TOKENS))] = (
            d.pick(v.CACHE_TOKENS)
        )
    if d.chance(0.2):
        a[g.USAGE_REASONING_OUTPUT_TOKENS] = d.pick(v.REASONING_TOKENS)
    if d.chance(0.1):
        count = d.pick((0, 10))  # (drawn before the key, as the assignment it replaces did)
        parts = (g.USAGE_AUDIO_INPUT_TOKENS, g.USAGE_TEXT_INPUT_TOKENS, g.USAGE_IMAGE_INPUT_TOKENS,
                 g.USAGE_VIDEO_INPUT_TOKENS, g.USAGE_AUDIO_OUTPUT_TOKENS)  # fmt: skip
        a[d.pick(parts)] = count
    if d.chance(0.2):
        a[g.USAGE_TOTAL_TOKENS] = inp + out if d.chance(0.7) else d.between(0, 5000)
    if d.chance(0.75):
        a[g.INPUT_MESSAGES] = v.maybe_json(d, v.genai_messages(d, output=False))
    if d.chance(0.7):
        a[g.OUTPUT_MESSAGES] = v.maybe_json(d, v.genai_messages(d, output=True))
    if d.chance(0.3):
        a[g.SYSTEM_INSTRUCTIONS] = v.maybe_json(d, v.system_instructions(d))
    if d.chance(0.2):
        a[g.TOOL_DEFINITIONS] = v.maybe_json(d, v.tool_definitions(d))
    if d.chance(0.5):
        a[g.RESPONSE_ID] = f"chatcmpl-{d.below(100)}"
    if d.chance(0.5):
        reasons = tuple(d.pick(v.FINISH_REASONS) for _ in range(d.between(1, 2)))
        a[g.RESPONSE_FINISH_REASONS] = reasons
    if d.chance(0.5):
        a[g.REQUEST_TEMPERATURE] = d.pick((0.0, 0.2, 0.7, 1))
    if d.chance(0.3):
        a[g.REQUEST_PREFIX + "max_tokens"] = d.pick((256, 1024))
    if d.chance(0.2):
        a[g.REQUEST_PREFIX + "stop_sequences"] = ("\n\n", "END")
    if d.chance(0.1):
        a[g.REQUEST_PREFIX + "choice.count"] = 2
    if d.chance(0.2):
        a[g.REQUEST_STREAM] = d.pick((True, False, "true"))
    if d.chance(0.2):
        a[d.pick((g.RESPONSE_TIME_TO_FIRST_CHUNK, g.CLIENT_TIME_TO_FIRST_CHUNK,
                  g.RESPONSE_TIME_TO_FIRST_TOKEN, g.SERVER_TIME_TO_FIRST_TOKEN))] = d.pick(
            (0.25, 0.0, 1.5, -1.0, "0.4", 7)
        )  # fmt: skip
    if d.chance(0.15):
        a[g.CONVERSATION_ID] = f"conv-{d.below(5)}"
    if d.chance(0.1):
        a[g.OUTPUT_TYPE] = "text"
    body = Body(f"{op} {model}", a, kind="CLIENT", scope=_scope(d, "genai"))
    if d.chance(0.15):
        details: Attrs = {g.INPUT_MESSAGES: json.dumps(v.genai_messages(d, output=False))}
        if d.chance(0.6):
            details[g.OUTPUT_MESSAGES] = json.dumps(v.genai_messages(d, output=True))
        if d.chance(0.3):
            details[g.SYSTEM_INSTRUCTIONS] = json.dumps(v.system_instructions(d))
        body.events.append((g.EVENT_INFERENCE_DETAILS, 1.0, details))
    return body


def genai_tool(d: Draw) -> Body:
    tool = d.pick(v.TOOLS)
    a: Attrs = {g.OPERATION_NAME: "execute_tool"}
    if d.chance(0.9):
        a[g.TOOL_NAME] = tool
    if d.chance(0.7):
        a[g.TOOL_CALL_ID] = f"call_{d.below(100)}"
    if d.chance(0.6):
        a[g.TOOL_CALL_ARGUMENTS] = d.pick(('{"city": "Paris"}', "Paris", '["a"]', ""))
    if d.chance(0.6):
        a[g.TOOL_CALL_RESULT] = d.pick(('{"temp": 21}', v.text(d), "null"))
    if d.chance(0.3):
        a[g.TOOL_DESCRIPTION] = v.word_text(d)
    if d.chance(0.3):
        a[g.TOOL_TYPE] = d.pick(("function", "extension", "datastore"))
    return Body(f"execute_tool {tool}", a, scope=_scope(d, "genai"))


def genai_agent(d: Draw) -> Body:
    name = d.pick(("weather_agent", "support agent", "planner"))
    a: Attrs = {g.OPERATION_NAME: d.pick(("invoke_agent", "create_agent", "workflow"))}
    a[g.AGENT_NAME] = name
    if d.chance(0.5):
        model, provider = v.model(d)
        a[g.REQUEST_MODEL] = model
        a[g.PROVIDER_NAME] = provider
    if d.chance(0.3):
        a[g.CONVERSATION_ID] = f"conv-{d.below(5)}"
    if d.chance(0.2):  # a framework's roll-up on the agent span
        _tokens(d, a, g.USAGE_INPUT_TOKENS, g.USAGE_OUTPUT_TOKENS)
    return Body(f"invoke_agent {name}", a, scope=_scope(d, "genai"))


def genai_embedding(d: Draw) -> Body:
    a: Attrs = {g.OPERATION_NAME: d.pick(("embeddings", "embedding")),
                g.REQUEST_MODEL: "text-embedding-3-small"}  # fmt: skip
    if d.chance(0.8):
        a[g.PROVIDER_NAME] = "openai"
    a[g.USAGE_INPUT_TOKENS] = d.pick(v.INPUT_TOKENS)
    if d.chance(0.3):
        a[g.REQUEST_PREFIX + "encoding_formats"] = ("float",)
    return Body("embeddings text-embedding-3-small", a, kind="CLIENT", scope=_scope(d, "genai"))


def genai_retrieval(d: Draw) -> Body:
    a: Attrs = {g.OPERATION_NAME: "retrieval"}
    if d.chance(0.5):
        a[oi.INPUT_VALUE] = d.pick(v.QUESTIONS)
    if d.chance(0.5):
        a[oi.OUTPUT_VALUE] = json.dumps({"documents": v.documents(d)})
    return Body("retrieval docs", a, scope=_scope(d, "genai"))


# --- deprecated GenAI: events and indexed keys ---------------------------------------------------


def deprecated_chat(d: Draw) -> Body:
    body = genai_chat(d)
    for key in (g.INPUT_MESSAGES, g.OUTPUT_MESSAGES, g.PROVIDER_NAME):
        body.attributes.pop(key, None)
    body.attributes[g.SYSTEM] = v.model(d)[1]
    if d.chance(0.5):
        body.attributes.pop(g.USAGE_INPUT_TOKENS, None)
        body.attributes[g.USAGE_PROMPT_TOKENS] = d.pick(v.INPUT_TOKENS)
        body.attributes[g.USAGE_COMPLETION_TOKENS] = d.pick(v.OUTPUT_TOKENS)
    roles = {
        g.EVENT_SYSTEM_MESSAGE: "system", g.EVENT_USER_MESSAGE: "user",
        g.EVENT_ASSISTANT_MESSAGE: "assistant", g.EVENT_TOOL_MESSAGE: "tool",
    }  # fmt: skip
    for index in range(d.between(0, 4)):
        name = d.pick(tuple(roles))
        attrs: Attrs = {}
        if d.chance(0.8):
            attrs["content"] = d.pick((v.text(d), json.dumps([{"type": "text", "text": "hi"}]),
                                       json.dumps({"a": 1})))  # fmt: skip
        if d.chance(0.2):
            attrs["role"] = roles[name]
        if name == g.EVENT_ASSISTANT_MESSAGE and d.chance(0.4):
            attrs["tool_calls"] = (
                {"id": f"call_{index}", "type": "function",
                 "function": {"name": d.pick(v.TOOLS), "arguments": '{"city": "Paris"}'}},
            )  # fmt: skip
        if name == g.EVENT_TOOL_MESSAGE and d.chance(0.7):
            attrs["id"] = f"call_{index}"
        body.events.append((name, index * 0.01, attrs))
    for index in range(d.between(0, 2)):
        choice: Attrs = {"index": index, "finish_reason": d.pick(v.FINISH_REASONS)}
        message: dict[str, Any] = {"role": "assistant", "content": d.pick(v.ANSWERS)}
        choice["message"] = json.dumps(message) if d.chance(0.5) else v.to_attribute(message)
        body.events.append((g.EVENT_CHOICE, 0.9, choice))
    if d.chance(0.15):
        body.events.append((g.EVENT_CONTENT_PROMPT, 0.0, {g.PROMPT: v.maybe_json(d, {"q": 1})}))
    if d.chance(0.15):
        body.events.append((g.EVENT_CONTENT_COMPLETION, 1.0, {g.COMPLETION: d.pick(v.ANSWERS)}))
    return body


def _indexed_messages(d: Draw, a: Attrs, prefix: str, *, output: bool) -> None:
    for i in range(d.between(1, 3)):
        base = f"{prefix}{i}."
        role = "assistant" if output else d.pick(("system", "user", "assistant", "tool"))
        if d.chance(0.1):  # nested under message.
            a[base + "message.role"] = role
            a[base + "message.content"] = v.text(d)
            continue
        a[base + "role"] = role
        if d.chance(0.9):
            a[base + "content"] = d.pick((v.text(d), json.dumps([{"type": "text", "text": "x"}])))
        if output and d.chance(0.7):
            a[base + "finish_reason"] = d.pick(v.FINISH_REASONS)
        if role == "assistant" and d.chance(0.3):
            for j in range(d.between(1, 2)):
                a[f"{base}tool_calls.{j}.id"] = f"call_{j}"
                a[f"{base}tool_calls.{j}.name"] = d.pick(v.TOOLS)
                a[f"{base}tool_calls.{j}.arguments"] = '{"city": "Paris"}'
        if role == "tool" and d.chance(0.6):
            a[base + "tool_call_id"] = "call_0"


# --- OpenLLMetry ---------------------------------------------------------------------------------


def openllmetry_llm(d: Draw) -> Body:
    model, provider = v.model(d)
    request = d.pick(("chat", "completion", "embedding", "rerank", "other"))
    a: Attrs = {ol.REQUEST_TYPE: request, g.SYSTEM: provider, g.REQUEST_MODEL: model}
    if d.chance(0.6):
        a[g.RESPONSE_MODEL] = model
    _indexed_messages(d, a, g.PROMPT_PREFIX, output=False)
    if d.chance(0.8):
        _indexed_messages(d, a, g.COMPLETION_PREFIX, output=True)
    inp, out = _tokens(d, a, g.USAGE_PROMPT_TOKENS, g.USAGE_COMPLETION_TOKENS)
    if d.chance(0.6):
        a[ol.USAGE_TOTAL_TOKENS] = inp + out
    if d.chance(0.2):
        a[ol.USAGE_CACHE_READ_INPUT_TOKENS_OLD] = d.pick(v.CACHE_TOKENS)
    if d.chance(0.1):
        a[ol.USAGE_CACHE_CREATION_INPUT_TOKENS_OLD] = d.pick(v.CACHE_TOKENS)
    if d.chance(0.15):
        a[ol.USAGE_REASONING_TOKENS] = d.pick(v.REASONING_TOKENS)
    if d.chance(0.3):
        a[ol.IS_STREAMING] = d.pick((True, False, "true"))
    if d.chance(0.3):
        a[ol.API_BASE] = "https://api.openai.com/v1/"
    body = Body(f"openai.{request}", a, kind="CLIENT", scope=_scope(d, "openllmetry"))
    for index in range(d.between(0, 3) if d.chance(0.3) else 0):
        body.events.append((ol.EVENT_COMPLETION_CHUNK, 0.1 + index * 0.2, {}))
    return body


def openllmetry_entity(d: Draw) -> Body:
    kind = d.pick(("workflow", "task", "agent", "tool", "unknown", "Workflow"))
    name = d.pick(("answer_question", "fetch_weather", "plan"))
    a: Attrs = {ol.SPAN_KIND: kind, ol.ENTITY_NAME: name}
    if d.chance(0.7):
        inputs = {"inputs": {"question": d.pick(v.QUESTIONS)}, "args": [], "kwargs": {}}
        a[ol.ENTITY_INPUT] = d.pick((json.dumps(inputs), json.dumps({"x": 1}), v.text(d)))
    if d.chance(0.6):
        a[ol.ENTITY_OUTPUT] = d.pick((json.dumps({"outputs": {"answer": "4"}}), '"4"', "4"))
    if d.chance(0.5):
        a[ol.WORKFLOW_NAME] = "answer_question"
    for key in d.some(("session_id", "thread_id", "conversation_id", "user_id", "customer"),
                      d.between(0, 3)):  # fmt: skip
        a[ol.ASSOCIATION_PROPERTIES_PREFIX + key] = d.pick((f"{key}-1", 7, True))
    return Body(f"{name}.{kind}", a, scope=_scope(d, "openllmetry"))


# --- OpenInference -------------------------------------------------------------------------------


def _oi_messages(d: Draw, a: Attrs, prefix: str, *, output: bool) -> None:
    for i in range(d.between(1, 3)):
        base = f"{prefix}{i}.message."
        role = "assistant" if output else d.pick(("system", "user", "assistant", "tool"))
        a[base + "role"] = role
        if d.chance(0.2):
            for j in range(d.between(1, 2)):
                part = f"{base}contents.{j}.message_content."
                if d.chance(0.3):
                    a[part + "type"] = "image"
                    a[part + "image.image.url"] = "https://x.test/cat.png"
                else:
                    a[part + "type"] = "text"
                    a[part + "text"] = v.text(d)
        elif d.chance(0.9):
            a[base + "content"] = v.text(d)
        if role == "assistant" and d.chance(0.3):
            call = f"{base}tool_calls.0.tool_call."
            a[call + "id"] = "call_0"
            a[call + "function.name"] = d.pick(v.TOOLS)
            a[call + "function.arguments"] = '{"city": "Paris"}'
        if role == "tool" and d.chance(0.5):
            a[base + "tool_call_id"] = "call_0"
        if d.chance(0.05):
            a[base + "name"] = "helper"


def openinference_llm(d: Draw) -> Body:
    model, provider = v.model(d)
    a: Attrs = {oi.SPAN_KIND: d.pick(("LLM", "llm"))}
    if d.chance(0.85):
        a[oi.LLM_MODEL_NAME] = model
    if d.chance(0.7):
        a[oi.LLM_PROVIDER if d.chance(0.6) else oi.LLM_SYSTEM] = provider
    if d.chance(0.6):
        a[oi.LLM_INVOCATION_PARAMETERS] = json.dumps({"model": model, "temperature": 0.3,
                                                      "max_tokens": 200})  # fmt: skip
    if d.chance(0.85):
        _oi_messages(d, a, oi.LLM_INPUT_MESSAGES_PREFIX, output=False)
    if d.chance(0.75):
        _oi_messages(d, a, oi.LLM_OUTPUT_MESSAGES_PREFIX, output=True)
    if d.chance(0.3):
        a[oi.LLM_FINISH_REASON] = d.pick(v.FINISH_REASONS)
    if d.chance(0.2):
        for i in range(d.between(1, 2)):
            a[f"{oi.LLM_TOOLS_PREFIX}{i}.tool.json_schema"] = json.dumps(
                {"type": "function", "function": {"name": d.pick(v.TOOLS)}}
            )
    inp, out = _tokens(d, a, oi.TOKEN_COUNT_PROMPT, oi.TOKEN_COUNT_COMPLETION)
    if d.chance(0.5):
        a[oi.TOKEN_COUNT_TOTAL] = inp + out
    for key, counts in ((oi.TOKEN_COUNT_CACHE_READ, v.CACHE_TOKENS),
                        (oi.TOKEN_COUNT_CACHE_WRITE, v.CACHE_TOKENS),
                        (oi.TOKEN_COUNT_PROMPT_AUDIO, (0, 10)),
                        (oi.TOKEN_COUNT_REASONING, v.REASONING_TOKENS),
                        (oi.TOKEN_COUNT_COMPLETION_AUDIO, (0, 10))):  # fmt: skip
        if d.chance(0.12):
            a[key] = d.pick(counts)
    if d.chance(0.15):
        a[oi.COST_TOTAL] = d.pick(v.COSTS)
        if d.chance(0.6):
            a[oi.COST_PROMPT] = d.pick(v.COSTS)
            a[oi.COST_COMPLETION] = d.pick(("0.0004", 0.0004, "x"))
    if d.chance(0.5):
        a[oi.INPUT_VALUE] = json.dumps({"messages": v.openai_messages(d)})
        a[oi.INPUT_MIME_TYPE] = oi.MIME_JSON
    if d.chance(0.4):
        a[oi.OUTPUT_VALUE] = d.pick((d.pick(v.ANSWERS), json.dumps({"choices": []})))
        a[oi.OUTPUT_MIME_TYPE] = d.pick((oi.MIME_JSON, "text/plain"))
    body = Body("ChatCompletion", a, kind=d.pick(("INTERNAL", "CLIENT")),
                scope=_scope(d, "openinference"))  # fmt: skip
    if d.chance(0.2):
        body.events.append((oi.EVENT_FIRST_TOKEN, d.pick((0.2, 0.0, 1.2)), {}))
    return body


def openinference_other(d: Draw) -> Body:
    kind = d.weighted((("CHAIN", 4), ("AGENT", 2), ("TOOL", 3), ("RETRIEVER", 3), ("EMBEDDING", 2),
                       ("RERANKER", 1), ("GUARDRAIL", 1), ("EVALUATOR", 1), ("PROMPT", 1),
                       ("UNKNOWN", 1), ("bogus", 1)))  # fmt: skip
    a: Attrs = {oi.SPAN_KIND: kind}
    if d.chance(0.7):
        a[oi.INPUT_VALUE] = d.pick((d.pick(v.QUESTIONS), json.dumps({"q": d.pick(v.QUESTIONS)}),
                                    json.dumps(["a", "b"]), ""))  # fmt: skip
        if d.chance(0.5):
            a[oi.INPUT_MIME_TYPE] = oi.MIME_JSON
    if d.chance(0.6):
        a[oi.OUTPUT_VALUE] = d.pick((d.pick(v.ANSWERS), json.dumps({"answer": "4"}), "42"))
    if kind == "TOOL" or d.chance(0.05):
        a[oi.TOOL_NAME] = d.pick(v.TOOLS)
        if d.chance(0.5):
            a[oi.TOOL_DESCRIPTION] = v.word_text(d)
        if d.chance(0.5):
            a[oi.TOOL_PARAMETERS] = json.dumps({"type": "object"})
    if kind in ("RETRIEVER", "RERANKER") and d.chance(0.8):
        for i in range(d.between(1, 3)):
            base = f"{oi.RETRIEVAL_DOCUMENTS_PREFIX}{i}.document."
            a[base + "content"] = v.text(d)
            if d.chance(0.7):
                a[base + "id"] = d.pick((f"doc-{i}", i))
            if d.chance(0.7):
                a[base + "score"] = d.pick(v.FRACTIONS)
            if d.chance(0.5):
                a[base + "metadata"] = d.pick((json.dumps({"source": "kb"}), "not json"))
    if kind == "EMBEDDING":
        a[oi.EMBEDDING_MODEL_NAME] = "text-embedding-3-small"
        if d.chance(0.5):
            a[oi.TOKEN_COUNT_PROMPT] = d.pick(v.INPUT_TOKENS)
    if kind == "PROMPT" or d.chance(0.05):
        a[oi.LLM_PROMPT_TEMPLATE] = "Answer {question}"
        a[oi.LLM_PROMPT_TEMPLATE_VARIABLES] = d.pick(('{"question": "2+2"}', "q=2+2"))
    return Body(f"{kind.lower()} step", a, scope=_scope(d, "openinference"))


def openinference_context(d: Draw, a: Attrs) -> None:
    """Session, user, metadata and tags as `using_attributes` stamps them."""
    if d.chance(0.4):
        a[oi.SESSION_ID] = f"session-{d.below(4)}"
    if d.chance(0.3):
        a[oi.USER_ID] = d.pick(("user-1", "user-2", 17))
    if d.chance(0.3):
        a[oi.METADATA] = d.pick((json.dumps({"env": "prod", "n": 1}), "not json", "[1]"))
    if d.chance(0.3):
        a[oi.TAG_TAGS] = d.pick((("a", "b"), ("prod",), '["x", "y"]'))


# --- LangSmith -----------------------------------------------------------------------------------


def langsmith_span(d: Draw) -> Body:
    kind = d.weighted((("llm", 5), ("chain", 3), ("tool", 2), ("retriever", 1), ("embedding", 1),
                       ("prompt", 1), ("parser", 1), ("LLM", 1), ("agent", 1)))  # fmt: skip
    a: Attrs = {ls.SPAN_KIND: kind}
    if d.chance(0.6):
        a[ls.TRACE_NAME] = d.pick(("ChatOpenAI", "pipeline", "calculator", "RunnableSequence"))
    if kind.lower() == "llm":
        model, provider = v.model(d)
        a[g.SYSTEM] = provider
        a[g.REQUEST_MODEL] = model
        if d.chance(0.7):
            a[ls.USAGE_METADATA] = json.dumps(v.usage_object(d))
        else:
            _tokens(d, a, g.USAGE_INPUT_TOKENS, g.USAGE_OUTPUT_TOKENS)
            if d.chance(0.4):
                details = ("{'cache_read': 12, 'audio': 0}", '{"cache_read": 5}', "{broken")
                a[g.USAGE_INPUT_TOKEN_DETAILS] = d.pick(details)
            if d.chance(0.3):
                a[g.USAGE_OUTPUT_TOKEN_DETAILS] = "{'reasoning': 3}"
        if d.chance(0.5):
            a[ls.REQUEST_STREAMING] = d.pick((True, False))
        a[g.PROMPT] = json.dumps({"messages": v.openai_messages(d)})
        if d.chance(0.8):
            a[g.COMPLETION] = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": d.pick(v.ANSWERS)}}]}
            )
    else:
        if d.chance(0.7):
            a[g.PROMPT] = d.pick((json.dumps({"question": d.pick(v.QUESTIONS)}), v.text(d)))
        if d.chance(0.6):
            a[g.COMPLETION] = d.pick((json.dumps({"answer": d.pick(v.ANSWERS)}), v.text(d), ""))
    for key in d.some(("thread_id", "session_id", "conversation_id", "user_id", "ls_model_name",
                       "customer", "nested", "ls_provider"), d.between(0, 3)):  # fmt: skip
        a[ls.METADATA_PREFIX + key] = d.pick((f"{key}-{d.below(3)}", json.dumps({"a": [1, 2]}),
                                              json.dumps([1]), 3, ("x", "y")))  # fmt: skip
    if d.chance(0.4):
        a[ls.SPAN_TAGS] = d.pick((("t1", "t2"), "a, b , ,c", '["x", "y"]', "solo", ""))
    if d.chance(0.2):
        a[ls.SESSION_NAME] = d.pick(("sdk-project", "other-project", ""))
    if d.chance(0.1):
        a[ls.SESSION_ID] = v.uuid_text(d)
    if d.chance(0.1):
        a[ls.REFERENCE_EXAMPLE_ID] = d.pick((v.uuid_text(d), "not-a-uuid"))
    if d.chance(0.2):
        a[ls.TRACEABLE] = "true"
    if d.chance(0.05):
        a[ls.RUN_FIELDS] = d.pick(("{}", "not json", '{"status": "pending"}', "[]"))
    return Body(str(a.get(ls.TRACE_NAME, kind)), a, scope=_scope(d, "langsmith"))


# --- pydantic-ai / Logfire -----------------------------------------------------------------------


def _logfire(d: Draw, a: Attrs, template: str) -> None:
    a[pa.LOGFIRE_MSG_TEMPLATE] = template
    a[pa.LOGFIRE_MSG] = template.replace("{", "").replace("}", "")
    a[pa.LOGFIRE_SPAN_TYPE] = "span"
    if d.chance(0.5):
        a[pa.LOGFIRE_JSON_SCHEMA] = json.dumps({"type": "object", "properties": {}})


def pydantic_agent(d: Draw) -> Body:
    model, provider = v.model(d)
    a: Attrs = {g.AGENT_NAME: "agent", g.REQUEST_MODEL: model, g.SYSTEM: provider}
    if d.chance(0.5):
        a[g.OPERATION_NAME] = "invoke_agent"
    _logfire(d, a, "{agent_name} run")
    messages = v.genai_messages(d, output=False) + v.genai_messages(d, output=True)
    if d.chance(0.8):
        a[pa.ALL_MESSAGES] = v.maybe_json(d, messages)
    if d.chance(0.7):
        a[pa.FINAL_RESULT] = d.pick((d.pick(v.ANSWERS), json.dumps({"city": "Paris"}), ""))
    if d.chance(0.5):
        a[g.SYSTEM_INSTRUCTIONS] = json.dumps(v.system_instructions(d))
    if d.chance(0.6):
        for suffix in d.some(("input_tokens", "output_tokens", "total_tokens",
                              "cache_read.input_tokens", "details.reasoning_tokens"),
                             d.between(1, 4)):  # fmt: skip
            a[pa.AGGREGATED_USAGE_PREFIX + suffix] = d.pick((d.between(0, 900), "12", "x"))
    if d.chance(0.2):
        a[pa.OPERATION_COST] = d.pick(v.COSTS)
    return Body("agent run", a, scope=_scope(d, "pydantic_ai"))


def pydantic_chat(d: Draw) -> Body:
    body = genai_chat(d)
    a = body.attributes
    _logfire(d, a, "chat {request_data[model]}")
    if d.chance(0.4):
        parameters = json.dumps({"function_tools": [], "allow_text_output": True})
        a[pa.MODEL_REQUEST_PARAMETERS] = d.pick((parameters, "[]"))
    for key in (pa.USAGE_DETAILS_REASONING, pa.USAGE_DETAILS_CACHE_READ,
                pa.USAGE_DETAILS_CACHE_WRITE, pa.USAGE_DETAILS_INPUT_AUDIO,
                pa.USAGE_DETAILS_OUTPUT_AUDIO):  # fmt: skip
        if d.chance(0.1):
            a[key] = d.pick(v.CACHE_TOKENS)
    if d.chance(0.2):
        a[pa.TIME_TO_FIRST_CHUNK] = d.pick(v.FRACTIONS)
    if d.chance(0.15):
        a[pa.OPERATION_COST] = d.pick(v.COSTS)
    body.scope = _scope(d, "pydantic_ai")
    return body


def pydantic_tool(d: Draw) -> Body:
    tool = d.pick(v.TOOLS)
    a: Attrs = {g.TOOL_NAME: tool, g.TOOL_CALL_ID: f"call_{d.below(9)}"}
    _logfire(d, a, "running tool: {gen_ai.tool.name}")
    if d.chance(0.5):
        a[pa.TOOL_ARGUMENTS] = d.pick(('{"city": "Paris"}', "Paris"))
        a[pa.TOOL_RESPONSE] = d.pick(('{"temp": 21}', "sunny", ""))
    else:
        a[g.TOOL_CALL_ARGUMENTS] = '{"city": "Paris"}'
        a[g.TOOL_CALL_RESULT] = "sunny"
    return Body(f"running tool: {tool}", a, scope=_scope(d, "pydantic_ai"))


# --- others, plain spans and noise ---------------------------------------------------------------


def first_token_extras(d: Draw, a: Attrs) -> None:
    """First-token keys of other emitters (Langfuse, Vercel AI SDK, bare keys)."""
    key = d.pick((o.LANGFUSE_COMPLETION_START_TIME, ai.RESPONSE_MS_TO_FIRST_CHUNK,
                  ai.STREAM_MS_TO_FIRST_CHUNK, o.COMPLETION_START_TIME, o.TTFT_MS))  # fmt: skip
    a[key] = v.plausible(d, key)


def plain_span(d: Draw) -> Body:
    kind = d.pick(("http", "db", "work"))
    if kind == "http":
        a: Attrs = {"http.request.method": d.pick(("GET", "POST")), "url.full": "https://x.test/"}
        return Body("POST /v1/chat", a, kind="CLIENT", scope=_scope(d, "other"))
    if kind == "db":
        return Body("SELECT", {"db.system": "sqlite", "db.statement": "SELECT 1"}, kind="CLIENT")
    return Body(d.pick(("work", "handle request", "")), {}, scope=_scope(d, "other"))


def catalogue_value(d: Draw, key: str, names: tuple[str, ...]) -> AttributeValue:
    """A value for a catalogue key: one its name suggests, any value, or a name the conventions
    give to values (an operation, a span kind, `pending_span`...)."""
    roll = d.real()
    if roll < 0.45:
        return v.plausible(d, key)
    if roll < 0.8:
        return v.any_value(d)
    return d.pick(names)


def noise_span(d: Draw, keys: tuple[str, ...], names: tuple[str, ...]) -> Body:
    a: Attrs = {key: catalogue_value(d, key, names) for key in d.some(keys, d.between(1, 8))}
    return Body(v.word_text(d, 1, 3), a, kind=d.weighted(KINDS), scope=_scope(d, "other"))


ROLES: Final[dict[str, Callable[[Draw], Body]]] = {
    "genai_chat": genai_chat,
    "genai_tool": genai_tool,
    "genai_agent": genai_agent,
    "genai_embedding": genai_embedding,
    "genai_retrieval": genai_retrieval,
    "deprecated_chat": deprecated_chat,
    "openllmetry_llm": openllmetry_llm,
    "openllmetry_entity": openllmetry_entity,
    "openinference_llm": openinference_llm,
    "openinference_other": openinference_other,
    "langsmith": langsmith_span,
    "pydantic_agent": pydantic_agent,
    "pydantic_chat": pydantic_chat,
    "pydantic_tool": pydantic_tool,
    "plain": plain_span,
}
"""Every role but noise (which needs the catalogue)."""

FLAVORS: Final = {
    # flavor: (root roles, child roles), weighted
    "genai": ((("genai_agent", 3), ("plain", 1)),
              (("genai_chat", 6), ("genai_tool", 3), ("genai_embedding", 1),
               ("genai_retrieval", 1), ("genai_agent", 1), ("plain", 1))),
    "deprecated": ((("genai_agent", 1), ("openllmetry_entity", 1)),
                   (("deprecated_chat", 5), ("openllmetry_llm", 2), ("genai_tool", 1))),
    "openllmetry": ((("openllmetry_entity", 1),),
                    (("openllmetry_entity", 2), ("openllmetry_llm", 5), ("plain", 1))),
    "openinference": ((("openinference_other", 1),),
                      (("openinference_llm", 5), ("openinference_other", 4))),
    "langsmith": ((("langsmith", 1),), (("langsmith", 1),)),
    "pydantic_ai": ((("pydantic_agent", 1),), (("pydantic_chat", 3), ("pydantic_tool", 2))),
    "plain": ((("plain", 1),), (("plain", 4), ("genai_chat", 1))),
}  # fmt: skip
"""Trace flavors: which roles make the root and the other spans."""
