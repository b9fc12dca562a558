"""A fake OTLP/HTTP collector on loopback: records every request, answers with `status`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


@dataclass
class Collector:
    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    """Headers and body of every request, in arrival order."""
    status: int = 200
    """What the next requests are answered with."""
    paths: list[str] = field(default_factory=list)
    """The path of every request, in arrival order (same indexes as `requests`)."""
    retry_after: str | None = None
    """A Retry-After header for the answers, if any."""
    rejected_spans: int = 0
    """`partial_success.rejected_spans` of the 200 answers."""
    accepted: list[bytes] = field(default_factory=list)
    """Bodies of the requests answered 200 (what a backend keeps)."""

    @property
    def bodies(self) -> list[bytes]:
        return [body for _, body in self.requests]


class _Handler(BaseHTTPRequestHandler):
    collector: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.collector.paths.append(self.path)
        self.collector.requests.append((dict(self.headers), body))
        if self.collector.status == 200:
            self.collector.accepted.append(body)
        response = trace_service_pb2.ExportTraceServiceResponse()
        if self.collector.rejected_spans:
            response.partial_success.rejected_spans = self.collector.rejected_spans
            response.partial_success.error_message = "some spans were bad"
        # A JSON request gets a JSON reply, as the OTLP/HTTP spec says (the JS exporters check).
        json_request = "json" in self.headers.get("Content-Type", "")
        partial = (
            {"partialSuccess": {"rejectedSpans": str(self.collector.rejected_spans),
                                "errorMessage": "some spans were bad"}}
            if self.collector.rejected_spans
            else {}
        )  # fmt: skip
        reply = json.dumps(partial).encode() if json_request else response.SerializeToString()
        self.send_response(self.collector.status)
        if self.collector.retry_after is not None:
            self.send_header("Retry-After", self.collector.retry_after)
        self.send_header(
            "Content-Type", "application/json" if json_request else "application/x-protobuf"
        )
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def otlp_collector() -> Iterator[Collector]:
    """A collector listening on 127.0.0.1 and a free port until the block ends."""
    collector = Collector(url="")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), type("Handler", (_Handler,), {"collector": collector})
    )
    collector.url = f"http://127.0.0.1:{server.server_port}/v1/traces"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield collector
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
