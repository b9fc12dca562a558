"""The sinks the receiver writes its local store with, made as the receiver makes them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from otel_runs.cli import _parser
from otel_runs.cli.serve import _sink
from otel_runs.cli.serve_langsmith import destination
from otel_runs.receiver.service import ReceiverService
from otel_runs.sinks.sqlite import SqliteSink


@contextmanager
def receiver_store_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[SqliteSink]]:
    """All three, on one store (`tmp_path/runs.sqlite`): `otel-runs serve`'s OTLP forwarding
    sink (each worker's), its LangSmith API's `--to store`, and `ReceiverService`'s default
    store (no sink given), which its worker processes each write. Closed on exit."""
    monkeypatch.delenv("LANGSMITH_API_KEY", raising=False)
    store = tmp_path / "runs.sqlite"
    monkeypatch.setenv("OTEL_RUNS_STORE", str(store))
    args = _parser().parse_args(["serve", "--store", str(store)])
    make, _ = _sink(args)
    serves = [make(), destination(args, store).sink]
    service = ReceiverService(spool_path=tmp_path / "spool.sqlite")
    try:
        sinks: list[SqliteSink] = []
        for sink in (*serves, service.sink):
            assert isinstance(sink, SqliteSink) and sink.path == store
            sinks.append(sink)
        yield sinks
    finally:
        for sink in serves:
            sink.close()
        service.stop(5)
