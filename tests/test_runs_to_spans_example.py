"""`examples/runs_to_otel_backend.py` moves a runs file into an OTLP endpoint (a loopback
collector here), and what arrives converts back to the same runs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_runs import Run
from otel_runs.otlp.decode import decode_request
from tests.fixtures.runs.roundtrip import back_to_runs, differences

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "runs_to_otel_backend.py"
EXPORT = ROOT / "tests" / "fixtures" / "runs" / "langsmith_export.jsonl"


class _Collector(BaseHTTPRequestHandler):
    bodies: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.bodies.append((dict(self.headers), body))
        reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    bodies: list[tuple[dict[str, str], bytes]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Collector,), {"bodies": bodies}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/traces", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_example_moves_a_runs_file_into_an_otlp_backend(
    collector: tuple[str, list[tuple[dict[str, str], bytes]]], tmp_path: Path
) -> None:
    url, bodies = collector
    runs_file = tmp_path / "runs.jsonl"
    runs_file.write_text(EXPORT.read_text() + "not a run\n")
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(runs_file), "--endpoint", url, "--header", "k=v"],
        capture_output=True,
        text=True,
        check=True,
    )
    runs = [Run.from_dict(json.loads(line)) for line in EXPORT.read_text().splitlines()]
    assert done.stdout.strip() == f"sent {len(runs)} spans of 1 traces to {url}"
    assert f"{runs_file}:{len(runs) + 1}: skipped" in done.stderr
    assert all(headers.get("k") == "v" for headers, _ in bodies)
    records = [r for _, body in bodies for r in decode_request(body).records]
    assert differences(back_to_runs(records), runs) == {}
