"""Writes once to the spool or the run store between two markers on stderr, so a test running
this under `strace` sees which sync calls happen inside the write.

    python -m tests.support.durability_app spool DIR [full|normal]   ReceiverService.accept
    python -m tests.support.durability_app store DIR [synced]        SqliteSink.write, close
    python -m tests.support.durability_app marks DIR                 Spool.mark, then an append

Markers: `WRITE-START`, `WRITE-END` (for the store, around its second write: the first makes
the file), for the store `CLOSED` after the sink's close, and for the marks `MARK-START`,
`MARK-END` around a LangSmith API mark and `SPAN-MARK-START`, `SPAN-MARK-END` around an OTLP
forwarding mark, both made before the write.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from otel_runs.receiver.service import ReceiverService
from otel_runs.receiver.spool import Mark, Spool
from otel_runs.sinks.sqlite import SqliteSink
from tests.support.agent_spans import agent_runs
from tests.support.memory_sink import MemorySink
from tests.support.records import record


def mark(text: str) -> None:
    os.write(2, f"{text}\n".encode())


def spool(directory: Path, synchronous: Literal["full", "normal"] | None) -> None:
    service = ReceiverService(
        MemorySink(), spool_path=directory / "spool.sqlite", synchronous=synchronous
    )
    spans = [record(1, attributes={"step": "one"})]
    mark("WRITE-START")
    service.accept(spans)  # the front end answers 200 once this returns
    mark("WRITE-END")
    service.stop(5, drain=False)


def marks(directory: Path) -> None:
    spool = Spool(directory / "spool.sqlite", max_bytes=1 << 20)
    seq = spool.append_run_items(b"first request", 1)
    spans = spool.append_spans(b"spans", 2, None)
    mark("MARK-START")
    spool.mark({}, {}, runs={seq: Mark(None, 1)})  # its run was delivered
    mark("MARK-END")
    mark("SPAN-MARK-START")  # the OTLP forwarding's mark: spans delivered, their lineages kept
    spool.mark({spans: Mark(b"\x01", 1)}, {}, (b"lineages", 1))
    mark("SPAN-MARK-END")
    mark("WRITE-START")
    spool.append_run_items(b"next request", 1)  # answered 202 once this returns
    mark("WRITE-END")
    spool.close()


def store(directory: Path, synced: bool) -> None:
    sink = SqliteSink(directory / "runs.sqlite", synced=synced)
    sink.write(agent_runs())  # the store made (its first write syncs as SQLite creates it)
    runs = agent_runs(2)
    mark("WRITE-START")
    sink.write(runs)
    mark("WRITE-END")
    sink.close()
    mark("CLOSED")


if __name__ == "__main__":
    where = Path(sys.argv[2])
    if sys.argv[1] == "marks":
        marks(where)
    elif sys.argv[1] == "spool":
        mode = sys.argv[3] if len(sys.argv) > 3 else None
        spool(where, "full" if mode == "full" else "normal" if mode == "normal" else None)
    else:
        store(where, synced=sys.argv[3:] == ["synced"])
