"""OTLP bytes -> each tool's own span objects, per span, on one payload: otel-runs vs MLflow
(`mlflow-tracing`) and Phoenix (`arize-phoenix`), where they install.

What each candidate does with the same `ExportTraceServiceRequest` bytes:

- otel-runs: `decode_request` (protobuf parse + field walk) -> `convert_records` -> runs; the
  "+ JSON" variant also serializes every run as a sink would (`json.dumps(run.to_dict())`).
- MLflow: what its OTLP endpoint (`mlflow/server/otel_api.py`) and its SQL store do per span:
  parse, `Span.from_otel_proto`, `translate_span_when_storing` (the attribute translation its
  store applies), `json.dumps` of the resulting dict. Compared with otel-runs + JSON.
- Phoenix: what its OTLP receiver does per span before storing: parse, then
  `phoenix.trace.otel.decode_otlp_span` (attribute decode, gen_ai -> OpenInference synthesis,
  unflatten). Compared with otel-runs without JSON (neither serializes).

Each candidate runs in a worker process of its own, fed the payload from a file, and rounds are
interleaved across the workers. Two reasons: importing Phoenix pulls pandas, SQLAlchemy and
more into the process (their heaps would weigh on everyone's GC), and Phoenix cannot share an
environment with this project's test suite (see docs/benchmarks.md), so its worker may run on
another interpreter: `OTEL_RUNS_BENCH_PEER_PYTHON=/path/to/python` (default: this one). A peer
that is not installed, or whose function moved, gives a row that says so instead of a figure.

This module imports only the standard library at the top: a worker may run in an environment
without otel-runs.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PEER_PYTHON_ENV = "OTEL_RUNS_BENCH_PEER_PYTHON"
"""Interpreter for the peer workers (a venv with mlflow-tracing / arize-phoenix installed)."""

_ROOT = Path(__file__).resolve().parent.parent
_EXIT_TIMEOUT_S = 30.0

_OFFLINE = {
    # MLflow's cost lookup first fetches a model price list from the internet (then retries for
    # seconds); empty means its bundled copy, which is also what an offline server uses.
    "MLFLOW_MODEL_CATALOG_URI": "",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "PHOENIX_TELEMETRY_ENABLED": "false",
}
"""Benchmarks never reach beyond this machine."""

Convert = Callable[[bytes], int]
"""Converts one whole request; returns how many spans it converted."""


# --- the candidates, as each tool does it (run inside a worker) ---------------------------------


def _otel_runs(serialize: bool) -> Convert:
    from otel_runs.convert.spans_to_runs import convert_records
    from otel_runs.otlp.decode import decode_request

    def convert(body: bytes) -> int:
        runs = convert_records(decode_request(body).records).runs
        if serialize:
            for run in runs:
                json.dumps(run.to_dict(), default=str)
        return len(runs)

    return convert


def _spans_of(body: bytes) -> list[Any]:
    import importlib

    service = importlib.import_module("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    request = service.ExportTraceServiceRequest.FromString(body)
    return [
        span
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]


def _mlflow() -> Convert:
    import importlib

    span_class = importlib.import_module("mlflow.entities.span").Span
    translate = importlib.import_module("mlflow.tracing.otel.translation")
    to_stored = translate.translate_span_when_storing

    def convert(body: bytes) -> int:
        spans = _spans_of(body)
        for span in spans:
            json.dumps(to_stored(span_class.from_otel_proto(span)))
        return len(spans)

    return convert


def _phoenix() -> Convert:
    import importlib

    decode_otlp_span = importlib.import_module("phoenix.trace.otel").decode_otlp_span

    def convert(body: bytes) -> int:
        spans = _spans_of(body)
        for span in spans:
            decode_otlp_span(span)
        return len(spans)

    return convert


# name -> (how to build it, which distribution provides it, what it runs)
CANDIDATES: dict[str, tuple[Callable[[], Convert], str, str]] = {
    "otel_runs": (lambda: _otel_runs(False), "otel-runs", "decode_request + convert_records"),
    "otel_runs_json": (
        lambda: _otel_runs(True),
        "otel-runs",
        "decode_request + convert_records + json.dumps",
    ),
    "mlflow": (
        _mlflow,
        "mlflow-tracing",
        "MLflow Span.from_otel_proto + translate_span_when_storing + json.dumps",
    ),
    "phoenix": (_phoenix, "arize-phoenix", "Phoenix decode_otlp_span"),
}


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


def worker(name: str, payload: Path, repeat: int) -> None:
    """Serve `measure` lines on stdin with CPU µs per span of one candidate, one JSON line each.

    The first line says `ready` (with the version measured) or `skip` (with the reason).
    """
    import warnings

    build, distribution, _ = CANDIDATES[name]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # peers' import-time deprecation noise
            convert = build()
    except ImportError as exc:
        _say({"skip": f"{distribution} not installed ({exc.name or exc})"})
        return
    except AttributeError as exc:
        _say({"skip": f"{distribution} {_version(distribution)}: function not found ({exc})"})
        return
    body = payload.read_bytes()
    try:
        convert(body)  # warm-up, and proof the function accepts this payload
    except Exception as exc:
        _say({"skip": f"{distribution} {_version(distribution)} failed: {exc!r:.200}"})
        return
    _say({"ready": _version(distribution)})
    for line in sys.stdin:
        if line.strip() != "measure":
            break
        gc.collect()
        spans = 0
        start = time.process_time()
        for _ in range(repeat):
            spans += convert(body)
        _say({"us": (time.process_time() - start) / spans * 1e6})


def _say(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


# --- the parent: payload, workers, interleaved rounds, rows --------------------------------------


class _Worker:
    """One candidate's worker process."""

    def __init__(self, name: str, python: str, payload: Path, repeat: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
        env.update(_OFFLINE)
        self.name = name
        self.process = subprocess.Popen(
            [python, "-m", "bench.peers", "--worker", name, str(payload), str(repeat)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=_ROOT,
            env=env,
        )
        self.ready: str | None = None
        self.skipped: str | None = None

    def start(self) -> None:
        answer = self._read()
        if "ready" in answer:
            self.ready = str(answer["ready"])
        else:
            self.skipped = str(answer.get("skip", answer))

    def measure(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write("measure\n")
        self.process.stdin.flush()
        answer = self._read()
        if "us" not in answer:
            raise RuntimeError(f"{self.name} worker stopped: {answer}")
        return float(answer["us"])

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(_EXIT_TIMEOUT_S)
            return {"skip": f"worker exited with status {self.process.returncode}"}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _payload(n: int) -> bytes:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    from bench.common import finished_spans

    body: bytes = encode_spans(finished_spans(n)).SerializeToString()
    return body


def peers(n: int, rounds: int, repeat: int = 1) -> list[dict[str, Any]]:
    """Rows: otel-runs vs each peer on one payload of about `n` spans (nested, 10 attributes).

    A peer that cannot run gives a row with `skipped` (the reason) and no figures.
    """
    from bench.common import Row, row

    peer_python = os.environ.get(PEER_PYTHON_ENV) or sys.executable
    with tempfile.TemporaryDirectory(prefix="otel-runs-bench-") as scratch:
        payload = Path(scratch) / "request.pb"
        payload.write_bytes(_payload(n))
        workers = {
            name: _Worker(
                name,
                sys.executable if name.startswith("otel_runs") else peer_python,
                payload,
                repeat,
            )
            for name in CANDIDATES
        }
        try:
            for item in workers.values():  # all started at once: their imports overlap
                item.start()
            for name in ("otel_runs", "otel_runs_json"):
                if workers[name].skipped:
                    raise RuntimeError(f"otel-runs worker failed: {workers[name].skipped}")
            live = {name: item for name, item in workers.items() if item.ready is not None}
            samples: dict[str, list[float]] = {name: [] for name in live}
            for _ in range(rounds):
                for name, item in live.items():
                    samples[name].append(item.measure())
        finally:
            for item in workers.values():
                item.close()
    median = {name: sorted(values)[len(values) // 2] for name, values in samples.items()}
    rows: list[Row] = []
    for peer, ours, what in (
        ("mlflow", "otel_runs_json", "conversion vs MLflow: OTLP bytes -> runs + JSON"),
        ("phoenix", "otel_runs", "conversion vs Phoenix: OTLP bytes -> runs"),
    ):
        _, distribution, label = CANDIDATES[peer]
        benchmark = f"{what}, CPU per span"
        if peer in median:
            line = row(
                benchmark,
                f"{label} ({distribution} {workers[peer].ready})",
                median[peer],
                median[ours],
                "<= 0.5 (2x faster)",
            )
        else:
            line = {
                "benchmark": benchmark,
                "baseline": label,
                "target": "<= 0.5 (2x faster)",
                "skipped": workers[peer].skipped,
            }
        rows.append(line)
    return rows


def main(argv: Sequence[str]) -> None:
    if len(argv) == 4 and argv[0] == "--worker":
        worker(argv[1], Path(argv[2]), int(argv[3]))
        return
    raise SystemExit(
        "usage: python -m bench.peers --worker NAME PAYLOAD REPEAT (used by bench/run)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
