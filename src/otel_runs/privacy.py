"""Privacy controls applied to every run before a sink stores or sends it.

Semantics follow the `langsmith` SDK: `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` set to
true replace a run's inputs / outputs with `{}`; a callable instead receives the dict and returns
what to keep. Spans carry content in more places than a run's inputs and outputs, so hiding also
drops the attributes of the content events the GenAI conventions define (prompt and completion
messages, choices, chunks) from `run.events`. Values no convention names (leftover attributes in
`extra.metadata.otel`) are not inspected: a `redact` hook sees the whole run for that.

A hook that raises fails closed: the run leaves with its inputs, outputs and event attributes
removed and `extra.metadata.ls_redaction_failed` set, never with what the hook was meant to hide.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, overload

from otel_runs.conventions import genai as g
from otel_runs.conventions import openllmetry as ol
from otel_runs.convert.run_data import RunData
from otel_runs.model.run import Run

_logger = logging.getLogger(__name__)

ENV_HIDE_INPUTS: Final = "LANGSMITH_HIDE_INPUTS"
ENV_HIDE_OUTPUTS: Final = "LANGSMITH_HIDE_OUTPUTS"

INPUT_EVENTS: Final = frozenset({
    g.EVENT_SYSTEM_MESSAGE, g.EVENT_USER_MESSAGE, g.EVENT_ASSISTANT_MESSAGE, g.EVENT_TOOL_MESSAGE,
    g.EVENT_CONTENT_PROMPT, g.EVENT_INFERENCE_DETAILS,
})  # fmt: skip
"""Events whose attributes carry prompt content."""
OUTPUT_EVENTS: Final = frozenset({
    g.EVENT_CHOICE, g.EVENT_CONTENT_COMPLETION, ol.EVENT_COMPLETION_CHUNK,
    g.EVENT_INFERENCE_DETAILS,
})  # fmt: skip
"""Events whose attributes carry completion content."""

Hide = bool | Callable[[dict[str, Any]], dict[str, Any]]
Redact = Callable[[Run], object]
"""Mutates a run in place before it leaves (its return value is ignored)."""

_TRUE: Final = frozenset({"1", "true", "yes", "on"})


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


@dataclass(frozen=True)
class Privacy:
    """What to hide from runs before they are stored or sent."""

    hide_inputs: Hide = False
    hide_outputs: Hide = False
    redact: Redact | None = None

    @classmethod
    def from_env(cls, redact: Redact | None = None) -> Privacy:
        """Hide flags from `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS`."""
        return cls(_env_flag(ENV_HIDE_INPUTS), _env_flag(ENV_HIDE_OUTPUTS), redact)

    @property
    def active(self) -> bool:
        return bool(self.hide_inputs or self.hide_outputs or self.redact)

    @overload
    def apply(self, run: Run) -> Run: ...
    @overload
    def apply(self, run: Run | RunData) -> Run | RunData: ...

    def apply(self, run: Run | RunData) -> Run | RunData:
        """The run with what must not leave removed (in place; also returned). A converted run
        (`RunData`) becomes a `Run` when a `redact` hook is set: the hook is given a `Run`."""
        if not self.active:
            return run
        if self.redact is not None and isinstance(run, RunData):
            run = run.to_run()
        try:
            self._apply(run)
        except Exception:
            _logger.exception("a privacy hook failed for run %s; its content was removed", run.id)
            _fail_closed(run)
        return run

    def _apply(self, run: Run | RunData) -> None:
        if self.hide_inputs:
            run.inputs = _hidden(self.hide_inputs, run.inputs)
            if self.hide_inputs is True:
                _drop_event_attributes(run, INPUT_EVENTS)
        if self.hide_outputs:
            run.outputs = _hidden(self.hide_outputs, run.outputs or {})
            if self.hide_outputs is True:
                _drop_event_attributes(run, OUTPUT_EVENTS)
        if self.redact is not None:
            assert isinstance(run, Run)
            self.redact(run)


def _hidden(hide: Hide, values: dict[str, Any]) -> dict[str, Any]:
    if hide is True:
        return {}
    assert callable(hide)
    kept = hide(dict(values))
    if not isinstance(kept, Mapping):
        raise TypeError(f"a hide function must return a dict, got {type(kept).__name__}")
    return dict(kept)


def _drop_event_attributes(run: Run | RunData, names: frozenset[str]) -> None:
    for event in run.events:
        if event.get("name") in names:
            event.pop("kwargs", None)


def _fail_closed(run: Run | RunData) -> None:
    run.inputs = {}
    run.outputs = {} if run.outputs is not None else None
    for event in run.events:
        event.pop("kwargs", None)
    run.metadata["ls_redaction_failed"] = True
