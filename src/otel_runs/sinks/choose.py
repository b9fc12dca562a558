"""Which sink to use when none is given: LangSmith when an API key is set, else the local store."""

from __future__ import annotations

import os

from otel_runs.sinks import RunSink

ENV_API_KEY = "LANGSMITH_API_KEY"


def choose_sink(*, synced: bool = False, take_turns: bool = False) -> RunSink:
    """`LANGSMITH_API_KEY` set -> `LangSmithSink`; otherwise `SqliteSink` at the default path,
    syncing every commit with `synced` (for a caller that forgets its copy of the runs once the
    sink has answered: the receiver, whose spool does) and taking turns with the store's other
    writers with `take_turns` (for a caller with several: the receiver's worker processes)."""
    if os.environ.get(ENV_API_KEY):
        from otel_runs.sinks.langsmith import LangSmithSink

        return LangSmithSink()
    from otel_runs.sinks.sqlite import SqliteSink, default_store_path

    return SqliteSink(default_store_path(), synced=synced, take_turns=take_turns)
