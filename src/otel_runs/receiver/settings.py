"""The receiver service's own environment variables and their defaults.

Each setting resolves as constructor argument > environment variable > default, in the
constructor, through `otel_runs.env_values` (as the exporter's settings do).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

ENV_SPOOL: Final = "OTEL_RUNS_SPOOL"
"""Path of the spool file (default `otel-runs-spool.sqlite` in the working directory)."""
ENV_SPOOL_MAX_BYTES: Final = "OTEL_RUNS_SPOOL_MAX_BYTES"
"""Bytes of undelivered requests the spool may hold before refusing with 503 (default 1 GiB)."""
ENV_SPOOL_SYNC: Final = "OTEL_RUNS_SPOOL_SYNC"
"""`full` (default: fsync every acknowledged request) or `normal` (see docs/spool.md)."""
ENV_LOG_SETTLE: Final = "OTEL_RUNS_LOG_SETTLE_SECONDS"
"""How long a span stays spooled before conversion, so its late log events can join (2)."""
ENV_LOG_WAIT: Final = "OTEL_RUNS_LOG_WAIT_SECONDS"
"""How long a log event waits for its span before it is given up (300)."""
ENV_WORKERS: Final = "OTEL_RUNS_WORKERS"
"""Processes that convert and store runs (default 1: the receiving process itself; 2 or more:
worker processes, one partition of the trace ids each)."""
ENV_PROJECT_FROM: Final = "OTEL_RUNS_PROJECT_FROM"
"""Who may choose a run's project: `any` (default), `span`, `header` or `none`
(receiver/projects.py)."""

DEFAULT_SPOOL_NAME: Final = "otel-runs-spool.sqlite"
DEFAULT_MAX_SPOOL_BYTES: Final = 1024 * 1024 * 1024
MIN_SPOOL_BYTES: Final = 1024 * 1024
"""A spool smaller than one request would refuse everything."""
DEFAULT_LOG_SETTLE_S: Final = 2.0
DEFAULT_LOG_WAIT_S: Final = 300.0
GC_THRESHOLDS: Final = (300_000, 20, 20)
"""Garbage collection in the receiving process and its workers: young collections every 300k
allocations (Python's default is 700), older ones more rarely. A converting receiver keeps
runs, lineages and spans alive across collections (the outbox, the assembler), so every
young collection walked them again: at 10k, collections took 4-4.5 us per span of the
end-to-end benchmark on a quiet machine (far more wall on a busy one, every thread stopped
meanwhile), at 100k 0.3-1 us, ~3 us once the outbox held a batch being committed beside the
next one (forwarding alone, measured with `gc.callbacks`). 300k: 1.5 us less CPU per span
end to end, +1% to +4% spans/s (three alternating runs). A cycle waits at most 300k
allocations (~10-20 MB) longer to be freed."""


def default_spool_path() -> Path:
    """`$OTEL_RUNS_SPOOL` if set and not empty, else `otel-runs-spool.sqlite` in the working
    directory."""
    configured = os.environ.get(ENV_SPOOL, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.cwd() / DEFAULT_SPOOL_NAME
