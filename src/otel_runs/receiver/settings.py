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
GC_THRESHOLDS: Final = (1_000_000, 20, 20)
"""Garbage collection in the receiving process and its workers: a young collection once 1M
more objects were allocated than freed (Python's default is 700), older ones more rarely. A
converting receiver keeps runs, lineages and spans alive across collections (the outbox, the
assembler), so every young collection walks them again and frees next to nothing. At 10k,
collections took 4-4.5 us per span of the end-to-end benchmark; at 100k 0.3-1 us, ~3 us once
the outbox held a batch being committed beside the next one; 300k (the setting until
2026-12-04) took 1.5 us a span less than 100k. At 300k one process still spent 2.9-3.5 us of
CPU a span in ~7 young collections of ~0.09 s each, and two workers 3.6-4.4 us a span between
them, 4-5 collections each for half the spans (the collecting thread's CPU, timed with
`gc.callbacks` over `bench/forwarding.py`'s rounds on the AMD EPYC host). What a worker adds
and frees per batch stays under 1M live objects, so at 1M no young collection ran in those
rounds (~4% of the CPU a span saved in one process, ~5% with two workers). End to end that is
within the host's noise (six paired rounds: 1.03x spans/s one process, 1.01x two workers; an
earlier try of 1M, forwarding alone in one process, was within noise too). The orphan flood's
peak RSS: 260 -> 273 MiB (`bench/run --only memory`, still flat). A cycle waits at most 1M
allocations (~50-100 MB) longer to be freed, and a young collection, when one comes, walks up
to 1M objects (~0.3 s)."""


def default_spool_path() -> Path:
    """`$OTEL_RUNS_SPOOL` if set and not empty, else `otel-runs-spool.sqlite` in the working
    directory."""
    configured = os.environ.get(ENV_SPOOL, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.cwd() / DEFAULT_SPOOL_NAME
