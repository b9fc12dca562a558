"""One plain-text HTTP/1.1 keep-alive connection: POST a body, read the answer.

What `OtlpSpanSink` needs for an `http://` endpoint, and nothing more: one request at a time,
status, `Retry-After` and the body back (Content-Length, chunked, or up to the close), HTTP/1.0
and `Connection: close` answered by a new connection next time, 1xx answers skipped.

Why not `http.client` (still used for `https://`): it costs about 100 us of CPU per request in
Python (header objects, the email parser for the answer's headers, a send per header block),
about five times the system calls of the request itself: a 220 KB OTLP POST to a loopback
collector took 120-130 us of CPU with it and 20-25 us this way, which is ~1 us per span on
the LangSmith API's forwarding thread (docs/langsmith-api.md, Speed).
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Mapping
from typing import Final

from otel_runs.errors import ConfigError

_READ: Final = 65536
_MAX_HEAD: Final = 64 * 1024
_MAX_BODY: Final = 16 * 1024 * 1024
"""An OTLP answer is a few bytes; a larger one is a protocol error, not something to keep."""
_NO_BODY: Final = frozenset({204, 304})


class ProtocolError(http.client.HTTPException):
    """The answer is not HTTP/1.x we can read (the caller treats it like a broken connection)."""


class PlainConnection:
    """A keep-alive connection to `host:port` posting to `path`; reopened after any failure.
    Not thread-safe (the caller holds a lock)."""

    def __init__(
        self, host: str, port: int | None, path: str, headers: Mapping[str, str], timeout_s: float
    ) -> None:
        self._address = (host, port if port is not None else 80)
        self._timeout_s = timeout_s
        authority = f"[{host}]" if ":" in host else host
        if port is not None and port != 80:
            authority += f":{port}"
        lines = [f"POST {path} HTTP/1.1", f"Host: {authority}", "Accept-Encoding: identity"]
        for key, value in headers.items():
            if not key or any(c in key for c in ":\r\n\0 ") or any(c in value for c in "\r\n\0"):
                raise ConfigError(f"header {key!r} is not a valid HTTP header")
            lines.append(f"{key}: {value}")
        try:
            self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        except UnicodeEncodeError:
            raise ConfigError("HTTP header values must be latin-1 text") from None
        self._sock: socket.socket | None = None
        self._buffer = b""

    def post(self, body: bytes) -> tuple[int, bytes, str | None]:
        """(status, answer body, Retry-After) of one POST; raises OSError or ProtocolError (the
        connection is closed then)."""
        try:
            sock = self._sock
            if sock is None:
                sock = self._sock = socket.create_connection(self._address, self._timeout_s)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._buffer = b""
            _send(sock, self._head + b"%d\r\n\r\n" % len(body), body)
            status, retry_after, body_out, keep = self._answer(sock)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return status, body_out, retry_after

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    # --- reading the answer -------------------------------------------------------------------

    def _answer(self, sock: socket.socket) -> tuple[int, str | None, bytes, bool]:
        while True:
            head = self._until(sock, b"\r\n\r\n", _MAX_HEAD)
            lines = head.split(b"\r\n")
            version, _, rest = lines[0].partition(b" ")
            code = rest[:3]
            if not version.startswith(b"HTTP/1.") or not code.isdigit():
                raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
            status = int(code)
            fields: dict[bytes, bytes] = {}
            for line in lines[1:]:
                name, colon, value = line.partition(b":")
                if colon:
                    fields[name.strip().lower()] = value.strip()
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue...): the final one follows
            break
        connection = fields.get(b"connection", b"").lower()
        keep = connection != b"close" if version == b"HTTP/1.1" else connection == b"keep-alive"
        length = fields.get(b"content-length")
        if status in _NO_BODY:
            body = b""
        elif b"chunked" in fields.get(b"transfer-encoding", b"").lower():
            body = self._chunked(sock)
        elif length is not None:
            if not length.isdigit() or int(length) > _MAX_BODY:
                raise ProtocolError(f"bad Content-Length {length[:40]!r}")
            body = self._exactly(sock, int(length))
        else:  # the body ends with the connection
            body = self._to_close(sock)
            keep = False
        retry_after = fields.get(b"retry-after")
        return status, retry_after.decode("latin-1") if retry_after else None, body, keep

    def _fill(self, sock: socket.socket) -> None:
        data = sock.recv(_READ)
        if not data:
            raise ProtocolError("the endpoint closed the connection before its answer ended")
        self._buffer += data

    def _until(self, sock: socket.socket, end: bytes, limit: int) -> bytes:
        while True:
            at = self._buffer.find(end)
            if at >= 0:
                found, self._buffer = self._buffer[:at], self._buffer[at + len(end) :]
                return found
            if len(self._buffer) > limit:
                raise ProtocolError("an answer's header block is too long")
            self._fill(sock)

    def _exactly(self, sock: socket.socket, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill(sock)
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found

    def _chunked(self, sock: socket.socket) -> bytes:
        body = b""
        while True:
            line = self._until(sock, b"\r\n", 1024)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size {size_text[:40]!r}") from None
            if size == 0:
                while self._until(sock, b"\r\n", _MAX_HEAD):  # trailers, up to the empty line
                    pass
                return body
            if len(body) + size > _MAX_BODY:
                raise ProtocolError("an answer's body is too long")
            body += self._exactly(sock, size)
            if self._exactly(sock, 2) != b"\r\n":
                raise ProtocolError("a chunk does not end with CRLF")

    def _to_close(self, sock: socket.socket) -> bytes:
        while True:
            data = sock.recv(_READ)
            if not data:
                body, self._buffer = self._buffer, b""
                return body
            self._buffer += data
            if len(self._buffer) > _MAX_BODY:
                raise ProtocolError("an answer's body is too long")


def _send(sock: socket.socket, head: bytes, body: bytes) -> None:
    """Head and body in one system call where the socket takes them (no copy of the body)."""
    sent = sock.sendmsg([head, body])
    if sent < len(head):
        sock.sendall(head[sent:])
        sent = len(head)
    if sent - len(head) < len(body):
        sock.sendall(memoryview(body)[sent - len(head) :])
