"""The real `langsmith` Python SDK (`@traceable`, a LangChain runnable, threads, attachments,
feedback) pointed at a real `otel-runs serve`: what reaches a loopback OTLP collector converts
back into the same runs the fake LangSmith receives when the same program runs natively."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_langsmith import FakeLangSmith, running_fake_langsmith
from tests.support.otlp_collector import otlp_collector
from tests.support.receiver_proc import serving
from tests.support.run_compare import comparable, feedback_by_place, feedback_in_runs, runs_at
from tests.test_receiver_service import wait_until

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "sdk-live"


def run_app(endpoint: str, api_key: str) -> None:
    """The app, as an unmodified program would run: only LANGSMITH_* tell it where to send."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGSMITH_")}
    env.update(
        LANGSMITH_TRACING="true", LANGSMITH_ENDPOINT=endpoint, LANGSMITH_API_KEY=api_key,
        LANGSMITH_PROJECT=PROJECT, PYTHONPATH=str(ROOT),
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.langsmith_sdk_app"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Failed to" not in done.stderr, done.stderr  # no upload error logged by the SDK


@pytest.fixture(scope="module")
def native() -> Iterator[FakeLangSmith]:
    """The program run natively against the fake LangSmith."""
    with running_fake_langsmith() as fake:
        run_app(fake.url, fake.api_key)
        yield fake


@pytest.fixture(scope="module")
def through_otel_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same program against `otel-runs serve --to otlp-http <collector>`."""
    tmp = tmp_path_factory.mktemp("sdk-live")
    with otlp_collector() as collector, serving(
        tmp / "runs.sqlite", "--token", "key-1", "--to", "otlp-http", collector.url, grpc=False
    ) as served:
        run_app(served.http_url, "key-1")
        wait_until(lambda: served.stats("key-1")["langsmith_api.pending"] == 0, timeout=60)
        stats = served.stats("key-1")
        assert served.stop() == 0
        yield {"collector": collector, "stats": stats}


def test_the_program_exercises_what_the_endpoint_must_merge(native: FakeLangSmith) -> None:
    """Guard on the program itself: natively it sends zstd multipart bodies, a patch whose
    post went in an earlier request, attachments and feedback."""
    requests = [r for r in native.ingest_requests() if r.path == "/runs/multipart"]
    assert {r.headers.get("content-encoding") for r in requests} == {"zstd"}
    posted: set[str] = set()
    split = False
    for request in requests:
        names = [p.name for p in request.parts]
        split |= any(
            n.startswith("patch.") and n.count(".") == 1 and n[6:] in posted for n in names
        )
        posted |= {n[5:] for n in names if n.startswith("post.") and n.count(".") == 1}
    assert split, "no patch arrived in a later request than its post"
    assert native.attachments and native.feedback


def test_the_runs_at_the_collector_equal_what_langsmith_receives(
    native: FakeLangSmith, through_otel_runs: dict[str, Any]
) -> None:
    want_runs = list(native.runs.values())
    got_runs = runs_at(through_otel_runs["collector"].accepted)
    want = comparable(want_runs, native.attachments)
    got = comparable(got_runs, {})
    assert sorted(got) == sorted(want)
    for place in want:
        assert got[place] == want[place], place
    # what the comparison covers, so it cannot pass on empty runs
    assert want["agent#0/chat#0"]["outputs"]["usage_metadata"]["total_tokens"] == 28
    assert "LookupError" in want["agent#0/weather#1"]["error"]
    assert "ValueError" in want["lc_fails#0"]["error"]
    assert want["agent#1"]["extra"]["metadata"]["thread_id"] == "thread-1"
    assert want["lc_chain#0"]["extra"]["metadata"]["thread_id"] == "thread-2"
    assert set(want["agent#0/describe#0"]["attachments"]) == {"photo"}


def test_feedback_is_kept_with_its_run(
    native: FakeLangSmith, through_otel_runs: dict[str, Any]
) -> None:
    got_runs = runs_at(through_otel_runs["collector"].accepted)
    want = feedback_by_place(list(native.runs.values()), native.feedback)
    assert want == {"agent#0": [want["agent#0"][0]]}
    assert feedback_by_place(got_runs, feedback_in_runs(got_runs)) == want


def test_the_endpoint_counted_every_run_complete_and_nothing_lost(
    through_otel_runs: dict[str, Any],
) -> None:
    stats = through_otel_runs["stats"]
    assert stats["langsmith_api.completed"] == stats["langsmith_api.delivered"] == 17
    for counter in ("rejected", "invalid", "unfinished", "failed", "feedback_late",
                    "feedback_unjoined", "attachments_unjoined", "open", "outbox"):  # fmt: skip
        assert stats[f"langsmith_api.{counter}"] == 0, counter
    assert stats["langsmith_api.feedback_joined"] == 1
    assert stats["langsmith_api.attachments_joined"] == 2
