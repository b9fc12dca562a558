"""One worker process of `otel-runs serve --workers N`: converts and stores one partition.

    python -m otel_runs.receiver.worker_process FD

Started by `WorkerPool` (worker_pool.py) with one end of a socket pair as descriptor FD, and the
spool's lock descriptor inherited (so a new receiver cannot take the spool while this process
still writes to it). Over the socket it first receives its `WorkerSettings`, then:

    front end -> worker            worker -> front end
    ("wake",)                      ("ready",) or ("failed", why)   once, after the settings
    ("stats", n)                   ("stats", n, counts)            Forwarding.counts()
    ("stop", drain, timeout_s)     ("stopped", drained)            then it exits 0

It attaches to the spool (`Spool.attach`), builds its own sink from `sink_factory`, and runs the
same forwarding thread `ReceiverService` runs in one process, on the rows of its partition.
SIGINT and SIGTERM are ignored (a Ctrl-C reaches the whole process group; the front end decides
how to stop). When the socket closes without a stop, the front end is gone (killed): the worker
exits at once, as if killed with it; the spool makes that safe.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Final

from otel_runs.convert.spans_to_runs import Keep
from otel_runs.privacy import Privacy
from otel_runs.receiver.forwarder import Forwarder
from otel_runs.receiver.forwarding import Forwarding
from otel_runs.receiver.pipeline import Pipeline
from otel_runs.receiver.settings import GC_THRESHOLDS
from otel_runs.receiver.spool import Spool, Synchronous
from otel_runs.sinks import RunSink

_logger = logging.getLogger(__name__)

_LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s[worker %(part)s]: %(message)s"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Everything a worker needs, sent pickled: the callables (`sink_factory`, a `keep`
    function, privacy hooks) must be importable by name."""

    spool_path: Path
    part: int
    parts: int
    sink_factory: Callable[[], RunSink]
    synchronous: Synchronous
    """Of the worker's connection to the spool, which only marks."""
    lock_timeout_s: float
    keep: Keep
    ttl_s: float
    max_waiting: int
    settle_s: float
    log_wait_s: float
    max_outbox_runs: int
    sink_batch_size: int | None
    retry_backoff_s: float
    privacy: Privacy
    log_level: int | None
    """The front end's logging level; None when it configured no logging (the worker then
    leaves Python's defaults: warnings to stderr)."""


def run(fd: int) -> int:
    """The worker's life: settings, start, answer until stopped (or the front end is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    channel = Connection(fd)
    try:
        settings: WorkerSettings = channel.recv()
    except (EOFError, OSError):
        return 1
    _configure_logging(settings)
    try:
        forwarding, spool = _build(settings)
    except Exception as exc:  # the front end reports it and stops starting
        channel.send(("failed", f"{type(exc).__name__}: {exc}"))
        return 1
    gc.collect()
    gc.freeze()  # the modules and settings: never garbage, never scanned again
    gc.set_threshold(*GC_THRESHOLDS)
    forwarding.start()
    channel.send(("ready",))
    while True:
        try:
            message = channel.recv()
        except (EOFError, OSError):
            os._exit(0)  # the front end is gone: stop now, as if killed with it
        kind = message[0]
        if kind == "wake":
            forwarding.wake()
        elif kind == "stats":
            channel.send(("stats", message[1], forwarding.counts()))
        elif kind == "stop":
            drained = forwarding.stop(time.monotonic() + message[2], drain=message[1])
            spool.close()
            channel.send(("stopped", drained))
            return 0


def _build(settings: WorkerSettings) -> tuple[Forwarding, Spool]:
    spool = Spool.attach(
        settings.spool_path,
        synchronous=settings.synchronous,
        lock_timeout_s=settings.lock_timeout_s,
    )
    try:
        sink = settings.sink_factory()
        try:
            return forwarding_over(spool, sink, settings), spool
        except BaseException:
            sink.close()
            raise
    except BaseException:
        spool.close()
        raise


def forwarding_over(spool: Spool, sink: RunSink, settings: WorkerSettings) -> Forwarding:
    """The forwarding of one partition of the spool (`settings.part` of `settings.parts`) into
    `sink`: what a worker runs, and what the receiving process runs itself without workers."""
    forwarder = Forwarder(
        sink,
        batch_size=settings.sink_batch_size,
        max_runs=settings.max_outbox_runs,
        first_backoff_s=settings.retry_backoff_s,
        background=True,
    )
    pipeline = Pipeline(
        spool,
        forwarder,
        keep=settings.keep,
        ttl_s=settings.ttl_s,
        max_waiting=settings.max_waiting,
        settle_s=settings.settle_s,
        log_wait_s=settings.log_wait_s,
        privacy=settings.privacy,
        part=settings.part,
        parts=settings.parts,
    )
    return Forwarding(pipeline, forwarder)


def _configure_logging(settings: WorkerSettings) -> None:
    if settings.log_level is None:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT, defaults={"part": settings.part}))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m otel_runs.receiver.worker_process FD (started by otel-runs serve)",
              file=sys.stderr)  # fmt: skip
        return 2
    return run(int(args[0]))


if __name__ == "__main__":
    sys.exit(main())
