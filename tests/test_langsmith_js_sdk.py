"""The LangSmith JS SDK pointed at a real `otel-runs serve`: what reaches a loopback OTLP
collector converts back into the runs the fake LangSmith receives from the same program.

Two ways: the program live under node (when node and npm are on the machine; `npm ci` from the
committed lockfile installs the SDK), run once natively and once through otel-runs; and the
committed recording of what the SDK sent (`tests/support/js_langsmith.py` re-records it),
replayed byte for byte to both, which runs everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import js_langsmith
from tests.support.fake_langsmith import FakeLangSmith, running_fake_langsmith
from tests.support.otlp_collector import otlp_collector
from tests.support.receiver_proc import serving
from tests.support.run_compare import comparable, feedback_by_place, feedback_in_runs, runs_at
from tests.test_receiver_service import wait_until

TOKEN = "js-key"
Send = Callable[[str, str], None]


def _live(url: str, key: str) -> None:
    done = js_langsmith.run_app(url, key)
    assert done.returncode == 0 and "Failed" not in done.stderr, done.stderr


def _senders() -> list[Any]:
    return [
        pytest.param(js_langsmith.replay, id="recorded"),
        pytest.param(
            _live,
            id="live",
            marks=pytest.mark.skipif(not js_langsmith.node_available(), reason="no node/npm"),
        ),
    ]


@pytest.fixture(scope="module", params=_senders())
def send(request: pytest.FixtureRequest) -> Send:
    sender: Send = request.param
    if sender is _live:
        js_langsmith.install()
    return sender


@pytest.fixture(scope="module")
def native(send: Send) -> Iterator[FakeLangSmith]:
    with running_fake_langsmith() as fake:
        send(fake.url, fake.api_key)
        yield fake


@pytest.fixture(scope="module")
def collected(send: Send, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("js-sdk")
    with otlp_collector() as collector, serving(
        tmp / "runs.sqlite", "--token", TOKEN, "--to", "otlp-http", collector.url, grpc=False
    ) as served:
        send(served.http_url, TOKEN)
        wait_until(lambda: served.stats(TOKEN)["langsmith_api.pending"] == 0, timeout=60)
        stats = served.stats(TOKEN)
        assert served.stop() == 0
        yield {"runs": runs_at(collector.accepted), "stats": stats}


def test_the_runs_at_the_collector_equal_what_langsmith_receives(
    native: FakeLangSmith, collected: dict[str, Any]
) -> None:
    want = comparable(list(native.runs.values()), native.attachments)
    got = comparable(collected["runs"], {})
    assert sorted(got) == sorted(want)
    for place in want:
        assert got[place] == want[place], place
    assert len(want) == 10
    assert want["agent#0/chat#0"]["outputs"]["usage_metadata"]["total_tokens"] == 17
    assert "no weather station" in want["agent#1/weather#1"]["error"]
    assert want["agent#1"]["extra"]["metadata"]["thread_id"] == "js-thread"
    assert set(want["agent#0/describe#0"]["attachments"]) == {"photo"}


def test_feedback_is_kept_with_its_run(native: FakeLangSmith, collected: dict[str, Any]) -> None:
    want = feedback_by_place(list(native.runs.values()), native.feedback)
    assert list(want) == ["agent#0"]
    assert feedback_by_place(collected["runs"], feedback_in_runs(collected["runs"])) == want


def test_every_run_came_complete_and_nothing_was_dropped(collected: dict[str, Any]) -> None:
    stats = collected["stats"]
    assert stats["langsmith_api.completed"] == stats["langsmith_api.delivered"] == 10
    for counter in ("rejected", "invalid", "unfinished", "failed", "feedback_late", "open"):
        assert stats[f"langsmith_api.{counter}"] == 0, counter
