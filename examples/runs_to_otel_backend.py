"""Move a LangSmith runs file into any OpenTelemetry backend: Jaeger, Tempo, Phoenix, Langfuse
or an OpenTelemetry Collector.

    python examples/runs_to_otel_backend.py runs.jsonl
    python examples/runs_to_otel_backend.py runs.jsonl --endpoint http://localhost:4318/v1/traces \
        --header "authorization=Bearer ..."

The file holds one run per line, as LangSmith exports them (or `otel-runs runs --json` prints
them). Each run becomes an OTel span with the run's ids, times, inputs, outputs, tokens and
errors in LangSmith's, the GenAI and OpenInference attribute conventions, and the OTel SDK's
own OTLP/HTTP exporter sends them in batches. `otel-runs convert runs.jsonl --to otlp-http URL`
does the same from the command line.

Start a local Jaeger to look at the result:

    docker run --rm -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

import otel_runs

BATCH = 256


def read_runs(path: Path) -> Iterator[otel_runs.Run]:
    """The runs of a JSON-lines file; a line that is not a run is reported and skipped."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield otel_runs.Run.from_dict(json.loads(line))
            except (ValueError, otel_runs.InvalidRunError) as exc:
                print(f"{path}:{number}: skipped: {exc}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=Path, help="runs file (JSON lines)")
    parser.add_argument(
        "--endpoint",
        default=os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://localhost:4318/v1/traces"
        ),
        help="OTLP/HTTP traces endpoint (default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else "
        "http://localhost:4318/v1/traces)",
    )
    parser.add_argument("--header", action="append", default=[], help="KEY=VALUE (repeatable)")
    args = parser.parse_args()
    headers = dict(pair.split("=", 1) for pair in args.header)
    exporter = OTLPSpanExporter(endpoint=args.endpoint, headers=headers or None)

    sent = failed = 0
    traces: set[UUID] = set()
    runs = read_runs(args.runs)
    while True:
        batch = [run for _, run in zip(range(BATCH), runs, strict=False)]
        if not batch:
            break
        spans = otel_runs.runs_to_spans(batch)
        if exporter.export(spans) is SpanExportResult.SUCCESS:
            sent += len(spans)
            traces.update(run.trace_id for run in batch)
        else:
            failed += len(spans)
    exporter.shutdown()  # type: ignore[no-untyped-call]  # untyped in the OTLP exporter
    print(f"sent {sent} spans of {len(traces)} traces to {args.endpoint}", end="")
    print(f"; {failed} spans were not accepted" if failed else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
