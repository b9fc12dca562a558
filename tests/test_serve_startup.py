"""`otel-runs serve` at startup: failures are one line naming what and where, exit 1, and leave
nothing running; auth is never silently off; who may choose the project is a setting.

Each case runs the real command in a subprocess on loopback.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from otel_runs.cli._common import CommandError
from otel_runs.cli.serve import _check_exposure, is_loopback
from otel_runs.receiver.auth import BearerAuth
from otel_runs.receiver.spool import Spool
from tests.support.receiver_proc import serving

ROOT = Path(__file__).resolve().parents[1]


def serve(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`otel-runs serve` with a store and spool in tmp_path; it must exit by itself."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_RUNS_", "LANGSMITH_"))
    }
    environment.update(env or {})
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "otel_runs.cli", "serve", "--host", "127.0.0.1",
         "--store", str(tmp_path / "runs.sqlite"), "--spool", str(tmp_path / "spool.sqlite"),
         *args],
        check=False, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=60,
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The whole of stderr, which must be one `otel-runs: error:` line (no traceback)."""
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("otel-runs: error: "), done.stderr
    assert done.stdout == ""  # never ready
    return lines[0]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def spool_is_free(tmp_path: Path) -> bool:
    """Another process could open the spool: the failed receiver released its lock."""
    Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20).close()
    return True


@pytest.mark.parametrize(
    ("protocol", "flags"),
    [("HTTP", ("--http-port", "{port}", "--grpc-port", "auto")),
     ("gRPC", ("--grpc-port", "{port}", "--http-port", "auto"))],
)  # fmt: skip
def test_a_busy_port_is_one_line_naming_it(
    tmp_path: Path, taken_port: int, protocol: str, flags: tuple[str, ...]
) -> None:
    done = serve(tmp_path, *(flag.format(port=taken_port) for flag in flags))
    line = one_line_error(done)
    assert f"cannot listen for OTLP/{protocol} on 127.0.0.1:{taken_port}" in line
    assert "in use" in line
    assert spool_is_free(tmp_path)


def test_a_second_receiver_cannot_share_a_grpc_port(tmp_path: Path) -> None:
    """grpc sets SO_REUSEPORT by default, which would let both bind and split the traffic."""
    first = tmp_path / "first"
    first.mkdir()
    with serving(first / "runs.sqlite", http=False) as running:
        done = serve(tmp_path, "--http-port", "0", "--grpc-port", str(running.grpc_port))
        assert f"OTLP/gRPC on 127.0.0.1:{running.grpc_port}" in one_line_error(done)


def test_a_spool_in_use_is_one_line_naming_it(tmp_path: Path) -> None:
    with serving(tmp_path / "runs.sqlite", "--spool", str(tmp_path / "spool.sqlite")) as running:
        done = serve(tmp_path, "--http-port", "auto", "--grpc-port", "auto")
        line = one_line_error(done)
        assert str(tmp_path / "spool.sqlite") in line and "in use by another receiver" in line
        assert httpx.get(f"{running.http_url}/stats").status_code == 200  # the first goes on


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(
            ("--token", ""), {"OTEL_RUNS_TOKEN": "s3cret"}, id="--token '' over a set token"
        ),
        pytest.param(("--token", "   "), {}, id="--token blank"),
        pytest.param((), {"OTEL_RUNS_TOKEN": " "}, id="OTEL_RUNS_TOKEN blank"),
    ],
)
def test_an_empty_or_blank_token_is_an_error(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    done = serve(tmp_path, "--http-port", "auto", "--grpc-port", "auto", *args, env=env)
    assert "is empty" in one_line_error(done)


def test_the_ready_line_says_whether_auth_is_on(tmp_path: Path) -> None:
    with serving(tmp_path / "on.sqlite", env={"OTEL_RUNS_TOKEN": "s3cret"}) as running:
        assert running.ready.endswith(" auth=on projects=any workers=1"), running.ready
        assert "s3cret" not in running.ready
        assert httpx.get(f"{running.http_url}/stats").status_code == 401
    with serving(tmp_path / "off.sqlite", "--project-from", "none", "--workers", "2") as running:
        assert running.ready.endswith(" auth=off projects=none workers=2"), running.ready


def test_listening_beyond_loopback_needs_a_token_or_insecure(tmp_path: Path) -> None:
    done = serve(tmp_path, "--host", "0.0.0.0", "--http-port", "auto", "--grpc-port", "auto")
    line = one_line_error(done)
    assert "--host 0.0.0.0" in line and "OTEL_RUNS_TOKEN" in line and "--insecure" in line


def test_insecure_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    """(In process: a test does not listen on every interface.)"""
    off = BearerAuth.off()
    with pytest.raises(CommandError):
        _check_exposure("192.0.2.10", off, insecure=False)
    with caplog.at_level(logging.WARNING):
        _check_exposure("0.0.0.0", off, insecure=True)
    assert "INSECURE" in caplog.text and "0.0.0.0" in caplog.text
    caplog.clear()
    _check_exposure("0.0.0.0", BearerAuth("t"), insecure=False)  # a token: fine, quiet
    _check_exposure("::1", off, insecure=False)
    assert caplog.text == ""


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.5", False),
     ("example.internal", False)],
)  # fmt: skip
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
