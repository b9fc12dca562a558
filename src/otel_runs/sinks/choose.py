"""Which sink to use when none is given: LangSmith when an API key is set, else the local store."""

from __future__ import annotations

import os

from otel_runs.sinks import RunSink

ENV_API_KEY = "LANGSMITH_API_KEY"


def choose_sink(*, for_receiver: bool = False) -> RunSink:
    """`LANGSMITH_API_KEY` set -> `LangSmithSink`; otherwise `SqliteSink` at the default path,
    written as the receiver writes it (`receiver_store`) with `for_receiver`."""
    if os.environ.get(ENV_API_KEY):
        from otel_runs.sinks.langsmith import LangSmithSink

        return LangSmithSink()
    from otel_runs.sinks.sqlite import SqliteSink, default_store_path, receiver_store

    if for_receiver:
        return receiver_store(default_store_path())
    return SqliteSink(default_store_path())
