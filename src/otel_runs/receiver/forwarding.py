"""The forwarding thread: steps a `Pipeline` (spool -> assembler -> sink) until stopped.

Run by `ReceiverService` itself (one process), or by each worker process of `otel-runs serve
--workers N` (`worker.py`) on its partition of the spool. It steps while there is work, sleeps
until the pipeline's next deadline or a `wake()`, backs off on spool errors, and on `stop`
either drains (every spooled span read, the outbox sent until empty or the deadline) or stops
after the current step; a sink write still running at the deadline is interrupted by closing
the sink (what it may have stored is sent again next time: duplicates, never losses).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import asdict
from typing import Final

from otel_runs.guard import internal_errors
from otel_runs.receiver.forwarder import Forwarder
from otel_runs.receiver.intake import SpoolUnavailableError
from otel_runs.receiver.pipeline import Pipeline

_logger = logging.getLogger(__name__)

_WARN_EVERY_S: Final = 60.0
_MAX_ERROR_WAIT_S: Final = 30.0
_INTERRUPT_GRACE_S: Final = 5.0
"""How long `stop` waits for the thread after closing the sink to interrupt it."""

COUNTERS: Final = (
    "converted", "waited", "orphaned", "evicted", "invalid", "not_runs", "resent", "unreadable",
    "delivered", "duplicates", "failed", "retried", "log_events_joined", "log_events_unjoined",
)  # fmt: skip
"""What `Forwarding.counts` counts since it was created (summed over worker processes)."""
GAUGES: Final = ("waiting", "outbox", "log_events_waiting")
"""What `Forwarding.counts` measures now."""


class ForwardingLoop(ABC):
    """A forwarding thread's loop and its stop, shared by the OTLP forwarding below and the
    LangSmith API's (`langsmith_api/service.py`): step while there is work, sleep until the
    next is due or a wake, back off on errors; stop by draining until a deadline, or by
    halting; a thread blocked in a sink write is interrupted by closing the sink, which is
    closed once."""

    forwarder: Forwarder
    _last_warning: float = -_WARN_EVERY_S
    _forwarding: str
    """What the loop forwards, for its logs ("spooled spans")."""
    _paused: str
    """The warning when a step fails ("forwarding paused")."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._drained = threading.Event()
        self._draining = False
        self._deadline = float("inf")

    @abstractmethod
    def _close_sink(self) -> None:
        """Close the destination (interrupting a write it is blocked in)."""

    @abstractmethod
    def _finish(self, deadline: float) -> None:
        """After the thread stopped, before the sink is closed: settle a background sink write
        still under way (by `deadline`), so what it delivered is marked now."""

    @abstractmethod
    def _step(self, drain: bool) -> bool:
        """One round of work; True when it moved anything."""

    @abstractmethod
    def _read_all(self) -> bool:
        """Whether a draining step found nothing left to read."""

    @abstractmethod
    def _wait_s(self) -> float:
        """How long the thread may sleep before the next step has work."""

    def _run(self) -> None:
        errors = 0
        while not self._halt.is_set():
            draining = self._draining
            busy = False
            failure: BaseException | None = None
            with internal_errors(f"forwarding {self._forwarding}") as failed:
                try:
                    busy = self._step(draining)
                    errors = 0
                except SpoolUnavailableError as exc:  # expected trouble, not a bug: no guard
                    failure = exc
            failure = failure or failed.error
            if failure is not None:
                errors += 1
                self._warn(f"{self._paused}: %s", failure)
                self._halt.wait(min(2.0**errors, _MAX_ERROR_WAIT_S))
                continue
            if draining:
                if self._read_all() and self.forwarder.size == 0:
                    self._drained.set()
                    return
                if time.monotonic() >= self._deadline:
                    return
            if not busy:
                wait = self._wait_s()
                if draining:
                    wait = min(wait, max(self._deadline - time.monotonic(), 0.0))
                self._wake.wait(wait)
                self._wake.clear()

    def _warn(self, message: str, *args: object) -> None:
        """Log at most once a minute (on the logger of the subclass's module)."""
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            logging.getLogger(type(self).__module__).warning(message, *args)

    def _stop_thread(
        self, thread: threading.Thread | None, deadline: float, *, drain: bool
    ) -> bool:
        """True when `thread` (this loop's, read by the caller) drained everything it could
        read before `deadline`."""
        sink_closed = False
        if thread is not None:
            if drain:
                self._deadline = deadline
                self.forwarder.retry_now()
                self._draining = True
            else:
                self._halt.set()
            self._wake.set()
            thread.join(max(deadline - time.monotonic(), 0.0))
            if thread.is_alive():  # blocked in a sink write: closing the sink interrupts it
                self.forwarder.closing = True
                self._halt.set()
                self._wake.set()
                self._close_sink()
                sink_closed = True
                thread.join(_INTERRUPT_GRACE_S)
                if thread.is_alive():
                    _logger.error("the forwarding thread did not stop; closing the spool anyway")
        result = thread is not None and drain and self._drained.is_set()
        if not sink_closed:
            self._finish(deadline)
            self._close_sink()
        return result


class Forwarding(ForwardingLoop):
    """One thread driving one pipeline; `stop` closes the sink (not the spool)."""

    def __init__(self, pipeline: Pipeline, forwarder: Forwarder) -> None:
        super().__init__()
        self.pipeline: Final = pipeline
        self.forwarder = forwarder
        forwarder.notify = self.wake  # a background commit that ends wakes the thread

    def start(self) -> None:
        """Start the thread (what an earlier run left in the spool goes first). Idempotent."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="otel-runs-forwarder", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """Something was spooled: step soon."""
        self._wake.set()

    def stop(self, deadline: float, *, drain: bool) -> bool:
        """Stop by `deadline` (time.monotonic), draining first if asked; close the sink.
        True when everything readable was delivered."""
        return self._stop_thread(self._thread, deadline, drain=drain)

    def _close_sink(self) -> None:
        with internal_errors("closing the sink"):
            self.forwarder.sink.close()

    def _finish(self, deadline: float) -> None:
        with internal_errors("marking the last delivered runs"):
            try:
                self.pipeline.finish(max(deadline - time.monotonic(), 0.0))
            except SpoolUnavailableError as exc:
                self._warn(f"{self._paused}: %s", exc)

    def counts(self) -> dict[str, int]:
        """`COUNTERS` and `GAUGES` (see `ReceiverService.stats`)."""
        pipeline, forwarder = self.pipeline, self.forwarder
        assembly = asdict(pipeline.assembler.counts)
        steps = asdict(pipeline.counts)
        forward = asdict(forwarder.counts)
        return {
            "waiting": pipeline.held,
            "outbox": forwarder.size,
            "converted": assembly["converted"],
            "waited": assembly["waited"],
            "orphaned": assembly["orphaned"],
            "evicted": assembly["evicted"],
            "invalid": assembly["rejected"],
            "not_runs": steps["not_runs"],
            "resent": steps["resent"],
            "unreadable": steps["unreadable"],
            "delivered": forward["delivered"],
            "duplicates": forward["duplicates"],
            "failed": forward["failed"],
            "retried": forward["retried"],
            "log_events_joined": steps["log_events_joined"],
            "log_events_unjoined": steps["log_events_unjoined"],
            "log_events_waiting": pipeline.waiting_logs,
        }

    _forwarding = "spooled spans"
    _paused = "forwarding paused"

    def _step(self, drain: bool) -> bool:
        return self.pipeline.step(drain=drain)

    def _read_all(self) -> bool:
        return self.pipeline.read_everything

    def _wait_s(self) -> float:
        return self.pipeline.wait_s()
