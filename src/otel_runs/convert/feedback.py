"""A run's feedback: its `gen_ai.evaluation.result` events as LangSmith feedback objects.

The GenAI conventions (1.38+) record an evaluation of a GenAI operation as the event
`gen_ai.evaluation.result` on (or, as a log record, parented to) the span it evaluates:
`gen_ai.evaluation.name`, `.score.value` (double), `.score.label`, `.explanation`, and
`error.type` when the evaluation itself failed. LangSmith keeps the same thing as feedback on the
run (`POST /feedback`: key, score, value, comment, run id). One event, one feedback:

| event attribute | feedback field |
|---|---|
| `gen_ai.evaluation.name` | `key` (no name: no feedback; the event stays a run event) |
| `gen_ai.evaluation.score.value` | `score` (a number or a boolean) |
| `gen_ai.evaluation.score.label` | `value` |
| `gen_ai.evaluation.explanation` | `comment` |
| `error.type` | `error: true`, and `extra.error_type` |
| any other attribute (`gen_ai.response.id`...) | `extra` |
| the event's time | `created_at` |
| `langsmith.feedback` (JSON) | the whole feedback object, used as it is (see below) |

`langsmith.feedback` is otel-runs' own: the LangSmith API of `otel-runs serve` and runs -> spans
write the feedback object LangSmith received on the event, so it comes back unchanged.

The feedback `id` is a UUID5 of the run id, the event's time, its name and its place among the
run's evaluation events, so the same span converted twice (a re-sent export, a restart) gives
the same feedback ids and LangSmith keeps one copy. The events stay in the run's `events`;
feedback is worked out from them only when a sink asks (pure, no cost for runs without such
events).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import otel
from otel_runs.model.run import Run

FEEDBACK_NAMESPACE: Final = uuid.UUID("6f1c1b8e-2d4b-5e0a-9c57-0e1f6a3b2d71")
"""Namespace of the UUID5 feedback ids made from evaluation events."""
SOURCE_TYPE: Final = "api"
"""`feedback_source.type` of feedback made from an evaluation event (LangSmith's `api` / `model`
source types; the event does not say whether a model judged)."""

_EVALUATION_RESULT: Final = g.EVALUATION_RESULT
_OWN: Final = frozenset(
    {
        g.EVALUATION_NAME,
        g.EVALUATION_SCORE_VALUE,
        g.EVALUATION_SCORE_LABEL,
        g.EVALUATION_EXPLANATION,
        otel.ERROR_TYPE,
        ls.FEEDBACK,
    }
)


def feedback_id(run_id: str, time: str, key: str, index: int) -> str:
    """The id of the feedback an evaluation event gives (see the module docstring)."""
    return str(uuid.uuid5(FEEDBACK_NAMESPACE, f"{run_id}|{time}|{key}|{index}"))


def _score(value: object) -> bool | int | float | None:
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) < 2**53):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def _carried(raw: object) -> dict[str, Any] | None:
    """The `langsmith.feedback` object an event carries, when it is one."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return None
    if isinstance(raw, dict) and isinstance(raw.get("key"), str) and raw["key"]:
        return raw
    return None


def from_event(
    kwargs: Mapping[str, Any], time: str, run_id: str, trace_id: str, index: int
) -> dict[str, Any] | None:
    """The feedback one evaluation event gives (its attributes, its ISO time); None when it
    names no evaluation."""
    carried = _carried(kwargs.get(ls.FEEDBACK))
    if carried is not None:
        found = dict(carried)
        found.setdefault("run_id", run_id)
        found.setdefault("id", feedback_id(run_id, time, str(found["key"]), index))
        return found
    key = kwargs.get(g.EVALUATION_NAME)
    if not isinstance(key, str) or not key:
        return None
    feedback: dict[str, Any] = {
        "id": feedback_id(run_id, time, key, index),
        "run_id": run_id,
        "trace_id": trace_id,
        "key": key,
    }
    score = _score(kwargs.get(g.EVALUATION_SCORE_VALUE))
    if score is not None:
        feedback["score"] = score
    label = kwargs.get(g.EVALUATION_SCORE_LABEL)
    if label is not None:
        feedback["value"] = label
    comment = kwargs.get(g.EVALUATION_EXPLANATION)
    if comment is not None:
        feedback["comment"] = comment if isinstance(comment, str) else json.dumps(comment)
    extra = {k: v for k, v in kwargs.items() if k not in _OWN}
    if score is None and kwargs.get(g.EVALUATION_SCORE_VALUE) is not None:
        extra[g.EVALUATION_SCORE_VALUE] = kwargs[g.EVALUATION_SCORE_VALUE]  # not a number
    error_type = kwargs.get(otel.ERROR_TYPE)
    if error_type is not None:
        feedback["error"] = True
        extra["error_type"] = error_type
    if extra:
        feedback["extra"] = extra
    feedback["created_at"] = time
    feedback["feedback_source"] = {"type": SOURCE_TYPE, "metadata": {"event": g.EVALUATION_RESULT}}
    return feedback


def from_events(events: Iterable[Any], run_id: str, trace_id: str) -> list[dict[str, Any]]:
    """Feedback of every evaluation event among a run's events (run-format event dicts)."""
    found: list[dict[str, Any]] = []
    index = 0
    for event in events:
        if not isinstance(event, dict) or event.get("name") != g.EVALUATION_RESULT:
            continue
        kwargs = event.get("kwargs")
        item = from_event(
            kwargs if isinstance(kwargs, dict) else {},
            str(event.get("time", "")),
            run_id,
            trace_id,
            index,
        )
        index += 1
        if item is not None:
            found.append(item)
    return found


def has_evaluations(events: Iterable[Any]) -> bool:
    """Whether any of a run's events is an evaluation event (cheap for the usual no events).
    A loop: `any()` of a generator costs ~0.15 us more on the one or two events a run has, and
    the local store asks for every run."""
    for event in events:
        if isinstance(event, dict) and event.get("name") == _EVALUATION_RESULT:
            return True
    return False


def run_feedback(run: Run) -> list[dict[str, Any]]:
    """Feedback of a `Run`: what it carries under `feedback` (a list of LangSmith feedback
    objects, `Run.unmapped`), then its evaluation events."""
    found: list[dict[str, Any]] = []
    carried = run.unmapped.get(ls.RUN_FEEDBACK)
    if isinstance(carried, list):
        found.extend(item for item in carried if isinstance(item, dict) and item.get("key"))
    if run.events and has_evaluations(run.events):
        found.extend(from_events(run.events, str(run.id), str(run.trace_id)))
    return found


def run_attachments(run: Run) -> dict[str, Any]:
    """Attachments of a `Run` (its `attachments` key, `Run.unmapped`)."""
    found = run.unmapped.get(ls.RUN_ATTACHMENTS)
    return found if isinstance(found, dict) else {}


def to_event(feedback: Mapping[str, Any], fallback_time: str) -> dict[str, Any]:
    """A LangSmith feedback as the run event `gen_ai.evaluation.result` (the way back): key,
    score (a number), label (a text value), explanation (the comment), and the whole feedback
    object under `langsmith.feedback`, at the feedback's `created_at` (else `fallback_time`)."""
    kwargs: dict[str, Any] = {g.EVALUATION_NAME: feedback["key"]}
    score = feedback.get("score")
    if isinstance(score, (int, float)):
        kwargs[g.EVALUATION_SCORE_VALUE] = float(score)
    value = feedback.get("value")
    if isinstance(value, str):
        kwargs[g.EVALUATION_SCORE_LABEL] = value
    comment = feedback.get("comment")
    if isinstance(comment, str):
        kwargs[g.EVALUATION_EXPLANATION] = comment
    kwargs[ls.FEEDBACK] = dict(feedback)
    created = feedback.get("created_at")
    return {
        "name": g.EVALUATION_RESULT,
        "time": created if isinstance(created, str) and created else fallback_time,
        "kwargs": kwargs,
    }
