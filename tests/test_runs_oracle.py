"""The runs -> spans oracle: every case of tests/runs_oracle/ is converted again with the
current code and must give exactly the recorded span records and encoded OTLP bytes
(tests/runs_oracle/README.md). A difference names the case, the run and the first differing
field; re-record only for an intended change, in a commit that says which and why."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from tests.runs_oracle.compare import check
from tests.runs_oracle.record import load


@cache
def _doc() -> dict[str, Any]:
    return load()


@cache
def _families() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in _doc()["cases"]:
        out.setdefault(name.split("/")[0], []).append(name)
    return out


@pytest.mark.parametrize("family", ["export", "sdk", "bench", "drawn", "span_born"])
def test_runs_to_spans_output_is_the_recorded_one(family: str) -> None:
    names = _families()[family]
    problems = [found for name in names if (found := check(name, _doc()))]
    assert not problems, f"{len(problems)} of {len(names)} cases differ:\n" + "\n".join(
        problems[:5]
    )


def test_the_recording_covers_both_kinds_of_runs_and_every_run_type() -> None:
    run_types, scopes = set(), set()
    for case in _doc()["cases"].values():
        for record in case["outcome"]["runs"]:
            run_types.add(record["attributes"]["langsmith.span.kind"])
            scopes.add(record["scope_name"] == "otel-runs")
    assert scopes == {True, False}  # born in LangSmith, and come from a span
    assert {"llm", "chain", "tool", "retriever", "embedding", "prompt", "parser"} <= run_types
