"""The front end's side of `otel-runs serve --workers N`: start, watch, ask and stop N workers.

Each worker (worker_process.py) owns one partition of the trace ids and runs in a process of its
own, so conversion and store writes use as many cores as there are workers. Every worker has a
supervising thread here that starts its process, hands it its settings, reads its answers, and,
when the process ends without having been asked to (a crash, the OOM killer, `kill -9`), logs it
and starts it again: after 1 s, doubling to 30 s while it keeps dying within a minute. Nothing
is lost meanwhile: the dead worker's spans stay in the spool until a worker delivers them, and
its partition's requests are still accepted and spooled.

- `counts()` asks every worker for its counters (`Forwarding.counts`) and sums them, and gives
  each worker's own too; the counters of a worker's earlier processes are kept, so a restart
  does not send them back to zero (what a killed process counted after its last answer is not
  known).
- `stop(deadline, drain)` asks every worker to stop (draining or not) and waits for each until
  the deadline and a grace; one that does not answer is killed (safe: the spool holds its work).
- A worker's process gets the spool's lock descriptor: as long as any worker lives, no other
  receiver can take the spool.
"""

from __future__ import annotations

import itertools
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent import futures
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any, Final

from otel_runs.errors import ConfigError
from otel_runs.receiver.forwarding import COUNTERS, GAUGES
from otel_runs.receiver.worker_process import WorkerSettings

_logger = logging.getLogger(__name__)

START_TIMEOUT_S: Final = 60.0
"""How long a worker may take to import, attach to the spool and build its sink."""
_STOP_GRACE_S: Final = 10.0
"""Past the deadline, how long a stopping worker may still take (it interrupts its own sink
write within 5 s) before it is killed."""
_FIRST_BACKOFF_S: Final = 1.0
_MAX_BACKOFF_S: Final = 30.0
_STABLE_S: Final = 60.0
"""A worker that ran this long before dying is restarted after the first backoff again."""
_ASK_TIMEOUT_S: Final = 5.0
PER_WORKER: Final = ("converted", "delivered", "failed", "waiting", "outbox")
"""Each worker's own figures in `counts()`, beside the sums."""


def worker_prefix(part: int) -> str:
    """How `/stats` names one worker's own figures: `worker0_delivered`, ..."""
    return f"worker{part}_"


class _Worker:
    """One partition's worker: its process (the current one) and what it said."""

    def __init__(self, settings: WorkerSettings, lock_fd: int | None, halt: threading.Event):
        self.settings = settings
        self.part = settings.part
        self._lock_fd = lock_fd
        self._halt = halt
        self._send_lock = threading.Lock()
        self._connection: Connection | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.started = threading.Event()
        """Set once the first process said ready, or could not start (`failure`)."""
        self.failure: str | None = None
        self.stopped: Future[bool] = Future()
        self._asked: dict[int, Future[dict[str, int] | None]] = {}
        self.last: dict[str, int] = {}
        """Counts of the current process, as it last answered."""
        self.retired = dict.fromkeys(COUNTERS, 0)
        """Counters of its earlier processes."""
        self.restarts = 0
        self.thread = threading.Thread(
            target=self._supervise, name=f"otel-runs-worker-{self.part}", daemon=True
        )

    # --- the process ------------------------------------------------------------------------

    def _spawn(self) -> Connection:
        ours, theirs = socket.socketpair()
        try:
            fds = (theirs.fileno(),) + ((self._lock_fd,) if self._lock_fd is not None else ())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "otel_runs.receiver.worker_process", str(theirs.fileno())],
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        connection = Connection(ours.detach())
        connection.send(self.settings)
        return connection

    def _supervise(self) -> None:
        backoff = _FIRST_BACKOFF_S
        while not self._halt.is_set():
            began = time.monotonic()
            try:
                connection = self._spawn()
            except (OSError, ValueError) as exc:  # pickling is checked before: not a bug here
                self._failed(f"cannot start a worker process: {exc}")
                return
            answer = self._first_answer(connection)
            if answer is not None:  # it could not start
                connection.close()
                self._reap()
                if not self.started.is_set():
                    self._failed(answer)
                    return
                _logger.error("worker %d could not start again: %s", self.part, answer)
            else:
                with self._send_lock:
                    self._connection = connection
                self.started.set()
                self._read(connection)
                with self._send_lock:
                    self._connection = None
                connection.close()
                code = self._reap()
                self._retire()
                if self._halt.is_set():
                    break
                _logger.error(
                    "worker %d (pid %s) ended with exit code %s; its spans wait in the spool,"
                    " and a new worker starts in %.0f s",
                    self.part, self.process.pid if self.process else "?", code, backoff,
                )  # fmt: skip
            self.restarts += 1
            if time.monotonic() - began >= _STABLE_S:
                backoff = _FIRST_BACKOFF_S
            if self._halt.wait(backoff):
                break
            backoff = min(backoff * 2, _MAX_BACKOFF_S)
        if not self.stopped.done():
            self.stopped.set_result(False)

    def _first_answer(self, connection: Connection) -> str | None:
        """None once the worker said it is ready, else why it could not start."""
        try:
            if not connection.poll(START_TIMEOUT_S):
                return f"no answer within {START_TIMEOUT_S:.0f} s"
            message = connection.recv()
        except (EOFError, OSError):
            return f"the process ended (exit code {self._reap()}); see its log above"
        if message[0] == "ready":
            return None
        return str(message[1]) if message[0] == "failed" else f"unexpected answer {message!r}"

    def _read(self, connection: Connection) -> None:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                return
            kind = message[0]
            if kind == "stats":
                self.last = message[2]
                asked = self._asked.pop(message[1], None)
                if asked is not None:
                    asked.set_result(message[2])
            elif kind == "stopped" and not self.stopped.done():
                self.stopped.set_result(bool(message[1]))

    def _reap(self) -> int | None:
        process = self.process
        if process is None:
            return None
        try:
            return process.wait(_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def _retire(self) -> None:
        """The process is gone: keep its counters, answer whoever waits for it."""
        for name in COUNTERS:
            self.retired[name] += self.last.get(name, 0)
        self.last = {}
        for asked in list(self._asked.values()):
            if not asked.done():
                asked.set_result(None)
        self._asked.clear()

    def _failed(self, why: str) -> None:
        self.failure = why
        self.started.set()
        if not self.stopped.done():
            self.stopped.set_result(False)

    # --- asking it ----------------------------------------------------------------------------

    def send(self, message: tuple[Any, ...]) -> bool:
        """Send if a process is there; False when none is (or it just died)."""
        with self._send_lock:
            if self._connection is None:
                return False
            try:
                self._connection.send(message)
            except (OSError, ValueError):
                return False
        return True

    def ask_counts(self, number: int) -> Future[dict[str, int] | None]:
        asked: Future[dict[str, int] | None] = Future()
        self._asked[number] = asked
        if not self.send(("stats", number)):
            self._asked.pop(number, None)
            asked.set_result(None)
        return asked

    def kill(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()


class WorkerPool:
    """N worker processes, one per partition."""

    def __init__(self, settings: Sequence[WorkerSettings], lock_fd: int | None) -> None:
        self._halt = threading.Event()
        self._workers = [_Worker(s, lock_fd, self._halt) for s in settings]
        self._numbers = itertools.count()

    def __len__(self) -> int:
        return len(self._workers)

    def start(self) -> None:
        """Start every worker; raises ConfigError (after stopping the others) when one cannot
        start (its sink cannot be built, the spool cannot be opened)."""
        for worker in self._workers:
            worker.thread.start()
        for worker in self._workers:
            worker.started.wait()
        failed = [w for w in self._workers if w.failure is not None]
        if failed:
            self.stop(time.monotonic(), drain=False)
            raise ConfigError(f"worker {failed[0].part} could not start: {failed[0].failure}")

    def pids(self) -> list[int | None]:
        """The workers' current process ids (None while one is being restarted)."""
        return [
            w.process.pid if w.process is not None and w.process.poll() is None else None
            for w in self._workers
        ]

    def restarts(self) -> int:
        """Worker processes started again after ending unasked, so far."""
        return sum(w.restarts for w in self._workers)

    def wake(self, parts: Iterable[int]) -> None:
        """Rows were spooled for these partitions."""
        for part in parts:
            self._workers[part].send(("wake",))

    def counts(self) -> dict[str, int]:
        """The workers' counters summed (with those of their earlier processes), and their
        gauges summed; then each worker's own `PER_WORKER` figures and restarts, as
        `worker<k>_<name>`, so a partition that falls behind or a worker that keeps dying
        shows."""
        number = next(self._numbers)
        asked = [(w, w.ask_counts(number)) for w in self._workers]
        deadline = time.monotonic() + _ASK_TIMEOUT_S
        total = dict.fromkeys((*GAUGES, *COUNTERS), 0)
        own: dict[str, int] = {}
        for worker, answer in asked:
            try:
                counts = answer.result(max(deadline - time.monotonic(), 0.0))
            except futures.TimeoutError:
                counts = None
            current = counts if counts is not None else worker.last
            mine = {name: current.get(name, 0) for name in GAUGES}
            mine.update((name, worker.retired[name] + current.get(name, 0)) for name in COUNTERS)
            for name, value in mine.items():
                total[name] += value
            prefix = worker_prefix(worker.part)
            own.update((prefix + name, mine[name]) for name in PER_WORKER)
            own[prefix + "restarts"] = worker.restarts
        return total | own

    def stop(self, deadline: float, *, drain: bool) -> bool:
        """Ask every worker to stop by `deadline` (time.monotonic); True when every one said it
        delivered everything it could read."""
        self._halt.set()  # no more restarts
        for worker in self._workers:
            worker.send(("stop", drain, max(deadline - time.monotonic(), 0.0)))
        results = []
        for worker in self._workers:
            if not worker.thread.is_alive() and not worker.started.is_set():
                results.append(False)  # never started
                continue
            try:
                results.append(
                    worker.stopped.result(max(deadline - time.monotonic(), 0.0) + _STOP_GRACE_S)
                )
            except futures.TimeoutError:
                _logger.error("worker %d did not stop in time; killing it", worker.part)
                worker.kill()
                results.append(False)
        for worker in self._workers:
            if worker.thread.is_alive():
                worker.thread.join(_STOP_GRACE_S)
        return all(results)
