"""An Anthropic Messages API server on loopback, for real instrumentations and frameworks to call.

Behaviour is chosen by the request, so one server serves every scenario:
- `POST /v1/messages`, any model: a text answer (ANSWER) with USAGE, whose counts are distinct
  so a test can tell them apart. As in the real API, `input_tokens` excludes the cache reads
  and writes: the prompt was INPUT_TOKENS_TOTAL tokens in all.
- a tool whose name ends in `get_weather` offered and the last message not carrying a
  `tool_result`: one `tool_use` block calling it with TOOL_INPUT (`stop_reason: tool_use`).
  Only such a tool is called, so an agent that offers a dozen built-in tools (Claude Code) is
  answered in text unless it offers this one too.
- `stream: true`: the documented SSE sequence (`message_start` with the input side of the
  usage, `content_block_start` / `content_block_delta` / `content_block_stop` per block, text
  as two `text_delta`s, tool input as two `input_json_delta`s, `message_delta` with the stop
  reason and the output tokens, `message_stop`), waiting `chunk_delay_s` before every event
  after the first so the first token comes measurably before the end.
- model `broken`: HTTP 400 with an `invalid_request_error` body (ERROR_MESSAGE). 400 is never
  retried by Anthropic's clients, so a failed call is one request.
- a request without `model`, `max_tokens` or `messages`: HTTP 400, as the real API answers.
- `POST /v1/messages/count_tokens`: `{"input_tokens": INPUT_TOKENS_TOTAL}`.

Every request body is kept in `FakeAnthropic.requests`, so a test can say what was sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from tests.support.loopback import JsonHandler, loopback_server

ANSWER: Final = "It is sunny."
ANSWER_PIECES: Final = ("It is ", "sunny.")
TOOL_SUFFIX: Final = "get_weather"
TOOL_INPUT: Final = {"city": "Paris"}
TOOL_USE_ID: Final = "toolu_fake_1"
MESSAGE_ID: Final = "msg_fake_1"
STREAM_MESSAGE_ID: Final = "msg_fake_2"
ERROR_MESSAGE: Final = "the fake model broke"
USAGE: Final = {
    "input_tokens": 21,
    "cache_creation_input_tokens": 5,
    "cache_read_input_tokens": 8,
    "output_tokens": 9,
}
"""What every answer reports; streamed answers report the same counts."""
INPUT_TOKENS_TOTAL: Final = 21 + 5 + 8
"""The whole prompt: Anthropic's `input_tokens` plus the cache reads and writes."""
STREAM_START_OUTPUT_TOKENS: Final = 1
"""`message_start` reports this placeholder output count, as the real API does."""
CHUNK_DELAY_S: Final = 0.02


@dataclass
class FakeAnthropic:
    """A running fake: its base URL (what `ANTHROPIC_BASE_URL` takes) and what it received."""

    url: str
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(path, JSON body) of every POST, in arrival order."""


def _tool_to_call(body: dict[str, Any]) -> str | None:
    """The name of the tool the fake model calls now, or None to answer in text."""
    messages = body.get("messages") or []
    if messages:
        content = messages[-1].get("content")
        if isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in content
        ):
            return None
    for tool in body.get("tools") or []:
        name = str(tool.get("name", "")) if isinstance(tool, dict) else ""
        if name.endswith(TOOL_SUFFIX):
            return name
    return None


def _message(
    model: str, message_id: str, content: list[dict[str, Any]], stop: str
) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": dict(USAGE),
    }


class _Handler(JsonHandler):
    server_version = "fake-anthropic/1"
    fake: FakeAnthropic
    chunk_delay_s = CHUNK_DELAY_S
    extra_headers: ClassVar[dict[str, str]] = {"request-id": "req_fake_1"}

    def _error(self, status: int, kind: str, message: str) -> None:
        self.send_json(status, {"type": "error", "error": {"type": kind, "message": message}})

    def do_GET(self) -> None:
        self._error(404, "not_found_error", f"no such endpoint: {self.path}")

    def do_POST(self) -> None:
        try:
            body = self.read_json()
        except ValueError:
            self._error(400, "invalid_request_error", "body is not JSON")
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        self.fake.requests.append((path, body))
        if path.endswith("/messages/count_tokens"):
            self.send_json(200, {"input_tokens": INPUT_TOKENS_TOTAL})
            return
        if not path.endswith("/messages"):
            self._error(404, "not_found_error", f"no such endpoint: {path}")
            return
        missing = [k for k in ("model", "max_tokens", "messages") if k not in body]
        if missing:
            self._error(400, "invalid_request_error", f"{missing[0]}: Field required")
            return
        model = str(body["model"])
        if model == "broken":
            self._error(400, "invalid_request_error", ERROR_MESSAGE)
            return
        tool = _tool_to_call(body)
        content: list[dict[str, Any]]
        if tool is None:
            content = [{"type": "text", "text": ANSWER}]
            stop = "end_turn"
        else:
            content = [{"type": "tool_use", "id": TOOL_USE_ID, "name": tool, "input": TOOL_INPUT}]
            stop = "tool_use"
        if body.get("stream"):
            self._stream(_message(model, STREAM_MESSAGE_ID, content, stop))
        else:
            self.send_json(200, _message(model, MESSAGE_ID, content, stop))

    def _stream(self, final: dict[str, Any]) -> None:
        start_usage = {**USAGE, "output_tokens": STREAM_START_OUTPUT_TOKENS}
        events: list[dict[str, Any]] = [
            {
                "type": "message_start",
                "message": {**final, "content": [], "stop_reason": None, "usage": start_usage},
            }
        ]
        for index, block in enumerate(final["content"]):
            if block["type"] == "text":
                events.append(
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    }
                )
                events.append({"type": "ping"})
                for piece in ANSWER_PIECES:
                    events.append(
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": piece},
                        }
                    )
            else:
                events.append(
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {**block, "input": {}},
                    }
                )
                arguments = json.dumps(block["input"])
                half = len(arguments) // 2
                for piece in (arguments[:half], arguments[half:]):
                    events.append(
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": piece},
                        }
                    )
            events.append({"type": "content_block_stop", "index": index})
        events.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": final["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": USAGE["output_tokens"]},
            }
        )
        events.append({"type": "message_stop"})
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", "req_fake_2")
        self.end_headers()
        for index, event in enumerate(events):
            if index and self.chunk_delay_s:
                time.sleep(self.chunk_delay_s)
            data = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            self.wfile.write(data)
            self.wfile.flush()


@contextmanager
def fake_anthropic(chunk_delay_s: float = CHUNK_DELAY_S) -> Iterator[FakeAnthropic]:
    """Serve on 127.0.0.1 with a free port until the block ends."""
    fake = FakeAnthropic(url="")
    handler = type("Handler", (_Handler,), {"fake": fake, "chunk_delay_s": chunk_delay_s})
    with loopback_server(handler) as url:
        fake.url = url
        yield fake
