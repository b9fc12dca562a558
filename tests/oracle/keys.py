"""The attribute-key catalogue the generated corpus draws from: every string constant of
`otel_runs.conventions`, with prefixes and `{i}` patterns expanded into concrete keys.

The catalogue is computed from the convention modules, stored in the recording, and the test
regenerates the corpus from the stored copy: a new constant does not change what the oracle
replays, and `test_oracle.py` says when the stored catalogue no longer covers the conventions.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import otel_runs.conventions as conventions_package

ORACLE_SUFFIX = "x_oracle"
"""Concrete key under a prefix nobody reads below (`gen_ai.x_oracle`)."""

# Sub-keys the dialects read below each prefix, in the flattened forms instrumentations write.
_INDEXED_MESSAGE = (
    "{i}.role", "{i}.content", "{i}.finish_reason", "{i}.tool_call_id", "{i}.name",
    "{i}.tool_calls.{j}.id", "{i}.tool_calls.{j}.name", "{i}.tool_calls.{j}.arguments",
    "{i}.message.role", "{i}.message.content",
)
_OPENINFERENCE_MESSAGE = (
    "{i}.message.role", "{i}.message.content", "{i}.message.name", "{i}.message.tool_call_id",
    "{i}.message.contents.{j}.message_content.type",
    "{i}.message.contents.{j}.message_content.text",
    "{i}.message.contents.{j}.message_content.image.image.url",
    "{i}.message.tool_calls.{j}.tool_call.id",
    "{i}.message.tool_calls.{j}.tool_call.function.name",
    "{i}.message.tool_calls.{j}.tool_call.function.arguments",
)
SUFFIXES: dict[str, tuple[str, ...]] = {
    "gen_ai.prompt.": _INDEXED_MESSAGE,
    "gen_ai.completion.": _INDEXED_MESSAGE,
    "llm.input_messages.": _OPENINFERENCE_MESSAGE,
    "llm.output_messages.": _OPENINFERENCE_MESSAGE,
    "llm.tools.": ("{i}.tool.json_schema",),
    "retrieval.documents.": (
        "{i}.document.id", "{i}.document.content", "{i}.document.score", "{i}.document.metadata",
    ),
    "langsmith.metadata.": (
        "thread_id", "session_id", "conversation_id", "user_id", "ls_model_name", "ls_provider",
        "ls_temperature", "otel", "nested", "customer",
    ),
    "traceloop.association.properties.": (
        "session_id", "thread_id", "conversation_id", "user_id", "customer",
    ),
    "gen_ai.request.": (
        "temperature", "max_tokens", "top_p", "top_k", "seed", "stop_sequences", "choice.count",
        "frequency_penalty", "presence_penalty", "stream", "encoding_formats",
    ),
    "gen_ai.aggregated_usage.": (
        "input_tokens", "output_tokens", "total_tokens", "cache_read.input_tokens",
        "cache_creation.input_tokens", "reasoning.output_tokens", "details.reasoning_tokens",
        "prompt_tokens",
    ),
}
"""Prefix -> the suffixes read below it; any other prefix gets `ORACLE_SUFFIX`."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Concrete attribute keys, event names and attribute values named by the conventions."""

    keys: tuple[str, ...]
    event_names: tuple[str, ...]
    values: tuple[str, ...]
    constants: int
    """How many string constants (or members of constant collections) were read."""

    def to_json(self) -> dict[str, object]:
        return {
            "keys": list(self.keys),
            "event_names": list(self.event_names),
            "values": list(self.values),
            "constants": self.constants,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Catalogue:
        def strings(name: str) -> tuple[str, ...]:
            found = data[name]
            assert isinstance(found, list)
            return tuple(str(item) for item in found)

        constants = data["constants"]
        assert isinstance(constants, int)
        return cls(strings("keys"), strings("event_names"), strings("values"), constants)


def convention_modules() -> list[ModuleType]:
    """Every module of `otel_runs.conventions`, by name."""
    names = sorted(
        info.name for info in pkgutil.iter_modules(conventions_package.__path__) if not info.ispkg
    )
    return [importlib.import_module(f"{conventions_package.__name__}.{name}") for name in names]


def _strings(value: object) -> Iterator[str]:
    """Strings in a constant: itself, members of tuples/sets, keys and values of dicts."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list, frozenset, set)):
        for item in sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


def constants() -> list[tuple[str, str, str]]:
    """(module, constant name, string) for every public upper-case constant's strings."""
    out: list[tuple[str, str, str]] = []
    for module in convention_modules():
        short = module.__name__.rsplit(".", 1)[-1]
        for name, value in vars(module).items():
            if name.isupper() and not name.startswith("_"):
                out.extend((short, name, text) for text in _strings(value))
    return out


def expand(prefix: str, indexes: tuple[int, ...] = (0, 1)) -> list[str]:
    """Concrete keys below a prefix (ends with "."), `{i}`/`{j}` filled with `indexes`."""
    out: list[str] = []
    for suffix in SUFFIXES.get(prefix, (ORACLE_SUFFIX,)):
        for i in indexes if "{i}" in suffix else (0,):
            for j in indexes if "{j}" in suffix else (0,):
                out.append(prefix + suffix.format(i=i, j=j))
    return out


def _is_key_like(text: str) -> bool:
    return bool(text) and " " not in text and not text.startswith(("{", "["))


def catalogue() -> Catalogue:
    """The catalogue of the conventions as they are now."""
    found = constants()
    keys: set[str] = set()
    events: set[str] = set()
    values: set[str] = set()
    for _, name, text in found:
        if name.startswith("EVENT_") and "NAME_ATTR" not in name:
            events.add(text)
            continue
        values.add(text)
        if text.endswith("."):
            keys.update(expand(text))
        elif _is_key_like(text):
            keys.add(text)
    return Catalogue(
        keys=tuple(sorted(keys)),
        event_names=tuple(sorted(events)),
        values=tuple(sorted(values)),
        constants=len(found),
    )


def uncovered(stored: Catalogue, now: Catalogue) -> list[str]:
    """What the conventions name now that the stored catalogue lacks."""
    missing = [f"key {k}" for k in now.keys if k not in set(stored.keys)]
    missing += [f"event {e}" for e in now.event_names if e not in set(stored.event_names)]
    missing += [f"value {v}" for v in now.values if v not in set(stored.values)]
    return missing
