"""Runs in LangSmith's run data format, made here (ids, times, dotted orders written out by
this module, not by otel_runs): agent traces of a chain, a chat model call with messages,
usage, a streamed token and costs, and a tool call that sometimes fails."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

BASE = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def _segment(when: datetime, run_id: str) -> str:
    return when.strftime("%Y%m%dT%H%M%S%fZ") + run_id


def _iso(when: datetime) -> str:
    return when.isoformat()


def agent_traces(count: int, *, seed: int = 7, start: datetime = BASE) -> list[dict[str, Any]]:
    """`count` traces of three runs each, one trace a second from `start`."""
    rng = random.Random(seed)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    runs: list[dict[str, Any]] = []
    for number in range(count):
        began = start + timedelta(seconds=number, microseconds=rng.randrange(1000))
        root_id, llm_id, tool_id = new_id(), new_id(), new_id()
        root_order = _segment(began, root_id)
        question = f"question {number}: what is {number} + {number}?"
        failed = number % 7 == 3
        root: dict[str, Any] = {
            "id": root_id,
            "name": "agent",
            "run_type": "chain",
            "start_time": _iso(began),
            "end_time": _iso(began + timedelta(milliseconds=900)),
            "inputs": {"question": question},
            "outputs": {"answer": str(2 * number)},
            "extra": {"metadata": {"thread_id": f"thread-{number % 5}", "user_id": "u-1"}},
            "tags": ["prod", f"batch-{number % 3}"],
            "trace_id": root_id,
            "dotted_order": root_order,
            "status": "success",
            "total_tokens": 30,
            "prompt_tokens": 20,
            "completion_tokens": 10,
            "total_cost": "0.000045",
            "feedback_stats": {"correctness": {"n": 1, "avg": 1.0}},
        }
        llm_start = began + timedelta(milliseconds=1)
        llm: dict[str, Any] = {
            "id": llm_id,
            "name": "ChatOpenAI",
            "run_type": "llm",
            "start_time": _iso(llm_start),
            "end_time": _iso(llm_start + timedelta(milliseconds=400)),
            "inputs": {"messages": [{"role": "user", "content": question}]},
            "outputs": {
                "choices": [{"message": {"role": "assistant", "content": str(2 * number)}}],
                "usage_metadata": {"input_tokens": 20, "output_tokens": 10, "total_tokens": 30},
            },
            "extra": {
                "metadata": {"ls_provider": "openai", "ls_model_name": "gpt-4o-mini"},
                "invocation_params": {"model": "gpt-4o-mini", "temperature": 0.2},
            },
            "events": [
                {"name": "start", "time": _iso(llm_start)},
                {"name": "new_token", "time": _iso(llm_start + timedelta(milliseconds=120)),
                 "kwargs": {"token": str(2 * number)}},
            ],
            "tags": [],
            "trace_id": root_id,
            "parent_run_id": root_id,
            "dotted_order": f"{root_order}.{_segment(llm_start, llm_id)}",
            "status": "success",
            "prompt_tokens": 20,
            "completion_tokens": 10,
            "total_tokens": 30,
            "prompt_cost": "0.000003",
            "completion_cost": "0.000006",
            "total_cost": "0.000009",
            "prompt_token_details": {"cache_read": 4},
            "first_token_time": _iso(llm_start + timedelta(milliseconds=120)),
        }
        tool_start = began + timedelta(milliseconds=500)
        tool: dict[str, Any] = {
            "id": tool_id,
            "name": "calculator",
            "run_type": "tool",
            "start_time": _iso(tool_start),
            "end_time": _iso(tool_start + timedelta(milliseconds=30)),
            "inputs": {"expression": f"{number}+{number}"},
            "outputs": None if failed else {"result": 2 * number},
            "error": "ValueError('calculator overflow')\nTraceback ..." if failed else None,
            "extra": {"metadata": {}},
            "tags": ["tools"],
            "trace_id": root_id,
            "parent_run_id": root_id,
            "dotted_order": f"{root_order}.{_segment(tool_start, tool_id)}",
            "status": "error" if failed else "success",
        }
        runs += [root, llm, tool]
    return runs
