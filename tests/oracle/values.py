"""Attribute values for the generated corpus: realistic GenAI content and values of every type.

Texts come from a small vocabulary so the recording compresses; long strings (past the 16,384
characters kept in leftovers) repeat a phrase.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from otel_runs.model.span_record import AttributeValue
from tests.oracle.draw import Draw

WORDS: Final = (
    "the", "weather", "in", "Paris", "is", "sunny", "rain", "tomorrow", "what", "should", "I",
    "wear", "forecast", "London", "Tokyo", "temperature", "degrees", "search", "result", "order",
    "status", "shipped", "refund", "account", "balance", "summarize", "document", "answer",
    "Zürich", "東京", "naïve", "café", "🙂", "\\n", "\"quoted\"", "a,b", "{", "}", "[", "null",
)  # fmt: skip
QUESTIONS: Final = (
    "What is the weather in Paris?",
    "Summarize the attached document.",
    "Where is my order 4411?",
    "Translate 'good morning' to Japanese.",
    "What is 2+2?",
    "Book a table for two in Zürich.",
)
ANSWERS: Final = (
    "It is sunny and 21 degrees in Paris.",
    "The document describes a refund policy.",
    "Your order 4411 shipped yesterday.",
    "おはようございます",
    "4",
    "I booked a table for two at 19:00.",
)
PHRASES: Final = (
    "sunny", "rain tomorrow", "What should I wear in London?", "search result 3 of 10",
    "refund approved", "account balance: 12.40 EUR", "{", "null", "a,b", "\"quoted\"",
    "Zürich café naïve 東京 🙂", "line one\nline two", "tab\tseparated", "<b>markup</b>",
)
SYSTEM_PROMPTS: Final = ("You are a terse weather assistant.", "Answer in one sentence.")
TOOLS: Final = ("get_weather", "search_docs", "lookup_order", "calculator", "book_table")
FINISH_REASONS: Final = ("stop", "length", "tool_calls", "tool_call", "content_filter", "")
MODELS: Final = (
    (("gpt-4o-mini", "openai"), 12),
    (("claude-3-5-sonnet", "anthropic"), 8),
    (("claude-3-5-sonnet-20241022", "anthropic"), 3),
    (("gpt-4o", "openai"), 4),
    (("gpt-4o-mini-2024-07-18", "openai"), 3),
    (("gpt-4.1-mini", "openai"), 2),
    (("o3-mini", "openai"), 2),
    (("claude-3-haiku", "anthropic"), 2),
    (("claude-3-haiku-20240307", "aws.bedrock"), 1),
    (("text-embedding-3-small", "openai"), 2),
    (("gpt-4o-mini", "azure.ai.openai"), 1),
    (("gpt-4o-mini", "az.ai.openai"), 1),
    (("gemini-1.5-flash", "gcp.gemini"), 1),
    (("gemini-2.0-flash", "gcp.vertex_ai"), 1),
    (("mistral-large-latest", "mistral_ai"), 1),
    (("llama3.1", "ollama"), 1),
    (("grok-2", "x_ai"), 1),
    (("deepseek-chat", "deepseek"), 1),
    (("acme-secret-model", "acme"), 1),
    (("gpt-4o-mini", "OpenAI"), 1),
)
"""(model, provider as a span writes it), weighted: known models and providers dominate."""
INPUT_TOKENS: Final = (0, 12, 150, 480, 1200, 3000)
OUTPUT_TOKENS: Final = (0, 8, 40, 220, 900)
CACHE_TOKENS: Final = (0, 64, 512, 2048, 6000)
"""Cache tokens; the larger ones exceed some inputs (an exclusive count, to be corrected)."""
REASONING_TOKENS: Final = (0, 16, 128, 2000)
"""Token counts come from small sets: a run's cost is looked up once per (model, provider,
day, counts), so the corpus repeats them as real traffic does and the test stays fast."""
LONG_PHRASE: Final = "All work and no play makes a long attribute. "


def word_text(d: Draw, low: int = 1, high: int = 8) -> str:
    return " ".join(d.pick(WORDS) for _ in range(d.between(low, high)))


def long_text(d: Draw) -> str:
    """A string past the 16,384-character cap, mostly one repeated phrase."""
    repeats = d.between(16_384 // len(LONG_PHRASE), 24_000 // len(LONG_PHRASE))
    return LONG_PHRASE * repeats + word_text(d)


def text(d: Draw) -> str:
    """Ordinary text from a small set (the recording stays small), sometimes empty or blank."""
    roll = d.real()
    if roll < 0.03:
        return ""
    if roll < 0.05:
        return "   "
    if roll < 0.85:
        return d.pick(QUESTIONS + ANSWERS + PHRASES)
    return word_text(d, 1, 4)


def _uuid(number: int) -> str:
    digits = f"{number:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


UUIDS: Final = tuple(_uuid(Draw(7_000 + i).bits(128)) for i in range(64))
"""UUIDs foreign to the corpus's spans (upstream ancestors, examples, projects, overrides):
from a fixed set, so that some repeat, as upstream traces do."""


def uuid_text(d: Draw) -> str:
    return d.pick(UUIDS)


COSTS: Final = (0.0, 1.5e-06, 0.000125, 0.0031, 0.02, 1.0)
FRACTIONS: Final = (0.0, 0.25, 0.5, 0.87, 0.999)


def model(d: Draw) -> tuple[str, str]:
    return d.weighted(MODELS)


# --- message content in each convention's shape ------------------------------------------------


def genai_messages(d: Draw, *, output: bool) -> list[dict[str, Any]]:
    """GenAI `parts` messages (gen_ai.input.messages / gen_ai.output.messages)."""
    messages: list[dict[str, Any]] = []
    for index in range(d.between(1, 4)):
        role = "assistant" if output else d.pick(("user", "user", "assistant", "tool", "system"))
        parts: list[dict[str, Any]] = []
        for _ in range(d.between(0 if d.chance(0.1) else 1, 3)):
            kind = d.weighted((("text", 8), ("tool_call", 3), ("tool_call_response", 2),
                               ("reasoning", 1), ("image", 1)))  # fmt: skip
            if kind == "text":
                parts.append({"type": "text", "content": text(d)})
            elif kind == "tool_call":
                arguments: Any = {"city": d.pick(("Paris", "Zürich"))}
                if d.chance(0.3):
                    arguments = json.dumps(arguments)
                parts.append({"type": "tool_call", "id": f"call_{index}", "name": d.pick(TOOLS),
                              "arguments": arguments})  # fmt: skip
            elif kind == "tool_call_response":
                key = "response" if d.chance(0.7) else "result"
                parts.append({"type": "tool_call_response", "id": f"call_{index}",
                              key: d.pick(ANSWERS) if d.chance(0.5) else {"temp": 21}})  # fmt: skip
            elif kind == "reasoning":
                parts.append({"type": "reasoning", "content": word_text(d)})
            else:
                parts.append({"type": "uri", "modality": "image", "uri": "https://x.test/a.png"})
        message: dict[str, Any] = {"role": role, "parts": parts}
        if output and d.chance(0.8):
            message["finish_reason"] = d.pick(FINISH_REASONS)
        if d.chance(0.1):
            message["name"] = d.pick(TOOLS)
        if d.chance(0.05):
            message = {"role": role, "content": text(d)}  # OpenAI-shaped already
        messages.append(message)
    return messages


def system_instructions(d: Draw) -> Any:
    if d.chance(0.3):
        return d.pick(SYSTEM_PROMPTS)
    return [{"type": "text", "content": d.pick(SYSTEM_PROMPTS)} for _ in range(d.between(1, 2))]


def tool_definitions(d: Draw) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in d.some(TOOLS, d.between(1, 3)):
        if d.chance(0.7):
            out.append({"type": "function", "name": name, "description": word_text(d),
                        "parameters": {"type": "object"}})  # fmt: skip
        else:
            out.append({"type": "function", "function": {"name": name}})
    return out


def openai_messages(d: Draw) -> list[dict[str, Any]]:
    return [
        {"role": d.pick(("user", "system", "assistant")), "content": text(d)}
        for _ in range(d.between(1, 3))
    ]


def documents(d: Draw) -> list[dict[str, Any]]:
    return [
        {"page_content": text(d), "metadata": {"source": f"doc-{i}"}, "score": d.pick(FRACTIONS)}
        for i in range(d.between(1, 3))
    ]


def usage_object(d: Draw) -> dict[str, Any]:
    """A LangSmith usage_metadata object (sometimes with costs, sometimes odd)."""
    inp, out = d.pick(INPUT_TOKENS), d.pick(OUTPUT_TOKENS)
    usage: dict[str, Any] = {"input_tokens": inp, "output_tokens": out}
    if d.chance(0.7):
        usage["total_tokens"] = inp + out if d.chance(0.85) else inp + out + d.between(1, 9)
    if d.chance(0.3):
        usage["input_token_details"] = {"cache_read": d.pick(CACHE_TOKENS), "audio": 0}
    if d.chance(0.2):
        usage["output_token_details"] = {"reasoning": d.pick(REASONING_TOKENS)}
    if d.chance(0.15):
        usage["total_cost"] = d.pick(COSTS)
        if d.chance(0.5):
            usage["input_cost"] = d.pick(COSTS)
            usage["output_cost"] = "0.0003"
    if d.chance(0.05):
        usage["input_tokens"] = str(inp)
    return usage


def maybe_json(d: Draw, value: Any) -> AttributeValue:
    """JSON text (sometimes double-encoded or broken), or the value as a mapping/sequence."""
    roll = d.real()
    if roll < 0.75:
        return json.dumps(value, ensure_ascii=d.chance(0.5))
    if roll < 0.8:
        return json.dumps(json.dumps(value))
    if roll < 0.85:
        return json.dumps(value)[:-1]  # cut short: not JSON
    return to_attribute(value)


def to_attribute(value: Any) -> AttributeValue:
    """A JSON value as an OTLP attribute: objects as kvlists, arrays as tuples."""
    if isinstance(value, dict):
        return {str(k): to_attribute(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(to_attribute(v) for v in value)
    return value  # type: ignore[no-any-return]


# --- values of every attribute type -------------------------------------------------------------


def scalar(d: Draw) -> AttributeValue:
    kind = d.weighted((("str", 6), ("int", 3), ("float", 3), ("bool", 2), ("bytes", 1)))
    if kind == "str":
        return text(d)
    if kind == "int":
        return d.pick((0, 1, -1, 42, 2**63 - 1, -(2**63), 86_400, 1_000_000))
    if kind == "float":
        special = (math.nan, math.inf, -math.inf, -0.0, 1e-300, 2.0, 0.1 + 0.2)
        return d.pick(special) if d.chance(0.25) else d.pick((*COSTS, *FRACTIONS, 3.5, 100.25))
    if kind == "bool":
        return d.chance(0.5)
    return d.pick((b"", b"\x00\xff", b"bytes", "café".encode(), b"\x80abc"))


def homogeneous_list(d: Draw) -> AttributeValue:
    kind = d.pick(("str", "int", "float", "bool"))
    size = d.between(0, 4)
    if kind == "str":
        return tuple(word_text(d, 1, 2) for _ in range(size))
    if kind == "int":
        return tuple(d.between(-5, 10**5) for _ in range(size))
    if kind == "float":
        return tuple(d.pick(FRACTIONS) for _ in range(size))
    return tuple(d.chance(0.5) for _ in range(size))


def kvlist(d: Draw, depth: int = 0) -> AttributeValue:
    """A nested mapping, as an OTLP kvlist decodes."""
    out: dict[str, AttributeValue] = {}
    for i in range(d.between(0, 3)):
        key = d.pick(("a", "b", "role", "content", "id", "n", str(i)))
        roll = d.real()
        if roll < 0.25 and depth < 2:
            out[key] = kvlist(d, depth + 1)
        elif roll < 0.35:
            out[key] = homogeneous_list(d)
        elif roll < 0.4 and depth < 2:
            out[key] = tuple(kvlist(d, depth + 1) for _ in range(d.between(0, 2)))
        else:
            out[key] = scalar(d)
    return out


def json_text(d: Draw) -> str:
    """A string that looks like JSON: messages, documents, usage, objects, arrays, or not."""
    kind = d.weighted((("messages", 3), ("openai", 2), ("documents", 1), ("usage", 2),
                       ("object", 3), ("array", 1), ("scalar", 1), ("broken", 1)))  # fmt: skip
    if kind == "messages":
        return json.dumps(genai_messages(d, output=d.chance(0.4)))
    if kind == "openai":
        return json.dumps(openai_messages(d))
    if kind == "documents":
        return json.dumps(documents(d))
    if kind == "usage":
        return json.dumps(usage_object(d))
    if kind == "object":
        return json.dumps({"k": text(d), "n": d.between(0, 9), "nested": {"x": [1, 2]}})
    if kind == "array":
        return json.dumps([word_text(d, 1, 2) for _ in range(d.between(0, 3))])
    if kind == "scalar":
        return d.pick(('"text"', "123", "true", "null", '"{\\"a\\": 1}"', "[]", "{}"))
    return d.pick(("{not json", "[1, 2", '{"a": NaN}', "[Infinity]", "{'a': 1}"))


def any_value(d: Draw) -> AttributeValue:
    """A value of any attribute type."""
    kind = d.weighted((("scalar", 10), ("json", 4), ("list", 3), ("kvlist", 2),
                       ("kvlists", 1), ("none", 1)))  # fmt: skip
    if kind == "scalar":
        return scalar(d)
    if kind == "json":
        return json_text(d)
    if kind == "list":
        return homogeneous_list(d)
    if kind == "kvlist":
        return kvlist(d)
    if kind == "kvlists":
        return tuple(kvlist(d, 1) for _ in range(d.between(1, 2)))
    return None


def plausible(d: Draw, key: str) -> AttributeValue:
    """A value of the type the key's name suggests (a token count for `*tokens*`...)."""
    name = key.lower()
    options: tuple[AttributeValue, ...]
    if "token" in name or name.endswith((".count", "count")):
        options = (*INPUT_TOKENS, *OUTPUT_TOKENS, "150", 12.0, -3, 1e30)
        return options[d.below(len(options))]
    if "cost" in name:
        options = (d.pick(COSTS), "0.0012", 0, "n/a")
        return options[d.below(len(options))]
    if "messages" in name or name.endswith((".prompt", ".completion")):
        return maybe_json(d, genai_messages(d, output="output" in name or "completion" in name))
    if "time" in name or "ms" in name.rsplit(".", 1)[-1].lower():
        options = (d.pick(FRACTIONS) * 3, d.pick((0, 250, 3000)), "2025-06-01T12:00:00.250Z",
                   '"2025-06-01T12:00:00.250000Z"', "-1", "soon")  # fmt: skip
        return options[d.below(len(options))]
    if "model" in name:
        return model(d)[0]
    if "provider" in name or name.endswith(".system"):
        return model(d)[1]
    if name.endswith(("_id", ".id")):
        return uuid_text(d) if d.chance(0.5) else f"id-{d.below(20)}"
    if "tags" in name:
        options = (homogeneous_list(d), "a, b, ,c", '["x", "y"]')
        return options[d.below(len(options))]
    if "stream" in name:
        options = (True, False, "true", "False", 1)
        return options[d.below(len(options))]
    if "metadata" in name or "parameters" in name or "variables" in name:
        return maybe_json(d, {"temperature": 0.2, "model": model(d)[0], "user": "u-1"})
    return any_value(d)
