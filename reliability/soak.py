"""Soak: a steady stream through a real `otel-runs serve` for minutes, then a proof of arrival.

The receiver runs as a subprocess (HTTP only) with a SQLite store and its spool in a scratch
directory. A `Sender` posts OTLP/protobuf requests at a fixed rate (traces cut across requests,
as SDK batches cut them), and a `Sampler` reads the receiver's RSS and the spool's size on disk
while it runs. At the end the sender stops producing, the receiver delivers, and every
acknowledged span must be a run in the store (`lost`), with no run that was never sent
(`extra_runs`). The receiver is then stopped with SIGTERM and must exit 0.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Final
from uuid import UUID

from tests.support.receiver_proc import start_serve

from reliability.common import Figures, Sampler, files_bytes, stored_run_ids, wait_for
from reliability.payload import Payloads
from reliability.sender import Sender

DRAIN_TIMEOUT_S: Final = 300.0
"""How long the receiver may take to deliver the last acknowledged spans."""


def run_ids(span_ids: set[int]) -> set[str]:
    """The run ids spans become (UUID of the span id)."""
    return {str(UUID(int=span_id)) for span_id in span_ids}


def soak(
    seconds: float,
    *,
    rate_per_s: float = 10.0,
    traces_per_request: int = 4,
    spans_per_trace: int = 5,
) -> Figures:
    """Stream for `seconds` at `rate_per_s` requests per second; figures of the whole run."""
    with tempfile.TemporaryDirectory(prefix="otel-runs-soak-") as scratch:
        store = Path(scratch) / "runs.sqlite"
        spool = Path(scratch) / "spool.sqlite"
        served = start_serve(store, "--spool", str(spool), grpc=False)
        try:
            url = f"{served.http_url}/v1/traces"
            payloads = Payloads(traces_per_request, spans_per_trace, split=True)
            sender = Sender(lambda: url, payloads.next_body, rate_per_s)
            every_s = max(1.0, seconds / 150)
            with Sampler(served.process.pid, [spool], every_s) as sampler:
                started = time.monotonic()
                sender.start()
                time.sleep(seconds)
                sender.stop_producing(payloads.flush)
                sender.drained.wait(DRAIN_TIMEOUT_S)
                streamed_s = time.monotonic() - started
                expected = run_ids(sender.acked_ids())
                arrived = wait_for(lambda: expected <= stored_run_ids(store), DRAIN_TIMEOUT_S, 1.0)
                drain_s = time.monotonic() - sender.last_ack_at
            sender.halt()
            exit_code = served.stop()
        finally:
            if served.process.poll() is None:
                served.kill()
        stored = stored_run_ids(store)
        return {
            "scenario": "soak",
            "seconds": round(streamed_s, 1),
            "rate_requests_per_s": rate_per_s,
            "spans_per_request": payloads.spans_per_request,
            **sender.figures(),
            "runs_stored": len(stored),
            "lost": len(expected - stored),
            "extra_runs": len(stored - run_ids(sender.produced_ids())),
            "all_arrived": arrived,
            "delivered_within_s_of_last_ack": round(drain_s, 1),
            **sampler.figures(),
            "store_mib": round(files_bytes(store) / 2**20, 1),
            "exit_code": exit_code,
        }
