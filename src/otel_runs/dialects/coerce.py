"""Tolerant coercion: every helper returns None rather than raising on odd input."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import orjson

_JSON_STARTS = ("{", "[", '"')


def as_str(value: object) -> str | None:
    """A non-empty string, or None."""
    if isinstance(value, str):
        return value if value else None
    return None


def as_text(value: object) -> str | None:
    """Any scalar as text (numbers and bools rendered), or None."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (bool, int, float)):
        return str(value)
    return None


def as_int(value: object) -> int | None:
    """A non-negative int from an int, an integral float or a decimal string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
    return None


def as_float(value: object) -> float | None:
    """A finite float from a number or numeric string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_bool(value: object) -> bool | None:
    """A bool, or the strings true/false; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def loads(value: object) -> Any:
    """Decode JSON text; a string holding a JSON object or array is decoded once more (emitters
    double-encode); mappings and lists pass through.

    Returns None when the value is not JSON, so callers can fall back to the raw text. A JSON
    string literal (`"\"text\""`) decodes to its text.
    """
    if type(value) is not str:
        if isinstance(value, (Mapping, list, tuple)):
            return to_jsonable(value)  # (a kvlist may hold bytes: never let them reach a run)
        if not isinstance(value, str):
            return None
    text = value.strip()
    if not text.startswith(_JSON_STARTS):
        return None
    decoded = _decode(text)
    if decoded is _NOT_JSON:
        return None
    if isinstance(decoded, str) and decoded.strip().startswith(_JSON_STARTS[:2]):
        # double-encoded object or array
        inner = _decode(decoded)
        if inner is _NOT_JSON:
            return decoded
        text, decoded = decoded, inner
    # Deeper values would overflow the recursive steps downstream; such text stays text. Text
    # with at most MAX_JSON_DEPTH brackets cannot nest deeper (one C-level count, no walk).
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return decoded
    return None if _deeper_than(decoded, MAX_JSON_DEPTH) else decoded


_NOT_JSON: Any = object()


def _decode(text: str) -> Any:
    """The JSON value of text, or _NOT_JSON, exactly as the standard library reads it.

    orjson reads it ~2x faster, but differs on three things: integers past 64 bits (it returns
    floats), NaN/Infinity and lone surrogates (it refuses them). Text with no run of 19 digits
    holds no integer past 63 bits, so orjson's value is the standard library's; anything orjson
    refuses goes to the standard library, which decides.
    """
    if len(text) > _FAST_PATH_CHARS:
        return _decode_stdlib(text)
    data = text.encode("utf-8", "surrogatepass")
    if _NINETEEN_DIGITS not in data.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(data)
        except ValueError:  # (orjson.JSONDecodeError, its depth limit included)
            pass
    return _decode_stdlib(text)


def _decode_stdlib(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


# The digit check costs ~0.5 ns a character, orjson's reading ~0.3, the standard library's
# ~0.5 plus ~1.5 us a call: the fast path pays only below about 2,000 characters (messages
# of a chat call mostly are; a 100 KB prompt is read faster by the standard library alone).
_FAST_PATH_CHARS: Final = 2048
_DIGITS_AS_ZERO: Final = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_NINETEEN_DIGITS: Final = b"0" * 19


MAX_JSON_DEPTH = 100
"""Deepest JSON value decoded from an attribute (the OTLP decoders' nesting limit too)."""


def _deeper_than(value: object, limit: int) -> bool:
    """Whether containers nest more than `limit` levels (iteratively: no recursion to overflow)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def as_object(value: object) -> dict[str, Any] | None:
    """A JSON object (decoded if text), or None."""
    decoded = loads(value)
    return decoded if isinstance(decoded, dict) else None


def as_list(value: object) -> list[Any] | None:
    """A list from a sequence attribute or a JSON array; None otherwise."""
    if type(value) is not str and isinstance(value, Sequence) and not isinstance(value, bytes):
        return list(value)
    decoded = loads(value)
    return decoded if isinstance(decoded, list) else None


def is_empty(value: object) -> bool:
    """None, blank text, or an empty container (including JSON text that decodes to one)."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return text in ("", "{}", "[]", "null", '""')
    if isinstance(value, (Mapping, list, tuple)):
        return len(value) == 0
    return False


def json_or_text(value: object, text_key: str) -> dict[str, Any] | None:
    """An object as is; any other JSON or text wrapped as {text_key: value}."""
    if is_empty(value):
        return None
    decoded = loads(value)
    if isinstance(decoded, dict):
        return decoded
    if decoded is not None:
        return {text_key: decoded}
    text = as_text(value)
    if text is not None:
        return {text_key: text}
    if isinstance(value, (list, tuple)):
        return {text_key: list(value)}
    return None


def to_jsonable(value: object) -> Any:
    """An attribute value in plain JSON types (bytes as hex, tuples as lists)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (dict, Mapping)):  # (dict first: no ABC check for dicts)
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return str(value)


def dumps(value: object) -> str:
    """Compact JSON text of a value (non-JSON types rendered with str), exactly as
    `json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)` writes it."""
    if _compact_chunks is None:
        return _COMPACT.encode(value)
    return "".join(_compact_chunks(value, 0))


# json.dumps with options builds an encoder, and the encoder its C writer, at every call (1.7 us
# for a small object); both are built once here (0.5 us a call). No circular-reference check:
# the values are decoded JSON and attribute values, which cannot hold cycles.
_COMPACT: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)
_make_writer: Any = getattr(json.encoder, "c_make_encoder", None)  # (not in the type stubs)
_compact_chunks: Any = None
if _make_writer is not None:  # (None where the json C module is missing)
    _compact_chunks = _make_writer(
        None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )


_CALL_FLAGS = frozenset({"sanitize_inputs_outputs"})
"""Keys recorded beside args/kwargs that are the tool wrapper's own (smolagents' `Tool`)."""


def call_arguments(value: Any) -> Any:
    """A decorator's `{"args": [...], "kwargs": {...}}` record of a call (Langfuse's `@observe`,
    Traceloop's decorators, smolagents' tools via OpenInference) as the call's arguments: the
    keyword arguments when there are no positional ones, the single positional argument alone,
    else the record unchanged."""
    if not isinstance(value, dict) or set(value) - _CALL_FLAGS != {"args", "kwargs"}:
        return value
    args, kwargs = value["args"], value["kwargs"]
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        return value
    if not args:
        return kwargs
    if len(args) == 1 and not kwargs:
        return args[0]
    return value
