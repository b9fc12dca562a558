"""Run `otel-runs serve` as a real subprocess on free loopback ports, for end-to-end tests.

`start_serve(store, ...)` launches `python -m otel_runs.cli serve --http-port auto --grpc-port
auto --store STORE ...`, waits for its one ready line, and returns a `ServeProcess` that knows
the bound ports. `serving(...)` does the same as a context manager that always stops the
process (SIGTERM, then SIGKILL if it does not exit). stderr goes to a file next to the store,
so a failing test can show the receiver's log.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

READY: Final = re.compile(r"ready http=(?P<http>\S+) grpc=(?P<grpc>\S+)")
START_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 60.0
_ROOT: Final = Path(__file__).resolve().parents[2]


def _port(text: str) -> int | None:
    return None if text == "off" else int(text.rsplit(":", 1)[1])


@dataclass
class ServeProcess:
    """A running `otel-runs serve`."""

    process: subprocess.Popen[str]
    http_port: int | None
    grpc_port: int | None
    log_path: Path
    lines: list[str] = field(default_factory=list)
    """stdout lines after the ready line."""
    ready: str = ""
    """The ready line itself."""
    readers: list[threading.Thread] = field(default_factory=list)

    @property
    def http_url(self) -> str:
        assert self.http_port is not None, "HTTP is off"
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        assert self.grpc_port is not None, "gRPC is off"
        return f"127.0.0.1:{self.grpc_port}"

    def stats(self, api_key: str | None = None) -> dict[str, int]:
        """`GET /stats` (with `x-api-key` when the receiver has a token)."""
        headers = {"x-api-key": api_key} if api_key else {}
        counts: dict[str, int] = httpx.get(f"{self.http_url}/stats", headers=headers).json()
        return counts

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` and wait for the exit code (SIGKILL after STOP_TIMEOUT_S)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_S)
            raise AssertionError(f"serve did not exit on signal {sig}:\n{self.log()}") from None
        finally:
            self._close_stdout()

    def _close_stdout(self) -> None:
        for reader in self.readers:
            reader.join(STOP_TIMEOUT_S)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def kill(self) -> None:
        """`kill -9`: no flush, no shutdown, nothing."""
        self.stop(signal.SIGKILL)


def start_serve(
    store: Path,
    *args: str,
    http: bool = True,
    grpc: bool = True,
    langsmith: bool = False,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> ServeProcess:
    """Start `otel-runs serve` and wait until it prints its ready line.

    Runs go to the SQLite file `store`, or with `langsmith` to LangSmith (then `store` only
    names the log file beside it).
    """
    log_path = store.with_name(f"{store.name}.serve.log")
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "otel_runs.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--http-port",
        "auto" if http else "0",
        "--grpc-port",
        "auto" if grpc else "0",
        *(["--langsmith"] if langsmith else ["--store", str(store)]),
        *args,
    ]
    # The developer's own LangSmith key must not make the receiver ship test runs there.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LANGSMITH_")}
    environment.update(env or {})
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(_ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    with log_path.open("a") as log:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment,
            cwd=cwd or store.parent,
        )
    lines: queue.Queue[str | None] = queue.Queue()
    pump = threading.Thread(target=_pump, args=(process, lines), daemon=True)
    pump.start()
    served = ServeProcess(process, None, None, log_path, readers=[pump])
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            process.kill()
            process.wait()
            served._close_stdout()
            raise AssertionError(f"serve printed no ready line:\n{served.log()}") from None
        if line is None:
            process.wait()
            served._close_stdout()
            raise AssertionError(
                f"serve exited with {process.returncode} before it was ready:\n{served.log()}"
            )
        match = READY.search(line)
        if match:
            served.ready = line
            served.http_port = _port(match["http"])
            served.grpc_port = _port(match["grpc"])
            collector = threading.Thread(target=_collect, args=(lines, served.lines), daemon=True)
            collector.start()
            served.readers.append(collector)
            return served


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _collect(lines: queue.Queue[str | None], into: list[str]) -> None:
    while (line := lines.get()) is not None:
        into.append(line)


@contextmanager
def serving(
    store: Path,
    *args: str,
    http: bool = True,
    grpc: bool = True,
    langsmith: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[ServeProcess]:
    """`start_serve` that always stops the process on exit."""
    served = start_serve(store, *args, http=http, grpc=grpc, langsmith=langsmith, env=env)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.stop()
