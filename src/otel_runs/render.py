"""Runs drawn as a tree for a terminal: name, run type, latency, tokens, cost, error, and
under each run its attachments and feedback."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from otel_runs.convert.feedback import run_attachments, run_feedback
from otel_runs.model.run import Run

_COMMENT_CHARS = 80


def _feedback_line(item: Mapping[str, Any]) -> str:
    """`feedback correctness = 1 (correct): "the answer cites..."`"""
    text = f"feedback {item.get('key')}"
    score, value = item.get("score"), item.get("value")
    if score is not None:
        text += f" = {score:g}" if isinstance(score, float) else f" = {score}"
    if value is not None:
        text += f" ({value})" if score is not None else f" = {value}"
    if item.get("error"):
        text += " [evaluation failed]"
    comment = item.get("comment")
    if isinstance(comment, str) and comment:
        first = comment.splitlines()[0]
        cut = first[:_COMMENT_CHARS] + ("..." if len(first) > _COMMENT_CHARS else "")
        text += f': "{cut}"'
    return text


def _notes(run: Run, feedback: Mapping[str, list[dict[str, Any]]] | None) -> list[str]:
    notes = []
    attached = run_attachments(run)
    if attached:
        names = ", ".join(sorted(attached))
        notes.append(f"{len(attached)} attachment{'s' if len(attached) > 1 else ''}: {names}")
    found = feedback.get(str(run.id), []) if feedback is not None else run_feedback(run)
    notes.extend(_feedback_line(item) for item in found)
    return notes


def _line(run: Run) -> str:
    parts = [f"{run.name} [{run.run_type}]"]
    if run.end_time is not None:
        ms = (run.end_time - run.start_time).total_seconds() * 1000
        parts.append(f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms")
    if run.total_tokens is not None:
        parts.append(
            f"{run.total_tokens} tok ({run.prompt_tokens} in / {run.completion_tokens} out)"
        )
    if run.total_cost is not None:
        parts.append(f"${run.total_cost:.6f}")
    if run.first_token_time is not None:
        ttft = (run.first_token_time - run.start_time).total_seconds() * 1000
        parts.append(f"ttft {ttft:.0f} ms")
    if run.error:
        parts.append("ERROR " + run.error.splitlines()[0][:80])
    return "  ".join(parts)


def render_tree(
    runs: Iterable[Run], feedback: Mapping[str, list[dict[str, Any]]] | None = None
) -> str:
    """One block per trace, children indented under their parent, in dotted_order order.
    Feedback is drawn under its run: `feedback` by run id (as the store keeps it), else the
    runs' own (their evaluation events)."""
    ordered = sorted(runs, key=lambda r: r.dotted_order)
    present = {run.id for run in ordered}
    children: dict[UUID | None, list[Run]] = defaultdict(list)
    for run in ordered:
        parent = run.parent_run_id if run.parent_run_id in present else None
        children[parent].append(run)
    lines: list[str] = []

    def draw(run: Run, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(prefix + branch + _line(run))
        kids = children.get(run.id, [])
        inner = prefix if top else prefix + ("   " if last else "│  ")
        for note in _notes(run, feedback):
            lines.append(inner + ("│  " if kids else "   ") + "· " + note)
        for index, kid in enumerate(kids):
            draw(kid, inner, index == len(kids) - 1, False)

    for root in children.get(None, []):
        lines.append(f"trace {root.trace_id}")
        draw(root, "  ", True, True)
    return "\n".join(lines)
