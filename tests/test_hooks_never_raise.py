"""Telemetry hooks never raise into the application, in every process: an internal error is
logged and counted (`otel_runs.guard`), whether or not pytest is loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

from otel_runs import guard
from otel_runs.exporter import RunExporter
from otel_runs.model.span_record import SpanRecord
from otel_runs.processor import RunSpanProcessor
from tests.conftest import InternalErrors
from tests.support.memory_sink import MemorySink

ROOT = Path(__file__).resolve().parents[1]
APP = Path(__file__).parent / "support" / "failing_hook_app.py"


def test_an_app_that_imports_pytest_survives_a_failing_keep_callable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "OTEL_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, str(APP), str(tmp_path / "runs.sqlite")],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    survived, count = done.stdout.split()
    assert survived == "survived" and int(count) >= 2  # both spans' keep calls were reported
    assert "the app's keep callable failed" in done.stderr  # logged, with its traceback


def test_a_raising_keep_callable_is_reported_not_raised(internal_errors: InternalErrors) -> None:
    def keep(record: SpanRecord) -> bool:
        raise ValueError("keep failed")

    before = guard.error_count()
    sink = MemorySink()
    provider = TracerProvider()
    provider.add_span_processor(RunSpanProcessor(sink, keep=keep, schedule_delay_millis=10))
    with provider.get_tracer("app").start_as_current_span("work"):
        pass
    provider.shutdown()
    assert guard.error_count() > before
    assert internal_errors.errors and all(
        str(error) == "keep failed" for error in internal_errors.errors
    )


def test_a_sink_with_a_bug_fails_the_export_and_keeps_the_runs(
    internal_errors: InternalErrors,
) -> None:
    sink = MemorySink()
    sink.fail_with = RuntimeError("sink bug")
    exporter = RunExporter(sink)
    span = TracerProvider().get_tracer("app").start_span("work")
    span.end()
    assert isinstance(span, ReadableSpan)
    assert exporter.export([span]) is SpanExportResult.FAILURE
    assert exporter.stats()["buffered"] == 1  # kept for a retry, not lost with the exception
    assert [str(error) for error in internal_errors.errors] == ["sink bug"]
    sink.fail_with = None
    assert exporter.force_flush()
    assert [run.name for run in sink.runs.values()] == ["work"]


def test_a_failing_listener_does_not_raise_either(internal_errors: InternalErrors) -> None:
    def listener(error: BaseException, what: str) -> None:
        raise RuntimeError("listener bug")

    remove = guard.add_listener(listener)
    try:
        guard.report(ValueError("boom"), "testing %s", "the guard")
    finally:
        remove()
    assert internal_errors.reported[-1][1] == "testing the guard"
