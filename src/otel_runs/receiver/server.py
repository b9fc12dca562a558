"""Run the OTLP/HTTP (uvicorn) and OTLP/gRPC front ends together, and stop them gracefully.

- `ReceiverServer(ingress, Bind(...))`: `start()` binds both ports (0 picks a free one, None
  turns the protocol off) and returns the `Bound` addresses; `stop()` stops accepting on both at
  once, lets in-flight requests finish (up to `grace_s`), then waits for the ingress pool.
- `SignalWatch`: catch SIGTERM and SIGINT from before startup; `wait()` blocks until one comes.

uvicorn runs its event loop on a thread of its own. That keeps its signal capture out of the way
(it only installs handlers on the main thread), so one place, `SignalWatch`, owns SIGTERM
and SIGINT, and HTTP and gRPC shut down together rather than one after the other. The HTTP
socket is bound here, before uvicorn starts, so "port in use" is an `OSError` the caller sees.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Final

import uvicorn

from otel_runs.receiver.grpc_server import OtlpGrpcServer
from otel_runs.receiver.http_app import OtlpHttpApp
from otel_runs.receiver.ingress import Ingress
from otel_runs.receiver.limits import (
    DEFAULT_GRACE_S,
    DEFAULT_GRPC_PORT,
    DEFAULT_HOST,
    DEFAULT_HTTP_PORT,
)

_logger = logging.getLogger(__name__)

KEEP_ALIVE_S: Final = 30
"""Idle keep-alive connections are closed after this long (exporters reuse connections)."""
_STARTUP_TIMEOUT_S: Final = 30.0


@dataclass(frozen=True, slots=True)
class Bind:
    """Where to listen. A port of None turns that protocol off; 0 lets the OS pick."""

    host: str = DEFAULT_HOST
    http_port: int | None = DEFAULT_HTTP_PORT
    grpc_port: int | None = DEFAULT_GRPC_PORT


@dataclass(frozen=True, slots=True)
class Bound:
    """The ports actually listened on (None: off)."""

    host: str
    http_port: int | None
    grpc_port: int | None

    def describe(self) -> str:
        """`http=127.0.0.1:4318 grpc=127.0.0.1:4317`, with `off` for a disabled protocol."""
        host = f"[{self.host}]" if ":" in self.host else self.host

        def one(port: int | None) -> str:
            return "off" if port is None else f"{host}:{port}"

        return f"http={one(self.http_port)} grpc={one(self.grpc_port)}"


class ReceiverServer:
    """Both front ends over one `Ingress`."""

    def __init__(
        self,
        ingress: Ingress,
        bind: Bind,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        http_app: Callable[[OtlpHttpApp], Any] | None = None,
    ) -> None:
        """`http_app` wraps the OTLP/HTTP app in another ASGI app that serves more routes on the
        same port (the LangSmith API) and hands it the rest."""
        if bind.http_port is None and bind.grpc_port is None:
            raise ValueError("both protocols are off: give an HTTP or a gRPC port")
        self._ingress = ingress
        self._bind = bind
        self._grace_s = grace_s
        self._http_app = http_app
        self._grpc: OtlpGrpcServer | None = None
        self._http: uvicorn.Server | None = None
        self._http_thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._stopped = False

    def __repr__(self) -> str:
        return f"ReceiverServer({self._bind!r})"

    def __enter__(self) -> ReceiverServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Bound:
        """Bind and start; raises OSError when a port cannot be bound (nothing is left running)."""
        bind = self._bind
        try:
            http_port = self._start_http() if bind.http_port is not None else None
            grpc_port = None
            if bind.grpc_port is not None:
                self._grpc = OtlpGrpcServer(self._ingress, bind.host, bind.grpc_port)
                self._grpc.start()
                grpc_port = self._grpc.port
        except BaseException:
            self.stop()
            raise
        return Bound(bind.host, http_port, grpc_port)

    def stop(self) -> None:
        """Stop accepting, finish in-flight requests (up to the grace period), free the pool."""
        if self._stopped:
            return
        self._stopped = True
        grpc_done = self._grpc.stop(self._grace_s) if self._grpc is not None else None
        if self._http is not None:
            self._http.should_exit = True
        if self._http_thread is not None:
            self._http_thread.join(self._grace_s + 5)
            if self._http_thread.is_alive():
                _logger.warning("the HTTP server did not stop within %.0f s", self._grace_s)
        elif self._socket is not None:
            self._socket.close()
        if grpc_done is not None:
            grpc_done.wait(self._grace_s + 5)
        self._ingress.close()

    def _start_http(self) -> int:
        bind = self._bind
        assert bind.http_port is not None
        family = socket.AF_INET6 if ":" in bind.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        self._socket = sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bind.host, bind.http_port))
        except OSError as exc:
            where = _address(bind.host, bind.http_port)
            raise OSError(f"cannot listen for OTLP/HTTP on {where}: {exc.strerror or exc}") from exc
        sock.listen(2048)
        sock.setblocking(False)
        app: Any = OtlpHttpApp(self._ingress)
        if self._http_app is not None:
            app = self._http_app(app)
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=int(self._grace_s),
        )
        server = uvicorn.Server(config)
        self._http = server
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="otel-runs-http", daemon=True
        )
        self._http_thread = thread
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise OSError("the HTTP server did not start; see the log")
            time.sleep(0.01)
        port: int = sock.getsockname()[1]
        return port


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class SignalWatch:
    """Catches SIGTERM and SIGINT while active (main thread only), so none is lost at startup.

    Use as a context manager; `wait()` blocks until a signal arrives and returns its number.
    The previous handlers come back on exit.
    """

    def __init__(self) -> None:
        self._arrived = threading.Event()
        self._caught: list[int] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> SignalWatch:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]  # what signal() gave back

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        self._caught.append(number)
        self._arrived.set()

    def wait(self) -> int:
        # A timed wait, so the main thread keeps running Python signal handlers promptly.
        while not self._arrived.wait(0.5):
            pass
        return self._caught[0]
