"""Spans written by the `langsmith` SDK's own OTel export (the langsmith.* convention) come back
as the runs the SDK meant."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

APP = Path(__file__).parent / "support" / "langsmith_app.py"


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, str(APP)], capture_output=True, text=True, check=True, timeout=120
    )
    return {run["name"]: run for run in map(json.loads, out.stdout.splitlines())}


def test_tree_and_run_types(runs: dict[str, dict[str, Any]]) -> None:
    assert {name: run["run_type"] for name, run in runs.items()} == {
        "pipeline": "chain",
        "double": "tool",
        "explode": "tool",
        "chat": "llm",
    }
    root = runs["pipeline"]
    assert root["parent_run_id"] is None
    for name in ("double", "explode", "chat"):
        assert runs[name]["parent_run_id"] == root["id"]
        assert runs[name]["trace_id"] == root["id"]
        assert runs[name]["dotted_order"].startswith(root["dotted_order"] + ".")


def test_llm_run_keeps_inputs_outputs_tags_and_metadata(runs: dict[str, dict[str, Any]]) -> None:
    chat = runs["chat"]
    assert chat["inputs"] == {"messages": [{"role": "user", "content": "hi"}]}
    assert chat["outputs"]["choices"][0]["message"]["content"] == "hello"
    assert chat["tags"] == ["t1", "t2"]
    meta = chat["extra"]["metadata"]
    assert meta["ls_model_name"] == "gpt-4o-mini"
    assert meta["ls_provider"] == "openai"
    assert meta["usage_metadata"]["input_token_details"] == {"cache_read": 2}


def test_tokens_count_once(runs: dict[str, dict[str, Any]]) -> None:
    chat, root = runs["chat"], runs["pipeline"]
    assert (chat["prompt_tokens"], chat["completion_tokens"], chat["total_tokens"]) == (5, 7, 12)
    # The SDK also stamps the chat's usage on the pipeline span (it returned the chat's output):
    # it is kept as a roll-up, and the chain's fields are the sum of its LLM calls.
    assert root["total_tokens"] == 12
    assert root["extra"]["metadata"]["ls_aggregated_usage"]["total_tokens"] == 12
    assert chat["total_cost"] is not None and float(chat["total_cost"]) > 0
    assert root["total_cost"] == chat["total_cost"]


def test_errors_and_thread_and_project(runs: dict[str, dict[str, Any]]) -> None:
    failed = runs["explode"]
    assert failed["status"] == "error"
    assert "cannot use 4" in failed["error"]
    for run in runs.values():
        assert run["extra"]["metadata"]["thread_id"] == "t-1"
    assert runs["double"]["inputs"] == {"x": 3}
    assert runs["double"]["outputs"] == {"output": 6}
