"""Privacy controls: content hidden before any run is stored or sent, and before the receiver's
spool.

Semantics follow the `langsmith` SDK: `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` set to
true replace a run's inputs / outputs with `{}`; a callable instead receives the dict and returns
what to keep. Spans carry content in more places than a run's inputs and outputs (the losing
convention of a span that carries two, content events, pydantic-ai's request parameters), so
hiding covers every key each convention in `conventions/` marks as content, wherever it lands
(`privacy/hide.py`):

- with a side hidden by `True`, its content is hidden in the span itself, before conversion
  (`RunExporter`) and before the receiver's spool (`ReceiverService.accept`): hidden content
  never reaches a file or a sink. The value becomes `"[hidden]"`; the key stays.
- then, on every run, the run-level pass: inputs/outputs as above, content events' attributes
  dropped, content keys hidden in `extra.metadata`. A hide function needs the values, so with one
  the content reaches the converter (and the receiver's spool) and is hidden here.

A hook that raises (a hide function, `redact`) fails closed: the run leaves with both sides'
content removed and `extra.metadata.ls_redaction_failed` set, never with what the hook was meant
to hide. What no convention names as content (a span name, an exception message, an app's own
attribute) is not inspected: the `redact` hook sees the whole run for that.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, overload

from otel_runs.conventions.langsmith import RUN_ATTACHMENTS, RUN_FEEDBACK
from otel_runs.convert.attachments import OUTPUT_SIDE
from otel_runs.convert.run_data import RunData
from otel_runs.model.run import Run
from otel_runs.model.span_record import EventRecord, SpanRecord
from otel_runs.privacy.content import scope
from otel_runs.privacy.hide import (
    Hide,
    clear_run_content,
    hide_event_content,
    hide_run_content,
    hide_span_content,
)

_logger = logging.getLogger(__name__)

ENV_HIDE_INPUTS: Final = "LANGSMITH_HIDE_INPUTS"
ENV_HIDE_OUTPUTS: Final = "LANGSMITH_HIDE_OUTPUTS"

Redact = Callable[[Run], object]
"""Mutates a run in place before it leaves (its return value is ignored)."""

_TRUE: Final = frozenset({"1", "true", "yes", "on"})

__all__ = [
    "ENV_HIDE_INPUTS",
    "ENV_HIDE_OUTPUTS",
    "Hide",
    "Privacy",
    "Redact",
    "clear_run_content",
    "hide_run_content",
    "hide_span_content",
]


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

    @property
    def hides_spans(self) -> bool:
        """Whether a side is hidden outright (True), so spans can be hidden before conversion."""
        return self.hide_inputs is True or self.hide_outputs is True

    def hide_record(self, record: SpanRecord) -> SpanRecord:
        """The span with the content of the sides hidden outright (True) hidden."""
        return hide_span_content(
            record, inputs=self.hide_inputs is True, outputs=self.hide_outputs is True
        )

    def hide_event(self, event: EventRecord) -> EventRecord:
        """A span event (a log record joined to its span) with the same content hidden."""
        if not self.hides_spans:
            return event
        return hide_event_content(event, scope(self.hide_inputs is True, self.hide_outputs is True))

    @overload
    def apply(self, run: Run) -> Run: ...
    @overload
    def apply(self, run: Run | RunData) -> Run | RunData: ...

    def apply(self, run: Run | RunData) -> Run | RunData:
        """The run with what must not leave removed (in place; also returned). A converted run
        (`RunData`) becomes a `Run` when a `redact` hook is set: the hook is given a `Run`."""
        if not self.active:
            return run
        if isinstance(run, RunData) and (self.redact is not None or run.restored is not None):
            run = run.to_run()  # (a restored run's forms all come from its Run)
        view = _view(run)
        try:
            hide_run_content(view, inputs=self.hide_inputs, outputs=self.hide_outputs)
            _write_back(view, run)
            _hide_attachments_and_feedback(run, bool(self.hide_inputs), bool(self.hide_outputs))
            if self.redact is not None:
                assert isinstance(run, Run)
                self.redact(run)
        except Exception:
            _logger.exception("a privacy hook failed for run %s; its content was removed", run.id)
            view = _view(run)
            clear_run_content(view)
            _write_back(view, run)
            _hide_attachments_and_feedback(run, True, True)
        return run


_FEEDBACK_CONTENT: Final = ("comment", "correction")
"""Feedback fields that are content (they quote or rewrite what was judged)."""


def _hide_attachments_and_feedback(run: Run | RunData, inputs: bool, outputs: bool) -> None:
    """Attachments are content: those of a hidden side are removed (`output_*` ones, from
    output messages, go with the outputs; every other one with the inputs, as LangSmith's SDK
    takes attachments from a call's inputs). Feedback the run carries loses its comment and
    correction when either side is hidden (feedback from evaluation events is hidden in the
    events themselves)."""
    if not (inputs or outputs):
        return
    attached = run.attachments if isinstance(run, RunData) else run.unmapped.get(RUN_ATTACHMENTS)
    if isinstance(attached, dict) and attached:
        kept: dict[str, Any] = {
            name: item
            for name, item in attached.items()
            if not (outputs if str(name).startswith(OUTPUT_SIDE) else inputs)
        }
        if isinstance(run, RunData):
            run.attachments = kept or None
        elif kept:
            run.unmapped[RUN_ATTACHMENTS] = kept
        else:
            del run.unmapped[RUN_ATTACHMENTS]
    if not isinstance(run, Run):
        return
    carried = run.unmapped.get(RUN_FEEDBACK)
    if isinstance(carried, list):
        run.unmapped[RUN_FEEDBACK] = [
            {k: v for k, v in item.items() if k not in _FEEDBACK_CONTENT}
            if isinstance(item, dict)
            else item
            for item in carried
        ]


def _view(run: Run | RunData) -> dict[str, Any]:
    """The run's content fields as a run dict sharing the run's own containers."""
    return {"inputs": run.inputs, "outputs": run.outputs, "events": run.events, "extra": run.extra}


def _write_back(view: dict[str, Any], run: Run | RunData) -> None:
    run.inputs = view["inputs"]
    run.outputs = view["outputs"]
    run.events = view["events"]
    run.extra = view["extra"]
