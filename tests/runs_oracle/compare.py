"""One case of the runs -> spans oracle re-run and compared with its recording."""

from __future__ import annotations

import json
import math
from typing import Any, Final

from tests.runs_oracle.cases import export_runs, outcome

RERECORD: Final = (
    "if the difference is intended, re-record (python -m tests.runs_oracle.record) in a commit "
    "that says which and why"
)


def first_difference(recorded: Any, now: Any, path: str = "") -> str | None:
    """The first path where two JSON values differ (types included: 1, 1.0 and True differ)."""
    if type(recorded) is not type(now):
        return f"{path or '.'}: recorded {recorded!r:.200}, now {now!r:.200}"
    if isinstance(recorded, dict):
        if list(recorded) != list(now):
            return f"{path or '.'}: keys recorded {list(recorded)}, now {list(now)}"
        for key in recorded:
            found = first_difference(recorded[key], now[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(recorded, list):
        if len(recorded) != len(now):
            return f"{path or '.'}: {len(recorded)} items recorded, now {len(now)}"
        for index, (a, b) in enumerate(zip(recorded, now, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    both_nan = isinstance(recorded, float) and math.isnan(recorded) and math.isnan(now)
    if recorded != now and not both_nan:
        return f"{path or '.'}: recorded {recorded!r:.200}, now {now!r:.200}"
    return None


def check(name: str, doc: dict[str, Any]) -> str | None:
    """None when the case's output is the recorded one, else what differs first."""
    case = doc["cases"][name]
    dicts = case["inputs"]
    if dicts is None:
        dicts, found = export_runs()
        if found != doc["export_digest"]:
            return f"runs oracle case {name}: its input fixture changed since the recording"
    now = json.loads(json.dumps(outcome(name, dicts)))  # (as the recording holds it)
    difference = first_difference(case["outcome"], now)
    if difference is None:
        return None
    return f"runs oracle case {name}: {difference}\n  ({RERECORD})"
