"""The loopback fakes of the Anthropic and Gemini APIs answer as their docstrings say (the
framework recordings were made against them; CI does not re-record, so they are checked here)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.fake_anthropic import fake_anthropic
from tests.support.fake_gemini import fake_gemini

WEATHER = {"name": "mcp__weather__get_weather", "input_schema": {"type": "object"}}


def _sse(text: str) -> list[dict[str, Any]]:
    return [
        json.loads(line[len("data: ") :]) for line in text.splitlines() if line.startswith("data: ")
    ]


def test_anthropic_fake_tool_use_then_text_then_stream_then_error() -> None:
    with fake_anthropic(chunk_delay_s=0) as fake, httpx.Client(base_url=fake.url) as client:
        question = {"role": "user", "content": "weather?"}
        body = {"model": "m", "max_tokens": 9, "messages": [question], "tools": [WEATHER]}
        first = client.post("/v1/messages", json=body).json()
        assert first["stop_reason"] == "tool_use"
        assert first["content"][0]["name"] == "mcp__weather__get_weather"
        assert first["usage"]["input_tokens"] == 21  # cache reads and writes not included
        result = {"type": "tool_result", "tool_use_id": "toolu_fake_1", "content": "sunny"}
        body["messages"] = [question, {"role": "user", "content": [result]}]
        assert client.post("/v1/messages", json=body).json()["content"][0]["text"] == "It is sunny."
        only_other_tools = {**body, "messages": [question], "tools": [{"name": "Bash"}]}
        assert (
            client.post("/v1/messages", json=only_other_tools).json()["stop_reason"] == "end_turn"
        )
        events = _sse(client.post("/v1/messages", json={**body, "stream": True}).text)
        kinds = [e["type"] for e in events]
        assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
        text = "".join(
            e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta"
        )
        assert text == "It is sunny."
        assert events[-2]["usage"] == {"output_tokens": 9}
        failed = client.post("/v1/messages", json={**body, "model": "broken"})
        assert failed.status_code == 400
        assert failed.json()["error"]["message"] == "the fake model broke"
        assert client.post("/v1/messages", json={"model": "m"}).status_code == 400
    assert len(fake.requests) == 6


def test_gemini_fake_function_call_then_text_then_stream_then_error() -> None:
    with fake_gemini(chunk_delay_s=0) as fake, httpx.Client(base_url=fake.url) as client:
        question = {"role": "user", "parts": [{"text": "weather?"}]}
        tools = [{"functionDeclarations": [{"name": "get_weather"}]}]
        body: dict[str, Any] = {"contents": [question], "tools": tools}
        url = "/v1beta/models/gemini-2.5-flash:generateContent"
        first = client.post(url, json=body).json()
        call = first["candidates"][0]["content"]["parts"][0]["functionCall"]
        assert call == {"name": "get_weather", "args": {"city": "Paris"}}
        answer = {"role": "user", "parts": [{"functionResponse": {"name": "get_weather"}}]}
        second = client.post(url, json={**body, "contents": [question, answer]}).json()
        assert second["candidates"][0]["content"]["parts"] == [{"text": "It is sunny."}]
        usage = second["usageMetadata"]
        assert usage["totalTokenCount"] == usage["promptTokenCount"] + 9 + 4
        stream_url = url.replace("generateContent", "streamGenerateContent") + "?alt=sse"
        chunks = _sse(client.post(stream_url, json={"contents": [question]}).text)
        assert ["usageMetadata" in c for c in chunks] == [False, True]
        assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == (
            "It is sunny."
        )
        failed = client.post(url.replace("gemini-2.5-flash", "gemini-broken"), json=body)
        assert failed.status_code == 400
        assert failed.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert [method for _, method, _ in fake.requests] == [
        "generateContent",
        "generateContent",
        "streamGenerateContent",
        "generateContent",
    ]
