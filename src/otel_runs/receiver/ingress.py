"""What both wire front ends share: the intake, the limits, auth, the in-flight count, the pool.

The pool runs `export_call.handle` (decompress, decode, durable spool write), which blocks, so
neither the HTTP event loop nor gRPC's own threads wait on disk. It has one worker per in-flight
slot: a request that got a slot never queues behind others for a thread.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from otel_runs.receiver.auth import BearerAuth
from otel_runs.receiver.export_call import ExportRequest, Outcome, handle
from otel_runs.receiver.intake import Intake
from otel_runs.receiver.limits import InflightLimiter, Limits


@dataclass(frozen=True, slots=True)
class Ingress:
    """The intake plus the rules every request passes through, whatever its wire."""

    intake: Intake
    limits: Limits = field(default_factory=Limits)
    auth: BearerAuth = field(default_factory=BearerAuth.off)
    limiter: InflightLimiter = field(init=False)
    pool: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        # Frozen for callers; these two are derived from the limits once.
        object.__setattr__(self, "limiter", InflightLimiter(self.limits.max_inflight))
        pool = ThreadPoolExecutor(self.limits.max_inflight, thread_name_prefix="otel-runs-intake")
        object.__setattr__(self, "pool", pool)

    def run(self, request: ExportRequest) -> Outcome:
        """Handle one export on the calling thread (a pool worker or a gRPC worker)."""
        limits = self.limits
        return handle(self.intake, request, limits.max_request_bytes, limits.max_request_spans)

    def close(self) -> None:
        """Wait for running exports to finish, then stop the pool."""
        self.pool.shutdown(wait=True)
