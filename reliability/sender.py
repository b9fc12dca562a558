"""A patient OTLP/HTTP sender: produces requests at a steady rate and posts each until a 200.

It behaves like an SDK exporter that never gives up: a 429 or 503 is retried after its
`Retry-After`, a connection error (the receiver is down or restarting) after a short pause,
and requests made meanwhile queue up behind (the backlog) while production goes on at the same
rate. Only a 200 counts as acknowledged, and the span ids of acknowledged requests are what a
run must prove arrived. A 4xx other than 429 would drop the request (an exporter does); the
runs here never send one, so any is reported.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Final

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from reliability.common import Figures, latency_figures
from reliability.payload import Body

PROTOBUF: Final = "application/x-protobuf"
_RECONNECT_PAUSE_S: Final = 0.1
_MAX_RETRY_AFTER_S: Final = 30.0


class Sender:
    """Posts `make_body()` requests to `url()` at `rate_per_s` on a thread of its own."""

    def __init__(
        self,
        url: Callable[[], str | None],
        make_body: Callable[[], Body],
        rate_per_s: float,
        *,
        token: str | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self._url = url
        self._make_body = make_body
        self._interval = 1.0 / rate_per_s
        self._headers = {"content-type": PROTOBUF}
        if token:
            self._headers["authorization"] = f"Bearer {token}"
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._making = threading.Lock()
        """Held while a request is made, so `stop_producing`'s last one never interleaves."""
        self._acked: set[int] = set()
        self._produced: set[int] = set()
        self._backlog: collections.deque[Body] = collections.deque()
        self._producing = True
        self._halt = threading.Event()
        self.drained = threading.Event()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.latencies: list[float] = []
        """Round trip of every acknowledged request, seconds."""
        self.produced_requests = 0
        self.produced_spans = 0
        self.acked_requests = 0
        self.partly_rejected_spans = 0
        self.connect_errors = 0
        self.broken_requests = 0
        """Requests whose answer never came (the receiver died while handling them)."""
        self.dropped_requests = 0
        self.backlog_peak = 0
        self.last_ack_at = 0.0
        self._thread = threading.Thread(target=self._run, name="sender", daemon=True)

    # --- control ------------------------------------------------------------------------------

    def start(self) -> Sender:
        self._thread.start()
        return self

    def stop_producing(self, last: Callable[[], Body | None] | None = None) -> None:
        """No new requests but the one `last()` makes, if any; the backlog is still sent
        (`drained` is set when it is empty). `last` runs when no other request is being made,
        so it may share state with `make_body`."""
        with self._making, self._lock:
            self._producing = False
            final = last() if last is not None else None
            if final is not None:
                self._add(final)

    def halt(self, timeout: float = 30.0) -> None:
        """Stop at once (whatever is left in the backlog stays unsent)."""
        self._halt.set()
        self._thread.join(timeout)

    def acked_ids(self) -> set[int]:
        """Span ids of every acknowledged request so far."""
        with self._lock:
            return set(self._acked)

    def produced_ids(self) -> set[int]:
        """Span ids of every request made so far, acknowledged or not."""
        with self._lock:
            return set(self._produced)

    def _add(self, body: Body) -> None:
        """Queue a request (the caller holds the lock)."""
        self._backlog.append(body)
        self._produced.update(body.span_ids)
        self.produced_requests += 1
        self.produced_spans += len(body.span_ids)

    @property
    def backlog(self) -> int:
        return len(self._backlog)

    # --- the thread ---------------------------------------------------------------------------

    def _produce(self, next_at: float) -> float:
        now = time.monotonic()
        while now >= next_at:
            with self._making:
                with self._lock:
                    if not self._producing:
                        return next_at
                body = self._make_body()
                with self._lock:
                    self._add(body)
            next_at += self._interval
        self.backlog_peak = max(self.backlog_peak, len(self._backlog))
        return next_at

    def _run(self) -> None:
        next_at = time.monotonic()
        with httpx.Client(timeout=self._timeout_s) as client:
            while not self._halt.is_set():
                next_at = self._produce(next_at)
                if not self._backlog:
                    with self._lock:
                        producing = self._producing
                    if not producing:
                        self.drained.set()
                        return
                    self._halt.wait(max(next_at - time.monotonic(), 0.0))
                    continue
                url = self._url()
                if url is None:  # between a kill and the next start
                    self._halt.wait(_RECONNECT_PAUSE_S)
                    continue
                self._post(client, url, self._backlog[0])

    def _post(self, client: httpx.Client, url: str, body: Body) -> None:
        started = time.monotonic()
        try:
            response = client.post(url, content=body.data, headers=self._headers)
        except httpx.ConnectError:
            self.connect_errors += 1
            self._halt.wait(_RECONNECT_PAUSE_S)
            return
        except httpx.TransportError:
            self.broken_requests += 1
            self._halt.wait(_RECONNECT_PAUSE_S)
            return
        status = response.status_code
        self.statuses[status] += 1
        if status == 200:
            self.latencies.append(time.monotonic() - started)
            self._backlog.popleft()
            answer = ExportTraceServiceResponse.FromString(response.content)
            self.partly_rejected_spans += answer.partial_success.rejected_spans
            with self._lock:
                self._acked.update(body.span_ids)
                self.acked_requests += 1
            self.last_ack_at = time.monotonic()
        elif status in (429, 502, 503, 504):
            try:
                wait = float(response.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            self._halt.wait(min(max(wait, 0.0), _MAX_RETRY_AFTER_S))
        else:
            self.dropped_requests += 1
            self._backlog.popleft()

    # --- results ------------------------------------------------------------------------------

    def figures(self) -> Figures:
        return {
            "requests_sent_ok": self.acked_requests,
            "spans_produced": self.produced_spans,
            "spans_acked": len(self.acked_ids()),
            "refused_429": self.statuses[429],
            "refused_503": self.statuses[503],
            "connect_errors": self.connect_errors,
            "unanswered_requests": self.broken_requests,
            "dropped_requests": self.dropped_requests,
            "partly_rejected_spans": self.partly_rejected_spans,
            "sender_backlog_peak": self.backlog_peak,
            **latency_figures(self.latencies),
        }
