"""Which attributes and events carry prompt or completion content, gathered from `conventions/`.

Every module of `otel_runs.conventions` may declare, next to its attribute names:

- `INPUT_CONTENT` / `OUTPUT_CONTENT`: attribute keys carrying prompt / completion content. A key
  covers its dotted children too (`gen_ai.prompt` covers `gen_ai.prompt.0.content`). A `{}` in a
  key stands for any one dotted segment (`mastra.{}.input` covers `mastra.agent_run.input`).
- `INPUT_CONTENT_EVENTS` / `OUTPUT_CONTENT_EVENTS`: events every attribute of which is content.
- `RUN_CONTENT`: attributes holding a JSON object in the run format (`otel_runs.run_fields`).
- `REQUEST_PARAMETERS`: attributes holding a model request's parameters as a JSON object
  (`llm.invocation_parameters`): the fields of it in `PARAMETER_CONTENT` are prompt content.

The lists are read from every module in the package, so a key added to a module's tuple, or a
new convention module, is hidden without a change here (tests/test_privacy_properties.py
generates spans from the same lists).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from otel_runs import conventions

HIDDEN: Final = "[hidden]"
"""What a hidden attribute value becomes. The key stays, so the span keeps its shape (a run type
inferred from which keys are present does not change); nothing of the value is kept."""


def _gather(name: str) -> frozenset[str]:
    found: set[str] = set()
    for info in pkgutil.iter_modules(conventions.__path__):
        module = importlib.import_module(f"{conventions.__name__}.{info.name}")
        found.update(key.rstrip(".") for key in getattr(module, name, ()))
    return frozenset(found)


INPUT_KEYS: Final = _gather("INPUT_CONTENT")
"""Attribute keys (and their dotted children) that carry prompt content, in any convention."""
OUTPUT_KEYS: Final = _gather("OUTPUT_CONTENT")
"""Attribute keys (and their dotted children) that carry completion content."""
INPUT_EVENTS: Final = _gather("INPUT_CONTENT_EVENTS")
"""Events whose every attribute is prompt content."""
OUTPUT_EVENTS: Final = _gather("OUTPUT_CONTENT_EVENTS")
"""Events whose every attribute is completion content."""
RUN_KEYS: Final = _gather("RUN_CONTENT")
"""Attributes holding a run-format JSON object, hidden field by field as a run is."""
PARAMETER_KEYS: Final = _gather("REQUEST_PARAMETERS")
"""Attributes holding a model request's parameters as a JSON object."""
PARAMETER_CONTENT: Final = frozenset(
    {"instructions", "messages", "input", "prompt", "system", "system_instruction", "contents"}
)
"""Request parameters that carry the prompt rather than configure the call: the Responses API's
`instructions` and `input`, Chat Completions' `messages`, Anthropic's `system`, Gemini's
`contents` and `system_instruction`, completions' `prompt`."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What one hiding setting removes: content keys, whole-content events, and which sides."""

    inputs: bool
    outputs: bool
    keys: frozenset[str]
    events: frozenset[str]

    def is_content(self, key: str) -> bool:
        """Whether an attribute key is content in this scope (the key or a dotted parent of it
        is listed)."""
        return _matches(key, self.keys)


@lru_cache(maxsize=4)
def scope(inputs: bool, outputs: bool) -> Scope:
    """The scope hiding inputs and/or outputs."""
    keys = (INPUT_KEYS if inputs else frozenset()) | (OUTPUT_KEYS if outputs else frozenset())
    events = (INPUT_EVENTS if inputs else frozenset()) | (OUTPUT_EVENTS if outputs else frozenset())
    return Scope(inputs, outputs, keys, events)


@lru_cache(maxsize=8192)
def _matches(key: str, keys: frozenset[str]) -> bool:
    patterns = _patterns(keys)
    if key in keys or _matches_pattern(key, patterns):
        return True
    dot = key.find(".")
    while dot != -1:
        if key[:dot] in keys or _matches_pattern(key[:dot], patterns):
            return True
        dot = key.find(".", dot + 1)
    return False


@lru_cache(maxsize=16)
def _patterns(keys: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """(start, end) of the keys with a `{}` segment."""
    split = [key.partition("{}") for key in sorted(keys) if "{}" in key]
    return tuple((start, end) for start, _, end in split)


def _matches_pattern(key: str, patterns: tuple[tuple[str, str], ...]) -> bool:
    for start, end in patterns:
        if len(key) > len(start) + len(end) and key.startswith(start) and key.endswith(end):
            middle = key[len(start) : len(key) - len(end)]
            if "." not in middle:
                return True
    return False
