"""The oracle: today's spans -> runs output, recorded, must be reproduced exactly.

Every case of tests/oracle/cases.py is re-run with the current code and compared with
tests/oracle/recording/: each run's `to_dict()` and `unmapped`, its ingest JSON as the LangSmith
sink serializes it, and the case's rejections, counts and counters. A difference is
reported with the case, the run and the first differing path. If the difference is intended,
re-record (`python -m tests.oracle.record`) in a commit that says which difference and why
(tests/oracle/README.md).
"""

from __future__ import annotations

from functools import cache

import pytest

from tests.conftest import InternalErrors
from tests.oracle import compare, corpus, keys
from tests.oracle.cases import Inputs, case_names
from tests.oracle.compare import RERECORD
from tests.oracle.recording import Recording, environment, prices_version

NAMES = case_names()


@cache
def _recording() -> Recording:
    return Recording.load()


@cache
def _inputs() -> Inputs:
    doc = _recording().doc
    return Inputs(keys.Catalogue.from_json(doc["catalogue"]), doc["examples"])


@pytest.fixture(scope="module")
def recording() -> Recording:
    """The recording, only if it was made with the genai-prices release installed now (costs
    come from its tables): anything else fails every case, never skips."""
    found = _recording()
    recorded, installed = found.doc["genai_prices"], prices_version()
    if recorded != installed:
        pytest.fail(
            f"the oracle was recorded with genai-prices {recorded}, {installed} is installed: "
            f"costs may differ; pin it in pyproject.toml's dev extra, then {RERECORD}",
            pytrace=False,
        )
    return found


def check(name: str, recording: Recording) -> str | None:
    return compare.check(name, _inputs(), recording)


def _environment_note(recording: Recording) -> str:
    recorded = recording.doc.get("environment", {})
    changed = [
        f"{name} {recorded[name]} -> {now}"
        for name, now in environment().items()
        if name in recorded and recorded[name] != now
    ]
    return f"\n  (recorded with other versions: {', '.join(changed)})" if changed else ""


@pytest.mark.parametrize("name", NAMES)
def test_case_matches_the_recording(
    name: str, recording: Recording, internal_errors: InternalErrors
) -> None:
    """Cases run as in production: internal errors are logged and survived, and the recording
    holds what the converter logged (a case that logs a different error fails)."""
    problem = check(name, recording)
    if problem is not None:
        pytest.fail(problem + _environment_note(recording), pytrace=False)


def test_the_recording_has_exactly_the_cases() -> None:
    assert sorted(_recording().cases) == sorted(NAMES), RERECORD


def test_the_corpus_draws_on_every_convention_constant() -> None:
    """The stored catalogue (what the corpus was generated from) covers every constant of
    otel_runs.conventions as they are now."""
    stored = keys.Catalogue.from_json(_recording().doc["catalogue"])
    missing = keys.uncovered(stored, keys.catalogue())
    assert missing == [], f"conventions gained names the corpus never uses: {missing}; {RERECORD}"


def test_the_corpus_uses_every_name_of_the_catalogue() -> None:
    """Every key, event name and value name of the catalogue appears in the generated corpus."""
    inputs = _inputs()
    records = [r for index in range(corpus.GROUPS) for r in inputs.group(index)[0]]
    assert corpus.unused(inputs.catalogue, records) == []


ORDER_SAMPLE = (
    "fixture/otlp/pydantic_ai/exporter",
    "fixture/otlp/langsmith/roundtrip",
    "fixture/runs/langsmith_export/sdk",
    "support/agent_spans/exporter",
    *(name for name in NAMES if name.startswith("generated/g00")),
)


def test_cases_do_not_depend_on_the_order_they_run_in(recording: Recording) -> None:
    """Caches keyed by object identity (resources, span shapes) must not leak from one case into
    another: a sample run again, backwards, after everything else, still matches."""
    problems = [p for name in reversed(ORDER_SAMPLE) if (p := check(name, recording))]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
