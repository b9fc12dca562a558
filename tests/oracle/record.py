"""Rewrite the oracle's recording: `python -m tests.oracle.record` (or `scripts/record_oracle`).

Runs every case with the code as it is and writes tests/oracle/recording/. Re-record only in a
commit that says which difference is intended and why (tests/oracle/README.md).

    python -m tests.oracle.record            # write the recording
    python -m tests.oracle.record --check    # compare instead, every case in reverse order

Cases run as in production (`outcome.as_in_production`): an internal error is logged and the
span rejected, and the recording keeps what was logged; each one is printed here.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tests.oracle import keys
from tests.oracle.cases import EXAMPLE_STRATEGIES, Inputs, base_of, case, case_names
from tests.oracle.compare import check
from tests.oracle.outcome import run_case
from tests.oracle.recording import (
    DIRECTORY,
    FORMAT,
    RUNS,
    Recording,
    Writer,
    environment,
    prices_version,
)
from tests.oracle.serial import record_to_json


def _draw(strategy: Any, count: int) -> list[Any]:
    """The last `count` of a derandomized run's examples (the later draws are the larger)."""
    from hypothesis import HealthCheck, Phase, given, settings

    found: list[Any] = []

    @settings(max_examples=count * 4, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found[-count:]


def draw_examples() -> dict[str, list[Any]]:
    """Examples of the hypothesis strategies of tests/support and tests/fixtures/runs, as JSON."""
    from tests.fixtures.runs.roundtrip import langsmith_runs, span_forests
    from tests.support.strategies import forests, stamped_forests

    strategies = {
        "forests": forests().map(lambda f: f.records()),
        "stamped_forests": stamped_forests().map(lambda f: f.records()),
        "span_forests": span_forests(),
        "langsmith_runs": langsmith_runs(),
    }
    out: dict[str, list[Any]] = {}
    for name, count in EXAMPLE_STRATEGIES.items():
        picked = _draw(strategies[name], count)
        if name == "langsmith_runs":
            out[name] = [[{**run.to_dict(), **run.unmapped} for run in runs] for runs in picked]
        else:
            out[name] = [[record_to_json(r) for r in records] for records in picked]
        assert len(out[name]) == count, (name, len(out[name]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare, in reverse order")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.check:
        recording = Recording.load()
        doc = recording.doc
        inputs = Inputs(keys.Catalogue.from_json(doc["catalogue"]), doc["examples"])
        if doc["genai_prices"] != prices_version():
            print(f"recorded with genai-prices {doc['genai_prices']}, {prices_version()} installed")
        problems = [p for n in reversed(case_names()) if (p := check(n, inputs, recording))]
        print(*problems, sep="\n")
        elapsed = time.perf_counter() - started
        print(f"checked {len(case_names())} cases backwards in {elapsed:.1f} s:", end=" ")
        print(f"{len(problems)} differ")
        return 1 if problems else 0
    catalogue = keys.catalogue()
    examples = draw_examples()
    inputs = Inputs(catalogue, examples)
    writer = Writer({
        "format": FORMAT,
        "written_by": "python -m tests.oracle.record",
        "genai_prices": prices_version(),
        "environment": environment(),
        "catalogue": catalogue.to_json(),
        "examples": examples,
    })
    runs = 0
    for name in case_names():
        found = case(name, inputs)
        outcome = run_case(found.run)
        if outcome.logged:
            print(f"{name}: the converter logged {outcome.logged[:2]}", file=sys.stderr)
        writer.add_case(name, found.inputs(), outcome, base_of(name))
        runs += len(outcome.runs)
    writer.save()
    size = sum(path.stat().st_size for path in DIRECTORY.iterdir())
    print(
        f"recorded {len(writer.index)} cases, {runs} runs -> {DIRECTORY.name}/ "
        f"{size / 1e6:.2f} MB ({RUNS}: {(DIRECTORY / RUNS).stat().st_size / 1e6:.2f} MB) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
