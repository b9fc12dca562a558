"""Record what today's runs -> spans code makes of every case (tests/runs_oracle/cases.py).

    python -m tests.runs_oracle.record          # rewrite recording.json.xz (~1 min)
    python -m tests.runs_oracle.record --check  # compare instead

Re-record only in a commit that says which difference is intended and why (README.md).
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from otel_runs.model.run import Run

RECORDING: Final = Path(__file__).with_name("recording.json.xz")
FORMAT: Final = 1
DRAWN: Final = 300
"""Examples of `langsmith_runs()`."""
CORPUS_GROUPS: Final = range(0, 150, 15)
"""Groups of the spans -> runs oracle's corpus whose runs are span-born cases."""
SPAN_FORESTS: Final = 60
BENCH_TRACES: Final = 6


def _as_dict(run: Run) -> dict[str, Any]:
    return {**run.to_dict(), **run.unmapped}


def _json_ready(runs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(json.dumps(list(runs)))
    return out


def _draw(strategy: Any, count: int) -> list[Any]:
    from hypothesis import HealthCheck, Phase, given, settings

    found: list[Any] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


def _bench_runs() -> list[list[dict[str, Any]]]:
    """bench/runs_to_spans.py's agent traces as the SDK's serializer sends them."""
    from unittest import mock
    from uuid import UUID

    from bench import runs_to_spans as bench
    from langsmith._internal._operations import serialize_run_dict

    from tests.fixtures.runs.langsmith_sdk import sdk_run_dicts

    counter = iter(range(1, 10**6))
    out = []
    with mock.patch("uuid.uuid4", lambda: UUID(int=next(counter) * 0x1_0001_0001)):
        for index in range(BENCH_TRACES):
            operations = [serialize_run_dict("post", dict(p)) for p in bench._trace(index)]
            out.append(_json_ready(sdk_run_dicts(operations)))
    return out


def _span_born() -> list[list[dict[str, Any]]]:
    from otel_runs.convert.spans_to_runs import convert_records
    from tests.fixtures.runs.roundtrip import span_forests
    from tests.oracle import corpus, keys
    from tests.oracle.recording import Recording

    catalogue = keys.Catalogue.from_json(Recording.load().doc["catalogue"])
    out = []
    for index in CORPUS_GROUPS:
        runs = convert_records(corpus.group(index, catalogue).records).runs
        out.append(_json_ready(_as_dict(run) for run in runs))
    forests = [convert_records(f).runs for f in _draw(span_forests(), SPAN_FORESTS)]
    for start in range(0, len(forests), 10):  # ten forests a case
        out.append(_json_ready(_as_dict(r) for runs in forests[start : start + 10] for r in runs))
    return out


def inputs() -> dict[str, list[dict[str, Any]] | None]:
    """Every case's run dicts (None: read from the export fixture)."""
    from tests.fixtures.runs.langsmith_sdk import sdk_operations, sdk_run_dicts
    from tests.fixtures.runs.roundtrip import langsmith_runs

    cases: dict[str, list[dict[str, Any]] | None] = {"export": None}
    cases["sdk"] = _json_ready(sdk_run_dicts(sdk_operations()))
    for index, runs in enumerate(_bench_runs()):
        cases[f"bench/{index:02d}"] = runs
    for index, drawn in enumerate(_draw(langsmith_runs(), DRAWN)):
        cases[f"drawn/{index:03d}"] = _json_ready(_as_dict(run) for run in drawn)
    for index, runs in enumerate(_span_born()):
        cases[f"span_born/{index:02d}"] = runs
    return cases


def load() -> dict[str, Any]:
    with lzma.open(RECORDING, "rt", encoding="utf-8") as file:
        doc: dict[str, Any] = json.load(file)
    return doc


def main(argv: list[str] | None = None) -> int:
    from tests.runs_oracle.cases import export_runs, outcome
    from tests.runs_oracle.compare import check

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare instead of recording")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.check:
        doc = load()
        problems = [p for name in doc["cases"] if (p := check(name, doc))]
        print(*problems, sep="\n")
        print(f"checked {len(doc['cases'])} cases: {len(problems)} differ")
        return 1 if problems else 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about its own deprecations
        found = inputs()
    cases: dict[str, Any] = {}
    runs = 0
    for name, dicts in found.items():
        given = dicts if dicts is not None else export_runs()[0]
        cases[name] = {"inputs": dicts, "outcome": outcome(name, given)}
        runs += len(given)
    doc = {
        "format": FORMAT,
        "written_by": "python -m tests.runs_oracle.record",
        "export_digest": export_runs()[1],
        "cases": cases,
    }
    text = json.dumps(doc, separators=(",", ":"))
    with lzma.open(RECORDING, "wt", encoding="utf-8", preset=9) as file:
        file.write(text)
    print(
        f"recorded {len(cases)} cases, {runs} runs -> {RECORDING.name} "
        f"{RECORDING.stat().st_size / 1e6:.2f} MB in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
