"""Per-run CPU of the three steps from a LangSmith API run dict to OTLP bytes, in one process.

    python scripts/runs_to_spans_steps.py [ROUNDS]

The benchmark's agent traces (bench/runs_to_spans.py: chain, chat model with usage and a
streamed token, tool) as the `langsmith` SDK's serializer writes them, 990 runs; each round
reads fresh copies of the dicts with `run_sharing_input` (what `otel-runs serve` does), maps
them with `run_to_record` and encodes them with `encode_request`, garbage collection off;
prints the medians (the first round is a warm-up). For A/B, run it alternately against two
source trees (`PYTHONPATH=<other tree>/src python scripts/runs_to_spans_steps.py`).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from bench.runs_to_spans import _trace
    from langsmith._internal._operations import serialize_run_dict
    from tests.fixtures.runs.langsmith_sdk import sdk_run_dicts

    import otel_runs
    from otel_runs.files.encode_proto import encode_request
    from otel_runs.model.run import run_sharing_input
    from otel_runs.runs_to_spans.record import run_to_record

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    dicts = []
    for index in range(330):
        operations = [serialize_run_dict("post", dict(p)) for p in _trace(index)]
        dicts += json.loads(json.dumps(sdk_run_dicts(operations)))
    count = len(dicts)
    samples: dict[str, list[float]] = {"run": [], "record": [], "encode": []}
    for index in range(rounds):
        fresh = json.loads(json.dumps(dicts))
        gc.collect()
        gc.disable()
        t0 = time.process_time()
        runs = [run_sharing_input(d) for d in fresh]
        t1 = time.process_time()
        records = [run_to_record(run) for run in runs]
        t2 = time.process_time()
        encode_request(records)
        t3 = time.process_time()
        gc.enable()
        if index:
            samples["run"].append((t1 - t0) / count * 1e6)
            samples["record"].append((t2 - t1) / count * 1e6)
            samples["encode"].append((t3 - t2) / count * 1e6)
    medians = {name: round(statistics.median(values), 2) for name, values in samples.items()}
    print(f"{Path(otel_runs.__file__).parent}: µs per run {medians}")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about its own deprecations
        main()
