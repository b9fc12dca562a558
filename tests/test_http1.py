"""`sinks/http1.PlainConnection` against a loopback server that answers scripted bytes: every
answer framing HTTP/1.x allows is read, a connection is reused while the server keeps it, and
anything unreadable raises (the OTLP sink then retries)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from otel_runs.errors import ConfigError
from otel_runs.sinks.http1 import PlainConnection, ProtocolError


class _Scripted:
    """Accepts connections; for each request read (head + Content-Length body) sends the next
    scripted answer, then closes the connection if the script says so."""

    def __init__(self, answers: list[tuple[bytes, bool]]) -> None:
        self.answers = answers
        self.requests: list[bytes] = []
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                buffer = b""
                while self.answers:
                    while b"\r\n\r\n" not in buffer:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buffer += data
                    if b"\r\n\r\n" not in buffer:
                        break
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(buffer) < length:
                        buffer += conn.recv(65536)
                    self.requests.append(head + b"\r\n\r\n" + buffer[:length])
                    buffer = buffer[length:]
                    answer, close = self.answers.pop(0)
                    conn.sendall(answer)
                    if close:
                        break

    def close(self) -> None:
        self._server.close()


@contextmanager
def scripted(*answers: tuple[bytes, bool]) -> Iterator[_Scripted]:
    server = _Scripted(list(answers))
    try:
        yield server
    finally:
        server.close()


def connect(server: _Scripted, **headers: str) -> PlainConnection:
    return PlainConnection("127.0.0.1", server.port, "/v1/traces", headers, timeout_s=5)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_a_keep_alive_connection_serves_several_posts_and_says_what_it_sent() -> None:
    with scripted((OK, False), (OK, False)) as server:
        connection = connect(server, **{"x-api-key": "k", "Content-Type": "application/x-protobuf"})
        assert connection.post(b"one") == (200, b"ok", None)
        assert connection.post(b"two") == (200, b"ok", None)
        connection.close()
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /v1/traces HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in first
    assert b"x-api-key: k\r\n" in first and b"Content-Length: 3\r\n" in first
    assert first.endswith(b"\r\n\r\none")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"2;x=y\r\nab\r\n3\r\ncde\r\n0\r\nTrailer: t\r\n\r\n",
                     (200, b"abcde", None), id="chunked"),
        pytest.param(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\nRetry-After: 7\r\n"
                     b"content-length: 4\r\n\r\nbusy", (503, b"busy", "7"), id="interim-answer"),
        pytest.param(b"HTTP/1.1 204 No Content\r\n\r\n", (204, b"", None), id="no-content"),
    ],
)  # fmt: skip
def test_every_framing_is_read(answer: bytes, expected: tuple[int, bytes, str | None]) -> None:
    with scripted((answer, False), (OK, False)) as server:
        connection = connect(server)
        assert connection.post(b"x") == expected
        assert connection.post(b"y") == (200, b"ok", None)  # the connection was left usable
        connection.close()
    assert server.connections == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", id="http-1.0"),
        pytest.param(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
                     id="connection-close"),
        pytest.param(b"HTTP/1.1 200 OK\r\n\r\nok", id="body-to-the-close"),
    ],
)  # fmt: skip
def test_an_answer_that_ends_the_connection_gets_a_new_one_next_time(answer: bytes) -> None:
    with scripted((answer, True), (OK, False)) as server:
        connection = connect(server)
        assert connection.post(b"x") == (200, b"ok", None)
        assert connection.post(b"y") == (200, b"ok", None)
        connection.close()
    assert server.connections == 2


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"SMTP ready\r\n\r\n", id="not-http"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", id="cut-short"),
        pytest.param(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", id="chunk"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", id="length"),
    ],
)
def test_an_unreadable_answer_raises_and_the_next_post_reconnects(answer: bytes) -> None:
    with scripted((answer, True), (OK, False)) as server:
        connection = connect(server)
        with pytest.raises((ProtocolError, OSError)):
            connection.post(b"x")
        assert connection.post(b"y") == (200, b"ok", None)
        connection.close()


def test_a_large_body_is_sent_whole() -> None:
    body = bytes(range(256)) * 40_000  # 10 MB: more than one send takes
    with scripted((OK, False)) as server:
        connection = connect(server)
        assert connection.post(body) == (200, b"ok", None)
        connection.close()
    assert server.requests[0].endswith(body)


@pytest.mark.parametrize("header", [{"x-a": "1\r\nInjected: yes"}, {"bad name": "v"}, {"": "v"}])
def test_headers_that_would_break_the_request_are_refused(header: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        PlainConnection("127.0.0.1", 4318, "/v1/traces", header, timeout_s=1)


def test_an_ipv6_host_is_bracketed() -> None:
    connection = PlainConnection("::1", 4318, "/v1/traces", {}, timeout_s=1)
    assert b"Host: [::1]:4318\r\n" in connection._head
