"""A Gemini API (`generativelanguage`) server on loopback, for google-genai and Google ADK to call.

Routes: `POST /{version}/models/{model}:generateContent` and `...:streamGenerateContent`
(`?alt=sse`, one `data:` event per chunk, as google-genai asks for). Behaviour is chosen by the
request, so one server serves every scenario:
- any model: a text answer (ANSWER) with USAGE. As in the real API, `promptTokenCount`
  includes the cached part (`cachedContentTokenCount`) and `candidatesTokenCount` excludes the
  thinking (`thoughtsTokenCount`): the model produced OUTPUT_TOKENS_TOTAL tokens in all, and
  `totalTokenCount` is prompt + candidates + thoughts.
- a function declaration whose name ends in `get_weather` offered and the last content not a
  `functionResponse`: one `functionCall` of it with TOOL_ARGS.
- streaming: the text in two chunks (a `chunk_delay_s` pause before the second, so the first
  token comes measurably before the end); finish reason and usage on the last chunk only.
- a model whose name contains `broken` (ADK accepts only `gemini-*` names): HTTP 400 with a Google error body (ERROR_MESSAGE, `INVALID_ARGUMENT`); 400
  is not retried by google-genai's default retry options.

Every request is kept in `FakeGemini.requests` as (model, method, JSON body).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from tests.support.loopback import JsonHandler, loopback_server

ANSWER: Final = "It is sunny."
ANSWER_PIECES: Final = ("It is ", "sunny.")
TOOL_SUFFIX: Final = "get_weather"
TOOL_ARGS: Final = {"city": "Paris"}
RESPONSE_ID: Final = "fake-gemini-response-1"
ERROR_MESSAGE: Final = "the fake model broke"
PROMPT_TOKENS: Final = 34
CACHED_TOKENS: Final = 8
CANDIDATES_TOKENS: Final = 9
THOUGHTS_TOKENS: Final = 4
OUTPUT_TOKENS_TOTAL: Final = CANDIDATES_TOKENS + THOUGHTS_TOKENS
TOTAL_TOKENS: Final = PROMPT_TOKENS + OUTPUT_TOKENS_TOTAL
USAGE: Final = {
    "promptTokenCount": PROMPT_TOKENS,
    "cachedContentTokenCount": CACHED_TOKENS,
    "candidatesTokenCount": CANDIDATES_TOKENS,
    "thoughtsTokenCount": THOUGHTS_TOKENS,
    "totalTokenCount": TOTAL_TOKENS,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": PROMPT_TOKENS}],
    "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": CACHED_TOKENS}],
}
CHUNK_DELAY_S: Final = 0.02


@dataclass
class FakeGemini:
    """A running fake: its base URL (google-genai's `http_options.base_url`) and what it got."""

    url: str
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(model, method, JSON body) of every call, in arrival order."""


def _function_to_call(body: dict[str, Any]) -> str | None:
    """The function the fake model calls now, or None to answer in text."""
    contents = body.get("contents") or []
    if contents:
        parts = contents[-1].get("parts") or []
        if any(isinstance(p, dict) and "functionResponse" in p for p in parts):
            return None
    for tool in body.get("tools") or []:
        for declaration in (tool or {}).get("functionDeclarations") or []:
            name = str(declaration.get("name", ""))
            if name.endswith(TOOL_SUFFIX):
                return name
    return None


def _response(model: str, parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    response: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": model,
        "responseId": RESPONSE_ID,
    }
    if last:
        candidate["finishReason"] = "STOP"
        response["usageMetadata"] = dict(USAGE)
    return response


class _Handler(JsonHandler):
    server_version = "fake-gemini/1"
    fake: FakeGemini
    chunk_delay_s = CHUNK_DELAY_S
    content_type = "application/json; charset=UTF-8"

    def _error(self, status: int, google_status: str, message: str) -> None:
        self.send_json(
            status, {"error": {"code": status, "message": message, "status": google_status}}
        )

    def do_GET(self) -> None:
        self._error(404, "NOT_FOUND", f"no such endpoint: {self.path}")

    def do_POST(self) -> None:
        try:
            body = self.read_json()
        except ValueError:
            self._error(400, "INVALID_ARGUMENT", "body is not JSON")
            return
        path = self.path.split("?", 1)[0]
        _, found, rest = path.partition("/models/")
        model, _, method = rest.partition(":")
        if not found or method not in ("generateContent", "streamGenerateContent"):
            self._error(404, "NOT_FOUND", f"no such endpoint: {path}")
            return
        self.fake.requests.append((model, method, body))
        if not body.get("contents"):
            self._error(
                400,
                "INVALID_ARGUMENT",
                "* GenerateContentRequest.contents: contents is not specified",
            )
            return
        if "broken" in model:
            self._error(400, "INVALID_ARGUMENT", ERROR_MESSAGE)
            return
        function = _function_to_call(body)
        chunks: list[list[dict[str, Any]]]
        if function is not None:
            chunks = [[{"functionCall": {"name": function, "args": TOOL_ARGS}}]]
        elif method == "streamGenerateContent":
            chunks = [[{"text": piece}] for piece in ANSWER_PIECES]
        else:
            chunks = [[{"text": ANSWER}]]
        if method == "generateContent":
            self.send_json(200, _response(model, chunks[0], last=True))
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        for index, parts in enumerate(chunks):
            if index and self.chunk_delay_s:
                time.sleep(self.chunk_delay_s)
            chunk = _response(model, parts, last=index == len(chunks) - 1)
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n")
            self.wfile.flush()


@contextmanager
def fake_gemini(chunk_delay_s: float = CHUNK_DELAY_S) -> Iterator[FakeGemini]:
    """Serve on 127.0.0.1 with a free port until the block ends."""
    fake = FakeGemini(url="")
    handler = type("Handler", (_Handler,), {"fake": fake, "chunk_delay_s": chunk_delay_s})
    with loopback_server(handler) as url:
        fake.url = url
        yield fake
