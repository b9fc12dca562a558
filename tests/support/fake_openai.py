"""An OpenAI-compatible server on loopback, for real instrumentations and frameworks to call.

Behaviour is chosen by the request's path and model name, so one server serves every scenario.

Chat completions (`/v1/chat/completions`, and any other path not listed below):
- any model: a plain answer with usage (12 prompt tokens, 4 cached; 5 completion, 2 reasoning);
- `stream: true`: two content chunks, a finish chunk and a usage chunk (with include_usage);
- tools offered and the last message not a tool result: one tool call with `{"city": "Paris"}`,
  to the first tool that is not `final_answer` (streamed as tool-call deltas when streaming);
- the last message a tool result (or the tool call already in an earlier message's text, as
  smolagents sends it) and a `final_answer` tool offered (agents that must end with it, like
  smolagents): a call to `final_answer` with `{"answer": ANSWER}`;
- model `broken`: HTTP 500 with an OpenAI error body.

Responses API (`/v1/responses`), the same rules over `input` items: a `function_call` when
function tools are offered and the last item is not a `function_call_output`, else an
`output_text` message; usage RESPONSES_USAGE; `stream: true` sends the documented event
sequence ending in `response.completed`.

Embeddings (`/v1/embeddings`): one EMBEDDING_DIM-float vector per input, derived from the text,
EMBEDDING_TOKENS_PER_INPUT prompt tokens per input; base64 when the client asks for it (the
openai client does by default).

`fake_openai(chunk_delay_s=...)` waits that long before each streamed chunk after the first
event, so a time to first token is measurably shorter than the call.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
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
RESPONSES_USAGE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 4},
    "output_tokens": 5,
    "output_tokens_details": {"reasoning_tokens": 2},
    "total_tokens": 17,
}
ANSWER = "It is sunny."
TOOL_ARGUMENTS = {"city": "Paris"}
TOOL_CALL_ID = "call_weather_1"
FINAL_ANSWER_TOOL = "final_answer"
FINAL_ANSWER_CALL_ID = "call_final_1"
EMBEDDING_DIM = 8
EMBEDDING_TOKENS_PER_INPUT = 7
ERROR_MESSAGE = "the fake model broke"


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


def _tool_names(tools: list[Any]) -> list[str]:
    names = []
    for tool in tools:
        if isinstance(tool, dict):
            function = tool.get("function")
            named = function if isinstance(function, dict) else tool
            names.append(str(named.get("name", "")))
    return names


def _next_call(names: list[str], after_tool_result: bool) -> tuple[str, str, str] | None:
    """(call id, tool name, JSON arguments) the model asks for next, or None to answer."""
    if not names:
        return None
    if after_tool_result:
        if FINAL_ANSWER_TOOL in names:
            return FINAL_ANSWER_CALL_ID, FINAL_ANSWER_TOOL, json.dumps({"answer": ANSWER})
        return None
    name = next((n for n in names if n != FINAL_ANSWER_TOOL), names[0])
    return TOOL_CALL_ID, name, json.dumps(TOOL_ARGUMENTS)


def _called_before(messages: list[Any]) -> bool:
    """Whether an earlier turn already holds the fake's tool call as text (smolagents sends its
    tool calls and observations as plain messages, not as tool_calls and tool results)."""
    return any(
        isinstance(m, dict) and TOOL_CALL_ID in json.dumps(m.get("content")) for m in messages
    )


def embedding(text: str) -> list[float]:
    """The fake's vector for a text: EMBEDDING_DIM floats in [0, 1) from its SHA-256."""
    digest = hashlib.sha256(text.encode()).digest()
    return [digest[i] / 256 for i in range(EMBEDDING_DIM)]


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-openai/1"
    chunk_delay_s = 0.0

    def log_message(self, format: str, *args: object) -> None:
        return

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[tuple[str | None, dict[str, Any]]], done: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        for index, (event, data) in enumerate(events):
            if index and self.chunk_delay_s:
                time.sleep(self.chunk_delay_s)
            head = f"event: {event}\n".encode() if event else b""
            self.wfile.write(head + b"data: " + json.dumps(data).encode() + b"\n\n")
            self.wfile.flush()
        if done:
            self.wfile.write(b"data: [DONE]\n\n")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        model = str(body.get("model", "gpt-4o-mini"))
        if model == "broken":
            self._json(500, {"error": {"message": ERROR_MESSAGE, "type": "server_error"}})
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        if path.endswith("/embeddings"):
            self._embeddings(model, body)
        elif path.endswith("/responses"):
            self._responses(model, body)
        else:
            self._chat(model, body)

    # --- chat completions ---------------------------------------------------------------------

    def _chat(self, model: str, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        after_tool = bool(messages) and (
            messages[-1].get("role") == "tool" or _called_before(messages)
        )
        call = _next_call(_tool_names(body.get("tools") or []), after_tool)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._chat_stream(model, include_usage, call)
            return
        if call is not None:
            call_id, name, arguments = call
            entry = {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [entry]}
            self._json(200, _completion(model, message, "tool_calls"))
            return
        self._json(200, _completion(model, {"role": "assistant", "content": ANSWER}, "stop"))

    def _chat_stream(
        self, model: str, include_usage: bool, call: tuple[str, str, str] | None
    ) -> None:
        if call is None:
            chunks = [
                _chunk(model, {"role": "assistant", "content": "It is "}, None),
                _chunk(model, {"content": "sunny."}, None),
                _chunk(model, {}, "stop"),
            ]
        else:
            call_id, name, arguments = call
            half = len(arguments) // 2
            first = {"index": 0, "id": call_id, "type": "function"}
            chunks = [
                _chunk(
                    model,
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [{**first, "function": {"name": name, "arguments": ""}}],
                    },
                    None,
                ),
                _chunk(
                    model,
                    {"tool_calls": [{"index": 0, "function": {"arguments": arguments[:half]}}]},
                    None,
                ),
                _chunk(
                    model,
                    {"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]},
                    None,
                ),
                _chunk(model, {}, "tool_calls"),
            ]
        if include_usage:
            chunks.append({**_chunk(model, {}, None), "choices": [], "usage": STREAM_USAGE})
        self._sse([(None, chunk) for chunk in chunks], done=True)

    # --- embeddings ---------------------------------------------------------------------------

    def _embeddings(self, model: str, body: dict[str, Any]) -> None:
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else [str(t) for t in raw or []]
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = embedding(text)
            value: Any = vector
            if as_base64:
                value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": value})
        tokens = EMBEDDING_TOKENS_PER_INPUT * len(texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        self._json(200, {"object": "list", "data": data, "model": model, "usage": usage})

    # --- Responses API ------------------------------------------------------------------------

    def _responses(self, model: str, body: dict[str, Any]) -> None:
        items = body.get("input")
        last = items[-1] if isinstance(items, list) and items else {}
        after_tool = isinstance(last, dict) and last.get("type") == "function_call_output"
        tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
        call = _next_call(_tool_names(tools), after_tool)
        if call is None:
            item: dict[str, Any] = {
                "type": "message",
                "id": "msg_fake_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
            }
        else:
            call_id, name, arguments = call
            item = {
                "type": "function_call",
                "id": "fc_fake_1",
                "call_id": call_id,
                "name": name,
                "arguments": arguments,
                "status": "completed",
            }
        response = {
            "id": "resp_fake_1",
            "object": "response",
            "created_at": 1_700_000_000,
            "status": "completed",
            "model": model,
            "output": [item],
            "usage": RESPONSES_USAGE,
            "parallel_tool_calls": True,
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "instructions": body.get("instructions"),
            "error": None,
            "incomplete_details": None,
            "metadata": {},
            "temperature": body.get("temperature", 1.0),
            "top_p": body.get("top_p", 1.0),
            "text": {"format": {"type": "text"}},
        }
        if body.get("stream"):
            self._responses_stream(response, item)
        else:
            self._json(200, response)

    def _responses_stream(self, response: dict[str, Any], item: dict[str, Any]) -> None:
        started = {**response, "status": "in_progress", "output": [], "usage": None}
        events: list[tuple[str, dict[str, Any]]] = [
            ("response.created", {"response": started}),
            ("response.in_progress", {"response": started}),
        ]
        where = {"output_index": 0, "item_id": item["id"]}
        if item["type"] == "message":
            text = item["content"][0]["text"]
            pieces = [text[: len(text) // 2], text[len(text) // 2 :]]
            empty_part = {"type": "output_text", "text": "", "annotations": []}
            events += [
                (
                    "response.output_item.added",
                    {"output_index": 0, "item": {**item, "status": "in_progress", "content": []}},
                ),
                ("response.content_part.added", {**where, "content_index": 0, "part": empty_part}),
                *(
                    ("response.output_text.delta", {**where, "content_index": 0, "delta": piece})
                    for piece in pieces
                ),
                ("response.output_text.done", {**where, "content_index": 0, "text": text}),
                (
                    "response.content_part.done",
                    {**where, "content_index": 0, "part": item["content"][0]},
                ),
            ]
        else:
            arguments = item["arguments"]
            events += [
                (
                    "response.output_item.added",
                    {"output_index": 0, "item": {**item, "status": "in_progress", "arguments": ""}},
                ),
                ("response.function_call_arguments.delta", {**where, "delta": arguments}),
                ("response.function_call_arguments.done", {**where, "arguments": arguments}),
            ]
        events += [
            ("response.output_item.done", {"output_index": 0, "item": item}),
            ("response.completed", {"response": response}),
        ]
        self._sse(
            [
                (kind, {"type": kind, "sequence_number": number, **data})
                for number, (kind, data) in enumerate(events)
            ],
            done=False,
        )


@contextmanager
def fake_openai(chunk_delay_s: float = 0.0) -> Iterator[str]:
    """Serve on 127.0.0.1 with a free port; yields the base URL (`.../v1`)."""
    handler = type("Handler", (_Handler,), {"chunk_delay_s": chunk_delay_s})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
