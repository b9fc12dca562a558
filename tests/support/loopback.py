"""Serve an HTTP handler class on 127.0.0.1 and a free port for the length of a block, and the
JSON plumbing the fake model servers share."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


@contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Yields the server's base URL (`http://127.0.0.1:PORT`); stops and joins it on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON bodies and reads JSON requests."""

    content_type = "application/json"
    extra_headers: ClassVar[dict[str, str]] = {}

    def log_message(self, format: str, *args: object) -> None:
        return

    def read_json(self) -> Any:
        """The request body decoded (ValueError when it is not JSON); `{}` when empty."""
        length = int(self.headers.get("content-length", "0"))
        return json.loads(self.rfile.read(length) or b"{}")

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", self.content_type)
        self.send_header("content-length", str(len(data)))
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
