"""The spool on real SQLite files: codec round trips, durability across reopen, marks, the size
limit, and every way the file can refuse a write (read-only, locked, full, in use, foreign)."""

from __future__ import annotations

import enum
import marshal
import math
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otel_runs.model.span_record import EventRecord, LinkRecord, SpanRecord
from otel_runs.receiver.codec import (
    CodecError,
    decode_lineage,
    decode_log_events,
    decode_spans,
    encode_log_events,
    encode_spans,
)
from otel_runs.receiver.intake import LogEvent, SpoolFullError, SpoolUnavailableError
from otel_runs.receiver.partitions import partition_of, resplit
from otel_runs.receiver.spool import Mark, Spool
from tests.support.records import record
from tests.support.strategies import PROPERTIES, span_ids, trace_ids

MIB = 1024 * 1024


# --- read-only files as any user ---------------------------------------------------------------


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files or directories unwritable: chmod for a normal user; root ignores modes, so
    for root the ext4 immutable flag (chattr +i). Restored on exit."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i not supported here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


# --- codec ---------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**200), 2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=10,
)
attributes = st.dictionaries(st.text(max_size=10), values, max_size=5)
events = st.builds(EventRecord, st.text(max_size=10), st.integers(0, 2**63), attributes)
links = st.builds(LinkRecord, trace_ids, span_ids, attributes)
records = st.builds(
    SpanRecord,
    trace_id=trace_ids,
    span_id=span_ids,
    parent_span_id=st.one_of(st.none(), span_ids),
    name=st.text(max_size=20),
    start_ns=st.integers(0, 2**63),
    end_ns=st.integers(0, 2**63),
    attributes=attributes,
    events=st.lists(events, max_size=2).map(tuple),
    links=st.lists(links, max_size=2).map(tuple),
    kind=st.sampled_from(["INTERNAL", "SERVER", "CLIENT"]),
    status_code=st.sampled_from(["UNSET", "OK", "ERROR"]),
    status_message=st.text(max_size=10),
    resource=attributes,
    scope_name=st.text(max_size=10),
    scope_version=st.text(max_size=5),
    parent_is_remote=st.one_of(st.none(), st.booleans()),
    trace_state=st.text(max_size=10),
    dropped_attributes=st.integers(0, 2**32),
    dropped_events=st.integers(0, 2**32),
    dropped_links=st.integers(0, 2**32),
)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down, and NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (SpanRecord, EventRecord, LinkRecord, LogEvent)):
        return all(same(getattr(a, f), getattr(b, f)) for f in a.__slots__)
    return bool(a == b)


@PROPERTIES
@given(st.lists(records, max_size=5))
def test_codec_round_trips_span_records_exactly(batch: list[SpanRecord]) -> None:
    back = decode_spans(encode_spans(batch))
    assert len(back) == len(batch)
    for original, decoded in zip(batch, back, strict=True):
        assert same(original, decoded)


@PROPERTIES
@given(st.lists(st.builds(LogEvent, trace_ids, span_ids, events), max_size=5))
def test_codec_round_trips_log_events_exactly(batch: list[LogEvent]) -> None:
    back = decode_log_events(encode_log_events(batch))
    assert all(same(a, b) for a, b in zip(batch, back, strict=True)) and len(back) == len(batch)


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def test_codec_writes_values_of_other_types_as_plain_ones() -> None:
    odd = record(
        7,
        attributes={
            "mapping": MappingProxyType({"a": 1}),
            "enum": Color.RED,
            "int_enum": Level.HIGH,
            "buffer": bytearray(b"xy"),
            "range": range(2),
            "object": object,
        },
    )
    back = decode_spans(encode_spans([odd]))[0]
    assert back.attributes == {
        "mapping": {"a": 1},
        "enum": "red",
        "int_enum": 3,
        "buffer": b"xy",
        "range": (0, 1),
        "object": str(object),
    }
    assert type(back.attributes["enum"]) is str and type(back.attributes["int_enum"]) is int


def test_resources_shared_by_spans_stay_shared() -> None:
    resource = {"service.name": "svc"}
    spans = [
        SpanRecord(1, i, None, "s", 1, 2, resource=resource)
        for i in (1, 2)  # the OTLP decoder gives every span of a resource one dict
    ]
    back = decode_spans(encode_spans(spans))
    assert back[0].resource == resource and back[0].resource is back[1].resource


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00garbage", id="garbage"),
        pytest.param(encode_log_events([]), id="log-events-read-as-spans"),
    ],
)
def test_codec_refuses_blobs_it_did_not_write(blob: bytes) -> None:
    with pytest.raises(CodecError):
        decode_spans(blob)


# --- appends, reads, marks ----------------------------------------------------------------------


def spans_blob(*span_ids: int) -> bytes:
    return encode_spans([record(span_id) for span_id in span_ids])


def test_an_append_is_durable_once_it_returns(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, max_bytes=MIB)
    body = spans_blob(1, 2, 3)
    seq = spool.append_spans(body, 3, "project-a")
    spool.append_log_events(encode_log_events([LogEvent(1, 2, EventRecord("e", 5))]), 1)
    spool.close()

    # A fresh process would see this: another connection, the lock released by close.
    reopened = Spool(path, max_bytes=MIB)
    assert (reopened.pending_spans, reopened.pending_log_events) == (3, 1)
    assert reopened.stored_bytes > len(body)
    [batch] = reopened.read("span_batches", 0, max_items=100)
    assert (batch.seq, batch.project, batch.count, batch.body) == (seq, "project-a", 3, body)
    assert [r.span_id for r in decode_spans(batch.body)] == [1, 2, 3]
    [logs] = reopened.read("log_batches", 0, max_items=100)
    assert decode_log_events(logs.body)[0].event.name == "e"
    reopened.close()


def test_reads_follow_arrival_order_within_the_item_budget_and_age(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=MIB)
    seqs = [spool.append_spans(spans_blob(i), 1, None) for i in (1, 2, 3)]
    assert [b.seq for b in spool.read("span_batches", 0, max_items=2)] == seqs[:2]
    assert [b.seq for b in spool.read("span_batches", seqs[0], max_items=10)] == seqs[1:]
    young = spool.read("span_batches", 0, max_items=10, received_before=0.0)
    assert young == []  # every row arrived after 1970: none has settled yet
    assert spool.next_arrival("span_batches", 0) is not None
    assert spool.next_arrival("span_batches", seqs[-1]) is None
    big = spool.append_spans(spans_blob(4, 5, 6), 3, None)
    # The first row is returned even when it alone exceeds the budget.
    assert [b.seq for b in spool.read("span_batches", seqs[-1], max_items=1)] == [big]
    spool.close()


def test_marks_survive_a_reopen_and_finished_rows_are_deleted(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, max_bytes=MIB)
    first = spool.append_spans(spans_blob(1, 2, 3), 3, None)
    second = spool.append_spans(spans_blob(4), 1, None)
    # Items 0 and 2 of the first row resolved; the second row entirely.
    spool.mark({first: Mark(bytes([0b101]), 2), second: Mark(None, 1)}, {})
    assert spool.pending_spans == 1
    spool.close()

    reopened = Spool(path, max_bytes=MIB)
    assert reopened.pending_spans == 1
    [batch] = reopened.read("span_batches", 0, max_items=100)
    assert batch.seq == first
    assert [batch.is_done(i) for i in range(3)] == [True, False, True]
    reopened.mark({first: Mark(None, 1)}, {})
    assert reopened.read("span_batches", 0, max_items=100) == []
    assert (reopened.pending_spans, reopened.stored_bytes) == (0, 0)
    reopened.close()


def test_sequence_numbers_never_go_back_after_the_newest_row_is_deleted(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=MIB)
    old = spool.append_spans(spans_blob(1), 1, None)
    spool.mark({old: Mark(None, 1)}, {})
    assert spool.append_spans(spans_blob(2), 1, None) > old  # a read cursor at `old` sees it
    spool.close()


# --- size limit -------------------------------------------------------------------------------


def test_over_the_size_limit_nothing_is_stored_until_rows_are_delivered(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=MIB)
    body = encode_spans([record(1, attributes={"blob": "x" * 300_000})])
    stored = [spool.append_spans(body, 1, None) for _ in range(3)]
    with pytest.raises(SpoolFullError, match="is full") as refused:
        spool.append_spans(body, 1, None)
    assert refused.value.retry_after_s > 0
    assert spool.pending_spans == 3  # the refused request left nothing behind
    assert len(spool.read("span_batches", 0, max_items=10)) == 3
    spool.mark({stored[0]: Mark(None, 1)}, {})  # one request delivered: room again
    spool.append_spans(body, 1, None)
    assert spool.pending_spans == 3
    spool.close()


def test_the_file_shrinks_back_once_everything_is_delivered(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=64 * MIB)
    body = encode_spans([record(1, attributes={"blob": "x" * 1_000_000})])
    seqs = [spool.append_spans(body, 1, None) for _ in range(5)]
    full = (tmp_path / "spool.sqlite").stat().st_size
    spool.mark({seq: Mark(None, 1) for seq in seqs}, {})
    with closing(sqlite3.connect(tmp_path / "spool.sqlite")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert (tmp_path / "spool.sqlite").stat().st_size < full / 4
    spool.close()


# --- refusals ----------------------------------------------------------------------------------


def test_a_read_only_directory_refuses_to_open_with_a_clear_error(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    with read_only(directory), pytest.raises(SpoolUnavailableError, match=str(directory)):
        Spool(directory / "spool.sqlite", max_bytes=MIB)


def test_a_read_only_spool_file_refuses_to_open(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    Spool(path, max_bytes=MIB).close()
    with read_only(path), pytest.raises(SpoolUnavailableError, match=r"spool\.sqlite"):
        Spool(path, max_bytes=MIB)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs chattr +i on an open file (root)")
def test_a_spool_turned_read_only_while_open_refuses_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, max_bytes=MIB)
    spool.append_spans(spans_blob(1), 1, None)
    # Not the -shm file: SQLite maps it, and a mapped immutable file kills the process.
    with (
        read_only(path, Path(f"{path}-wal")),
        pytest.raises(SpoolUnavailableError, match="cannot store the request"),
    ):
        spool.append_spans(spans_blob(2), 1, None)
    spool.append_spans(spans_blob(3), 1, None)
    assert [
        decode_spans(b.body)[0].span_id for b in spool.read("span_batches", 0, max_items=9)
    ] == [1, 3]
    assert spool.pending_spans == 2
    spool.close()


def test_a_file_locked_by_another_program_refuses_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, max_bytes=MIB, lock_timeout_s=0.05)
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # say, a sqlite3 shell left in a transaction
        with pytest.raises(SpoolUnavailableError, match="locked"):
            spool.append_spans(spans_blob(1), 1, None)
        other.execute("COMMIT")
    spool.append_spans(spans_blob(2), 1, None)
    assert spool.pending_spans == 1
    spool.close()


def test_a_full_disk_refuses_without_leaving_half_a_request(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, max_bytes=64 * MIB)
    spool.append_spans(spans_blob(1), 1, None)
    # SQLite's own page cap gives the same SQLITE_FULL a full file system gives.
    writer = spool._writer
    assert writer is not None
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute(f"PRAGMA max_page_count={pages}")
    big = encode_spans([record(2, attributes={"blob": os.urandom(200_000).hex()})])
    with pytest.raises(SpoolUnavailableError, match="disk is full"):
        spool.append_spans(big, 1, None)
    assert spool.pending_spans == 1
    writer.execute("PRAGMA max_page_count=1073741823")
    spool.append_spans(big, 1, None)
    assert [b.count for b in spool.read("span_batches", 0, max_items=9)] == [1, 1]
    spool.close()


def test_a_second_receiver_on_the_same_spool_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    first = Spool(path, max_bytes=MIB)
    with pytest.raises(SpoolUnavailableError, match="in use by another receiver"):
        Spool(path, max_bytes=MIB)
    first.close()
    Spool(path, max_bytes=MIB).close()  # free again once the first one closed


def test_appends_after_close_are_refused(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=MIB)
    spool.refuse_appends("the receiver is shutting down")
    with pytest.raises(SpoolUnavailableError, match="shutting down"):
        spool.append_spans(spans_blob(1), 1, None)
    spool.close()
    spool.close()  # idempotent


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"this is not a database at all, " * 100, "not a valid spool", id="foreign"),
        pytest.param(None, "newer than this otel-runs", id="newer-schema"),
    ],
)
def test_a_file_that_is_not_our_spool_is_refused(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "spool.sqlite"
    if content is not None:
        path.write_bytes(content)
    else:
        Spool(path, max_bytes=MIB).close()
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(SpoolUnavailableError, match=message):
        Spool(path, max_bytes=MIB)


# --- partitions (otel-runs serve --workers) ----------------------------------------------------


def test_a_request_split_over_partitions_is_stored_whole_or_not_at_all(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=64 * MIB)
    first = [(0, spans_blob(1, 2), 2), (1, spans_blob(3), 1)]
    seq0, seq1 = spool.append_rows("span_batches", first, "p")
    assert [b.seq for b in spool.read("span_batches", 0, max_items=9, part=0)] == [seq0]
    assert [b.seq for b in spool.read("span_batches", 0, max_items=9, part=1)] == [seq1]
    assert spool.next_arrival("span_batches", 0, part=2) is None
    assert spool.read("span_batches", 0, max_items=9, part=1)[0].project == "p"
    assert spool.pending_spans == 3
    writer = spool._writer
    assert writer is not None
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute(f"PRAGMA max_page_count={pages}")
    big = encode_spans([record(9, attributes={"blob": os.urandom(200_000).hex()})])
    with pytest.raises(SpoolUnavailableError, match="disk is full"):
        spool.append_rows("span_batches", [(0, spans_blob(4), 1), (1, big, 1)])
    # The partition-0 row of the refused request is not there either.
    assert [b.seq for b in spool.read("span_batches", 0, max_items=9)] == [seq0, seq1]
    assert spool.pending_spans == 3
    spool.close()


def test_what_a_worker_marks_is_what_the_owner_counts(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    owner = Spool(path, max_bytes=MIB)
    seqs = owner.append_rows("span_batches", [(0, spans_blob(1, 2), 2), (1, spans_blob(3), 1)])
    full = owner.stored_bytes
    worker = Spool.attach(path)
    with pytest.raises(SpoolUnavailableError, match="takes no appends"):
        worker.append_spans(spans_blob(4), 1, None)
    [batch] = worker.read("span_batches", 0, max_items=9, part=1)
    worker.mark({batch.seq: Mark(None, 1)}, {})
    # The owner's size limit and gauges see the worker's mark at once: they are in the file.
    assert (owner.pending_spans, owner.stored_bytes) == (2, full - len(spans_blob(3)))
    assert [b.seq for b in owner.read("span_batches", 0, max_items=9)] == seqs[:1]
    worker.close()
    owner.close()


def _traces_of(spool: Spool, part: int) -> list[tuple[int, int]]:
    """(trace id, span id) of the unresolved spans of one partition, in arrival order."""
    found = []
    for batch in spool.read("span_batches", 0, max_items=1000, part=part):
        for index, span in enumerate(decode_spans(batch.body)):
            if not batch.is_done(index):
                found.append((span.trace_id, span.span_id))
    return found


def test_a_spool_split_for_another_worker_count_keeps_every_pending_span_in_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, max_bytes=MIB)
    spans = [record(s, trace_id=t) for t in (11, 12, 13, 14) for s in (t * 10 + 1, t * 10 + 2)]
    first = spool.append_spans(encode_spans(spans[:5]), 5, "kept")
    spool.append_spans(encode_spans(spans[5:]), 3, None)
    received = spool.read("span_batches", 0, max_items=9)[0].received
    spool.mark({first: Mark(bytes([0b1]), 1)}, {})  # span 111 delivered before the restart
    pending = [(s.trace_id, s.span_id) for s in spans[1:]]
    assert spool.repartition(3, resplit) == 2
    assert spool.parts == 3
    by_part = {part: _traces_of(spool, part) for part in range(3)}
    assert sum(1 for found in by_part.values() if found) >= 2  # the traces are spread
    for part, found in by_part.items():
        assert found == [k for k in pending if partition_of(k[0], 3) == part]
    assert sorted(k for found in by_part.values() for k in found) == sorted(pending)
    assert spool.pending_spans == 7
    rows = spool.read("span_batches", 0, max_items=99)
    assert {b.received for b in rows if b.project == "kept"} == {received}
    assert spool.repartition(3, resplit) == 0  # already split for three
    spool.close()
    # Back to one worker: its one reader takes every row, nothing is rewritten.
    reopened = Spool(path, max_bytes=MIB)
    assert reopened.repartition(1, resplit) == 0
    assert sorted(_traces_of(reopened, 0) + _traces_of(reopened, 1) + _traces_of(reopened, 2)) == (
        sorted(pending)
    )
    assert reopened.parts == 1
    reopened.close()


_SCHEMA_1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE span_batches (seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL,"
    " project TEXT, count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL)",
    "CREATE TABLE log_batches (seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL,"
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL)",
    "CREATE TABLE run_batches (seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL,"
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL)",
    "CREATE TABLE lineage (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id BLOB NOT NULL UNIQUE,"
    " data BLOB NOT NULL)",
    "INSERT INTO meta VALUES ('schema', '1')",
)
"""What otel-runs wrote before partitions (schema 1), as it wrote it."""


def test_a_spool_of_the_previous_schema_is_read_and_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    body = spans_blob(1, 2)
    # A lineage row as schema 1 stored it: marshal of (format 1, kind 3, [fields]).
    lineage = marshal.dumps((1, 3, [("20251122T000000000000Zabc", 7, None, None, ())]), 4)
    with closing(sqlite3.connect(path, isolation_level=None)) as old:
        old.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA_1:
            old.execute(statement)
        old.execute(
            "INSERT INTO span_batches (received, project, count, size, done, body)"
            " VALUES (1.5, 'p', 2, ?, ?, ?)",
            (len(body), bytes([0b10]), body),
        )
        old.execute("INSERT INTO lineage (run_id, data) VALUES (?, ?)", (bytes(16), lineage))
    spool = Spool(path, max_bytes=MIB)
    assert (spool.pending_spans, spool.stored_bytes, spool.parts) == (1, len(body), 1)
    [batch] = spool.read("span_batches", 0, max_items=9, part=0)
    assert (batch.project, batch.is_done(0), batch.is_done(1)) == ("p", False, True)
    stored = spool.read_lineages()
    assert stored.legacy == [(bytes(16), lineage)] and stored.batches == []
    assert decode_lineage(stored.legacy[0][1]).segment_us == 7
    spool.close()
    with closing(sqlite3.connect(path)) as check:
        assert check.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
