"""Today's outcome of a case against its recording: None when identical, else a message naming
the case, the run and the first differing field and path."""

from __future__ import annotations

import json
import math
from typing import Any, Final

from tests.oracle.cases import Inputs, case
from tests.oracle.outcome import Outcome, canonical, label, run_case
from tests.oracle.recording import Recording, Texts, digest, run_texts

_MISSING = object()


def _show(value: Any) -> str:
    text = "<absent>" if value is _MISSING else repr(value)
    return text if len(text) <= 160 else f"{text[:150]}... ({len(text)} chars)"


def first_difference(recorded: Any, now: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """(path, recorded, now) of the first place two JSON values differ; key order counts."""
    if isinstance(recorded, dict) and isinstance(now, dict):
        for key in recorded:
            below = f"{path}.{key}" if path else key
            if key not in now:
                return below, recorded[key], _MISSING
            found = first_difference(recorded[key], now[key], below)
            if found is not None:
                return found
        for key in now:
            if key not in recorded:
                return (f"{path}.{key}" if path else key), _MISSING, now[key]
        if list(recorded) != list(now):
            return f"{path} (key order)".strip(), list(recorded), list(now)
        return None
    if isinstance(recorded, list) and isinstance(now, list):
        for index, (a, b) in enumerate(zip(recorded, now, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found is not None:
                return found
        if len(recorded) != len(now):
            return f"{path} (length)".strip(), len(recorded), len(now)
        return None
    same_nan = isinstance(recorded, float) and isinstance(now, float)
    if same_nan and math.isnan(recorded) and math.isnan(now):
        return None
    if type(recorded) is not type(now) or recorded != now:
        return path, recorded, now
    return None


def _texts_difference(where: str, recorded: str, now: str) -> str:
    found = first_difference(json.loads(recorded), json.loads(now))
    if found is None:
        return f"{where}: same value, different text: recorded {_show(recorded)}, now {_show(now)}"
    path, old, new = found
    if path.startswith("("):
        where = f"{where} {path}"
    elif path:
        where = f"{where}{path}" if path.startswith("[") else f"{where}.{path}"
    return f"{where}: recorded {_show(old)}, now {_show(new)}"


RERECORD: Final = "re-record it: python -m tests.oracle.record (see tests/oracle/README.md)"


def check(name: str, inputs: Inputs, recording: Recording) -> str | None:
    """Run case `name` now; what differs from its recording, or None."""
    found = case(name, inputs)
    recorded = recording.cases.get(name)
    if recorded is None:
        return f"oracle case {name} is not in the recording: {RERECORD}"
    if found.inputs() != recorded["inputs"]:
        return (
            f"oracle case {name}: its inputs differ from the recorded ones (a fixture or the "
            f"corpus generator changed): {RERECORD}"
        )
    return compare(name, run_case(found.run), recording)


def compare(name: str, outcome: Outcome, recording: Recording) -> str | None:
    """None when the outcome is exactly the recorded one; else what differs first."""
    recorded = recording.cases[name]
    problems: list[str] = []
    summary = canonical(outcome.summary())
    if summary != recorded["summary"]:
        problems.append(_texts_difference("summary", recorded["summary"], summary))
    texts = run_texts(outcome)
    if len(texts) != recorded["runs"] or digest(texts) != recorded["digest"]:
        problems.extend(_runs_difference(name, outcome, texts, recording))
    if not problems:
        return None
    return f"oracle case {name}:\n  " + "\n  ".join(problems)


def _runs_difference(
    name: str, outcome: Outcome, texts: list[Texts], recording: Recording
) -> list[str]:
    count = recording.cases[name]["runs"]
    runs = recording.runs
    problems = []
    if count != len(texts):
        old_ids = [json.loads(runs.texts(name, i)[0])["id"] for i in range(count)]
        new_ids = [str(run.id) for run in outcome.runs]
        gone = [i for i in old_ids if i not in new_ids][:3]
        new = [i for i in new_ids if i not in old_ids][:3]
        problems.append(f"{count} runs recorded, {len(texts)} now (missing {gone}, new {new})")
    differing = 0
    for index, (run, (text, ingest)) in enumerate(zip(outcome.runs, texts[:count], strict=False)):
        old_text, old_ingest = runs.texts(name, index)
        if text == old_text and ingest == old_ingest:
            continue
        differing += 1
        if differing > 1:
            continue
        where = f"run {index + 1}/{count} {label(run)}"
        old = json.loads(old_text)
        if old["id"] != str(run.id):
            problems.append(
                f"run {index + 1}/{count}: recorded {old['id']} ({old['name']!r}), now "
                f"{label(run)}: the runs differ in order or identity"
            )
        elif text != old_text:
            problems.append(_texts_difference(f"{where}: to_dict", old_text, text))
        else:
            problems.append(_texts_difference(f"{where}: ingest", old_ingest, ingest))
    if differing > 1:
        problems.append(f"... and {differing - 1} more runs differ")
    return problems
