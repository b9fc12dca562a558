"""Sustained end-to-end rate of the receiver: OTLP request -> spool -> runs -> the local store.

`bench/receiver.py` measures ingest up to the durable 200. What an operator sizes a receiver by
is what it can keep up with for good: every accepted span converted and stored. Here a
`ReceiverService` (the object `otel-runs serve` runs, in-process, without HTTP) takes the
receiver benchmark's 512-span request over and over, ids re-drawn per request so every span is
a new run, and its forwarding thread converts them into a SQLite store (the embedded default
sink). The figure is process CPU per span, ingest + conversion + store, from the first request
until the last run is stored; wall-clock spans/s beside it. Baseline: protobuf parse + a walk
over every field of the same request, as in `bench/receiver.py`. No target: the issues name
none; docs/receiver.md uses the figure for sizing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench.common import Reidentifier, Row
from bench.receiver import baseline_us, payload
from otel_runs.receiver.export_call import ExportRequest, Signal, handle
from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks.sqlite import SqliteSink

_TIMEOUT_S = 600.0


def _fresh_ids(body: bytes, count: int) -> list[bytes]:
    """`count` copies of the request, each with its own trace, span and parent ids."""
    copies = Reidentifier(ExportTraceServiceRequest.FromString(body))
    out = []
    for number in range(1, count + 1):
        copies.rewrite(number)
        out.append(copies.request.SerializeToString())
    return out


def _end_to_end(bodies: list[bytes], spans: int, workdir: Path) -> tuple[float, float]:
    """(process CPU us per span, wall spans/s) until every span is a stored run."""
    service = ReceiverService(
        SqliteSink(workdir / "runs.sqlite"), spool_path=workdir / "spool.sqlite", log_settle_s=0.05
    )
    service.start()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            handle(service, ExportRequest(Signal.TRACES, body), 1 << 30)
        while service.stats()["delivered"] < spans:
            if time.perf_counter() - wall > _TIMEOUT_S:
                raise TimeoutError(f"runs not all stored after {_TIMEOUT_S:.0f} s")
            time.sleep(0.01)
        cpu_us = (time.process_time() - cpu) / spans * 1e6
        return cpu_us, spans / (time.perf_counter() - wall)
    finally:
        service.stop(timeout=30.0)


def forwarding(requests: int, rounds: int) -> list[Row]:
    body, _ = payload()
    per_request = len(Reidentifier(ExportTraceServiceRequest.FromString(body)))
    base, ours, rates = [], [], []
    for round_index in range(rounds):
        bodies = _fresh_ids(body, requests)
        base.append(baseline_us(body, max(requests, 5)))
        with tempfile.TemporaryDirectory(prefix=f"otel-runs-fwd{round_index}-") as workdir:
            cpu_us, rate = _end_to_end(bodies, requests * per_request, Path(workdir))
        ours.append(cpu_us)
        rates.append(rate)
    baseline, server = statistics.median(base), statistics.median(ours)
    return [
        {
            "benchmark": "receiver end to end: request -> spool -> runs in SQLite, sustained",
            "baseline": "protobuf parse + field walk (CPU)",
            "baseline_us": baseline,
            "otel_runs_us": server,
            "ratio": baseline / server,
            "target": "-",
            "spans_per_s": statistics.median(rates),
            "spans_per_core_s": 1e6 / server,
        }
    ]
