"""An OpenAI-compatible chat completions server on loopback, for real instrumentations to call.

Behaviour is chosen by the request's model name, so one server serves every scenario:
- any model: a plain answer with usage (12 prompt tokens, 4 cached; 5 completion, 2 reasoning);
- `stream: true`: two content chunks, a finish chunk and a usage chunk (with include_usage);
- tools offered and the last message not a tool result: one `get_weather` tool call;
- model `broken`: HTTP 500 with an OpenAI error body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 5,
    "total_tokens": 17,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 2},
}
STREAM_USAGE = {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}
ANSWER = "It is sunny."


def _completion(model: str, message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": USAGE,
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake-2",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-openai/1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        model = str(body.get("model", "gpt-4o-mini"))
        if model == "broken":
            self._json(500, {"error": {"message": "the fake model broke", "type": "server_error"}})
            return
        if body.get("stream"):
            self._stream(model, bool((body.get("stream_options") or {}).get("include_usage")))
            return
        messages = body.get("messages") or []
        tools = body.get("tools") or []
        if tools and (not messages or messages[-1].get("role") != "tool"):
            name = tools[0]["function"]["name"]
            call = {
                "id": "call_weather_1",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps({"city": "Paris"})},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            self._json(200, _completion(model, message, "tool_calls"))
            return
        self._json(200, _completion(model, {"role": "assistant", "content": ANSWER}, "stop"))

    def _stream(self, model: str, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        chunks = [
            _chunk(model, {"role": "assistant", "content": "It is "}, None),
            _chunk(model, {"content": "sunny."}, None),
            _chunk(model, {}, "stop"),
        ]
        if include_usage:
            chunks.append({**_chunk(model, {}, None), "choices": [], "usage": STREAM_USAGE})
        for chunk in chunks:
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


@contextmanager
def fake_openai() -> Iterator[str]:
    """Serve on 127.0.0.1 with a free port; yields the base URL (`.../v1`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
