"""The reliability runs (reliability/) in their smoke versions, so they cannot rot.

Each asserts the promises of docs/reliability.md on a real `otel-runs serve` subprocess: no
acknowledged span lost, no run that was never sent, no span delivered as two different runs,
every Retry-After honoured, every limit answered as documented. Figures (latency, memory) are
printed by `reliability/run`, not checked here. About a minute in all.
"""

from __future__ import annotations

import json
import time
from itertools import pairwise
from pathlib import Path

import pytest
from reliability.crash_loop import crash_loop
from reliability.main import broken_promises, main
from reliability.outage import Phase, outage, smoke_phases, spacing
from reliability.soak import soak

from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks.langsmith import LangSmithSink
from tests.support.fake_langsmith import Fault, RecordedRequest, running_fake_langsmith
from tests.support.records import record


def _kept(figures: dict[str, object]) -> None:
    assert figures["lost"] == 0, figures
    assert figures["extra_runs"] == 0, figures
    assert figures["all_arrived"] is True, figures
    assert figures["dropped_requests"] == 0 and figures["partly_rejected_spans"] == 0, figures
    assert figures["exit_code"] == 0, figures


def test_soak_smoke_delivers_every_acknowledged_span() -> None:
    figures = soak(20.0)
    _kept(figures)
    # A healthy receiver acknowledges everything it is sent.
    assert figures["spans_acked"] == figures["spans_produced"] == figures["runs_stored"]
    assert figures["spans_acked"] >= 1000
    assert figures["rss_samples"] >= 4 and figures["latency_p99_ms"] > 0


def test_outage_smoke_loses_nothing_and_honours_retry_after() -> None:
    figures = outage(smoke_phases())
    _kept(figures)
    assert figures["accepted_twice"] == 0
    rows = figures["retry_spacing"]
    assert [row["phase"] for row in rows] == ["429 Retry-After 2", "503 Retry-After 1"]
    for row in rows:
        assert row["faulty_answers"] >= 1, row  # the fault was really served
        assert row["violations"] == 0, row
    assert broken_promises([figures]) == []


def test_crash_loop_smoke_loses_no_acknowledged_span() -> None:
    figures = crash_loop(3, up_s=(0.5, 1.5), seed=3)
    _kept(figures)
    assert figures["kills"] == 3 and figures["spans_acked"] > 0
    assert figures["changed_identity"] == 0


def test_crash_loop_with_worker_processes_loses_no_acknowledged_span() -> None:
    figures = crash_loop(3, up_s=(1.0, 2.0), seed=5, workers=(2, 3))
    _kept(figures)
    assert len(set(str(figures["workers"]).split(","))) == 2  # the count changed on a restart
    assert figures["spans_acked"] > 0 and figures["changed_identity"] == 0


def test_limits_smoke_through_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--smoke", "--only", "limits", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_limit = {(row["limit"], row.get("probe")): row for row in rows}
    assert len(by_limit) == len(rows) >= 10
    for row in rows:
        assert row["ok"] or row.get("gap"), row
    answers = " | ".join(row["answer"] for row in rows)
    for expected in ("401: missing or wrong bearer token", "413: request body is larger",
                     "400: body is not OTLP/JSON", "nested deeper than 100 levels"):  # fmt: skip
        assert expected in answers


# --- the checks themselves can fail -------------------------------------------------------------


def _request(at: float, message: str, status: int = 503) -> RecordedRequest:
    return RecordedRequest("POST", "/runs/multipart", {}, b"", status=status, message=message,
                           received_at=at)  # fmt: skip


def test_spacing_counts_retries_sooner_than_retry_after() -> None:
    phase = Phase("503 Retry-After 5", 60.0, Fault(503, retry_after="5", message="phase x"))
    requests = [_request(0.0, "phase x"), _request(5.5, "phase x"), _request(7.0, "phase x"),
                _request(20.0, "", status=202)]  # fmt: skip
    [row] = spacing([(phase, 0.0, 60.0)], requests)
    assert (row["faulty_answers"], row["violations"], row["min_gap_s"]) == (3, 1, 1.5)


def test_spacing_finds_late_answered_faults_by_time() -> None:
    """A fault that stores the runs and answers too late leaves no message: its window counts."""
    late = Phase("stored, answer lost", 30.0, Fault(None, delay=15.0, message="phase late"))
    requests = [_request(1.0, "", status=202), _request(12.5, "", status=409),
                _request(31.0, "", status=202)]  # fmt: skip
    [row] = spacing([(late, 0.0, 30.0)], requests)
    assert (row["faulty_answers"], row["min_gap_s"], row["violations"]) == (2, 1.5, None)


def test_broken_promises_are_reported() -> None:
    figures = {"scenario": "soak", "lost": 2, "extra_runs": 0, "all_arrived": False,
               "exit_code": 1}  # fmt: skip
    assert broken_promises([figures]) == [
        "soak: lost = 2",
        "soak: not every acknowledged span arrived in time",
        "soak: the receiver exited with 1",
    ]
    limit = {"scenario": "limits", "limit": "x", "probe": "y", "answer": "200", "ok": False}
    assert broken_promises([limit]) == ["limits: x: y -> 200"]
    assert broken_promises([{**limit, "gap": True}]) == []


# --- Retry-After across sink writes (the long outage run found it broken; now fixed) -----------


def test_the_receiver_honours_retry_after_across_sink_writes(tmp_path: Path) -> None:
    """A sink write that gives up (here at its 0.5 s deadline) hands the Retry-After back in
    `SinkResult.retry_after_s`; the forwarder waits at least that long before the next write."""
    with running_fake_langsmith() as fake:
        fake.inject(Fault(503, retry_after="2", message="busy"), times=2)
        sink = LangSmithSink(api_key=fake.api_key, endpoint=fake.url, deadline=0.5)
        service = ReceiverService(sink, spool_path=tmp_path / "spool.sqlite", log_settle_s=0)
        service.start()
        service.accept([record(span_id=1)])
        deadline = time.monotonic() + 30
        while not fake.runs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.stop(5)
        arrivals = [request.received_at for request in fake.ingest_requests()]
    assert len(arrivals) == 3
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert min(gaps) >= 2.0, gaps
