"""LangSmith down for a while, spans flowing all along: nothing lost, retries spaced as asked.

`otel-runs serve --langsmith` points at the loopback fake LangSmith (tests/support). A `Sender`
streams at a steady rate through phases in which the fake answers every ingest request with one
fault (429 or 503 with or without `Retry-After`, or no answer in time), then recovers. The fake
records when each request arrived, so the spacing of the receiver's attempts can be checked
against what each answer asked for:

- after an answer with `Retry-After: R`, the next request comes no sooner than R seconds later
  (`violations` counts the gaps that were shorter);
- after a 503 without it, or a timeout, the gap is the receiver's own backoff (reported).

Meanwhile the receiver's RSS and its spool's size on disk are sampled (the spool may be capped
with `spool_max_mib` so the outage fills it: then the receiver answers 503 and the sender
waits). After recovery every acknowledged span must reach the fake (`lost`), each run accepted
once (`accepted_twice`), none that was never sent (`extra_runs`).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from tests.support.fake_langsmith import Fault, RecordedRequest, running_fake_langsmith
from tests.support.receiver_proc import start_serve

from reliability.common import MIB, Figures, Sampler, wait_for
from reliability.payload import Payloads
from reliability.sender import Sender
from reliability.soak import run_ids

SINK_TIMEOUT_S: Final = 10.0
"""`LangSmithSink`'s default per-request timeout, which `otel-runs serve` uses."""
RECOVERY_TIMEOUT_S: Final = 600.0
_FAULTS_PER_PHASE: Final = 100_000
"""Enough faults to answer every request of a phase; the rest are cleared at its end."""


@dataclass(frozen=True, slots=True)
class Phase:
    """What the fake does for `seconds`: `fault` for every ingest request, or None (healthy)."""

    name: str
    seconds: float
    fault: Fault | None = None

    @property
    def retry_after_s(self) -> float | None:
        if self.fault is None or self.fault.retry_after is None:
            return None
        return float(self.fault.retry_after)

    @property
    def times_out(self) -> bool:
        return self.fault is not None and self.fault.delay > SINK_TIMEOUT_S


def _phase(name: str, seconds: float, **fault: Any) -> Phase:
    # The fault's message names the phase, so each recorded answer says which fault it was.
    return Phase(name, seconds, Fault(message=f"phase {name}", **fault))


def smoke_phases() -> list[Phase]:
    """Seven seconds: at most five faulty answers, so every retry happens inside one
    `LangSmithSink.write` (it makes up to six attempts). The long phases go past that."""
    return [
        Phase("healthy", 1.0),
        _phase("429 Retry-After 2", 4.0, status=429, retry_after="2"),
        _phase("503 Retry-After 1", 2.0, status=503, retry_after="1"),
    ]


def long_phases(minutes: float = 8.0) -> list[Phase]:
    """About `minutes` of outage in six kinds of fault (the default is eight minutes)."""
    unit = minutes * 60 / 8
    return [
        Phase("healthy", 20.0),
        _phase("429 Retry-After 5", 1.5 * unit, status=429, retry_after="5"),
        _phase("503 Retry-After 10", 1.5 * unit, status=503, retry_after="10"),
        _phase("503 Retry-After 45", 1.5 * unit, status=503, retry_after="45"),
        _phase("503, no Retry-After", 1.0 * unit, status=503),
        _phase("no answer in time", 1.5 * unit, status=503, delay=SINK_TIMEOUT_S + 5),
        _phase("stored, answer lost", 1.0 * unit, status=None, delay=SINK_TIMEOUT_S + 5),
    ]


def outage(
    phases: list[Phase],
    *,
    rate_per_s: float = 10.0,
    traces_per_request: int = 4,
    spans_per_trace: int = 5,
    spool_max_mib: int | None = None,
) -> Figures:
    """Run the phases, then recover; figures of the whole run and of each phase's retries."""
    with tempfile.TemporaryDirectory(prefix="otel-runs-outage-") as scratch, \
            running_fake_langsmith() as fake:  # fmt: skip
        spool = Path(scratch) / "spool.sqlite"
        env = {
            "LANGSMITH_API_KEY": fake.api_key,
            "LANGSMITH_ENDPOINT": fake.url,
            "OTEL_RUNS_LOG_SETTLE_SECONDS": "0.2",
        }
        if spool_max_mib is not None:
            env["OTEL_RUNS_SPOOL_MAX_BYTES"] = str(spool_max_mib * MIB)
        served = start_serve(
            Path(scratch) / "ls", "--spool", str(spool), grpc=False, langsmith=True, env=env
        )
        try:
            url = f"{served.http_url}/v1/traces"
            payloads = Payloads(traces_per_request, spans_per_trace, split=True)
            sender = Sender(lambda: url, payloads.next_body, rate_per_s)
            with Sampler(served.process.pid, [spool], 1.0) as sampler:
                started = time.monotonic()
                sender.start()
                windows: list[Window] = []
                for phase in phases:
                    fake.clear_faults()
                    if phase.fault is not None:
                        fake.inject(phase.fault, times=_FAULTS_PER_PHASE)
                    begun = time.monotonic()
                    time.sleep(phase.seconds)
                    windows.append((phase, begun, time.monotonic()))
                fake.clear_faults()  # LangSmith is back
                recovered_at = time.monotonic()
                outage_s = recovered_at - started
                sender.stop_producing(payloads.flush)
                sender.drained.wait(RECOVERY_TIMEOUT_S)
                expected = run_ids(sender.acked_ids())
                arrived = wait_for(lambda: expected <= set(fake.runs), RECOVERY_TIMEOUT_S, 0.5)
                recovery_s = time.monotonic() - recovered_at
            sender.halt()
            exit_code = served.stop()
        finally:
            if served.process.poll() is None:
                served.kill()
        delivered = set(fake.runs)
        requests = fake.ingest_requests()
        return {
            "scenario": "outage",
            "seconds_streamed": round(outage_s, 1),
            "phases": ", ".join(f"{p.name} {p.seconds:g}s" for p in phases),
            "rate_requests_per_s": rate_per_s,
            "spool_max_mib": spool_max_mib,
            **sender.figures(),
            "runs_delivered": len(delivered),
            "lost": len(expected - delivered),
            "extra_runs": len(delivered - run_ids(sender.produced_ids())),
            "accepted_twice": sum(1 for count in fake.accepted.values() if count > 1),
            "all_arrived": arrived,
            "recovered_in_s": round(recovery_s, 1),
            "langsmith_requests": len(requests),
            "langsmith_409": sum(1 for r in requests if r.status == 409),
            **sampler.figures(),
            "exit_code": exit_code,
            "retry_spacing": spacing(windows, requests),
        }


Window = tuple[Phase, float, float]
"""A phase and when it was in force (time.monotonic() at its start and end)."""


def spacing(windows: list[Window], requests: list[RecordedRequest]) -> list[Figures]:
    """Per faulty phase: how long the receiver waited after each faulty answer.

    A request got a phase's fault when its recorded message is the fault's, or, for a fault
    that answers normally but late (`status=None`: stored, answer lost), when it arrived while
    the phase was in force. The gap runs from its arrival to the next request's arrival, minus
    the sink's timeout for faults answered too late. A gap shorter than the answer's
    Retry-After is a violation.
    """
    by_message = {w[0].fault.message: w[0] for w in windows if w[0].fault is not None}
    late = [w for w in windows if w[0].fault is not None and w[0].fault.status is None]

    def phase_of(request: RecordedRequest) -> Phase | None:
        found = by_message.get(request.message)
        if found is not None:
            return found
        for phase, start, end in late:
            if start <= request.received_at < end:
                return phase
        return None

    gaps: dict[str, list[float]] = {phase.name: [] for phase in by_message.values()}
    ordered = sorted(requests, key=lambda r: r.received_at)
    for first, second in pairwise(ordered):
        phase = phase_of(first)
        if phase is None:
            continue
        waited = second.received_at - first.received_at
        if phase.times_out:
            waited -= SINK_TIMEOUT_S
        gaps[phase.name].append(waited)
    rows: list[Figures] = []
    for phase in by_message.values():
        found = gaps[phase.name]
        promised = phase.retry_after_s
        rows.append(
            {
                "phase": phase.name,
                "faulty_answers": len(found),
                "min_gap_s": round(min(found), 2) if found else None,
                "max_gap_s": round(max(found), 2) if found else None,
                "retry_after_s": promised,
                "violations": (
                    sum(1 for gap in found if gap < promised) if promised is not None else None
                ),
            }
        )
    return rows
