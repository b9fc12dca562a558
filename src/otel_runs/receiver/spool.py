"""The receiver's durable spool: one SQLite file in WAL mode holding what was acknowledged.

    span_batches   one row per accepted traces request and partition: the encoded spans
                   (codec.py), their count, the `Langsmith-Project` header, the arrival time,
                   `done`, and `part`, the partition of trace ids they belong to
    log_batches    the same for span-bound log events (no project)
    run_batches    the same for LangSmith API requests (run posts, patches, feedback and
                   attachments, `receiver/langsmith_api/`), forwarded by their own thread
    lineage_batches  where recently delivered runs sit in their trees (dotted_order, trace
                   values), so a child read after a restart still finds its parent: one row per
                   mark, an encoded list; the newest `max_lineages` runs are kept (`lineage`,
                   one row per run, is what schema 1 wrote; still read, no longer written)
    pending        one row: the encoded bytes and the items of each table not yet resolved,
                   kept in the same transactions as the rows (every process sees the same)
    meta           schema version; `parts`, the number of partitions the rows are split into

A row is written in one autocommit statement, so a request is stored whole or not at all, and
`append_*` returns only after the commit. The forwarder marks items of a row as resolved in a
`done` bitmap (bit i = item i delivered, rejected or given up) and deletes the row once every
item is resolved; a restart re-reads every row and skips the resolved items.

Durability (the fsync policy): WAL with `synchronous=FULL` by default, i.e. every commit
fsyncs the WAL before `append_*` returns. A committed request survives a crash of the process
(`kill -9`: the WAL is already in the OS, and SQLite replays it on the next open) *and* of the
machine (power loss, kernel panic), which is what a 200 to an OTLP sender promises: the sender
drops its copy. `synchronous="normal"` skips that fsync (it then happens at checkpoints only): a
process crash still loses nothing, but a power loss may roll back the last commits, never
corrupt the file. On this project's VM a full-sync commit costs about 0.25 ms, once per request,
so FULL is the default.

Size: `max_bytes` bounds the encoded bytes of the rows not yet deleted. An append that would
pass it raises `SpoolFullError` (the front end answers 503 / UNAVAILABLE with Retry-After) and
stores nothing; nothing is ever dropped to make room. The file itself is larger by SQLite's page
overhead and the WAL (truncated to `journal_size_limit` after checkpoints); pages freed by
deleted rows are reused, and returned to the file system when the spool empties.

Failures: a disk that is full, a read-only file or directory, a file locked by another program
or an I/O error raise `SpoolUnavailableError` naming the file and the cause; the statement is
rolled back, so nothing half-written stays. Only one receiver may use a spool at a time (an
advisory `flock` on the file): a second receiver on the same file is refused at open instead of
delivering every span twice.

Partitions (`otel-runs serve --workers N`): the front end writes each request's spans as one row
per partition of trace ids (`partitions.py`), all in one transaction, and worker process k reads
and marks only the rows of partition k, through a spool it `attach`es: no lock of its own (it
inherits the front end's, so the lock outlives a front end killed before its workers), no
appends. The `pending` row, which the size limit and the gauges read, changes in the same
transaction as the rows, so a process killed at any point leaves it right. SQLite lets one
connection write at a time; every write here is one short transaction (an append, a mark), and
the others wait for it (`lock_timeout_s`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from otel_runs.receiver.intake import SpoolFullError, SpoolUnavailableError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, one receiver per spool by hand
    fcntl = None  # type: ignore[assignment]

_logger = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 2
"""2: rows carry their partition (`part`, meta `parts`); lineages are written per mark."""
Synchronous = Literal["full", "normal"]

_JOURNAL_SIZE_LIMIT: Final = 64 * 1024 * 1024
"""Bytes the WAL file is truncated to after a checkpoint."""
_SHRINK_AFTER_BYTES: Final = 1 << 20
"""Freed bytes since the last shrink before an empty spool gives pages back: a spool emptied
after every small request reuses its few free pages instead of shrinking and growing again."""
_READ_ROWS: Final = 64
"""Rows fetched per read query (each row is a whole request)."""

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # AUTOINCREMENT: seq never goes back, even after the newest row was deleted, so the
    # forwarder's read cursor never skips a row.
    "CREATE TABLE IF NOT EXISTS span_batches ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL, project TEXT,"
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL,"
    " part INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS log_batches ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL,"
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL,"
    " part INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS run_batches ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL,"
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lineage ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id BLOB NOT NULL UNIQUE, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lineage_batches ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, count INTEGER NOT NULL, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY CHECK (id = 0),"
    " bytes INTEGER NOT NULL, spans INTEGER NOT NULL, logs INTEGER NOT NULL,"
    " runs INTEGER NOT NULL)",
)
_PARTITIONED: Final = ("span_batches", "log_batches")
"""Tables whose rows belong to one partition each (schema 1 had no `part` column)."""
_INDEXES: Final = tuple(
    f"CREATE INDEX IF NOT EXISTS {table}_by_part ON {table} (part, seq)" for table in _PARTITIONED
)

Table = Literal["span_batches", "log_batches", "run_batches"]
_PENDING_COLUMN: Final = {"span_batches": "spans", "log_batches": "logs", "run_batches": "runs"}
PartRow = tuple[int, bytes, int]
"""One row of an append: (partition, encoded items, item count)."""


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """One spooled request as read back."""

    seq: int
    received: float
    """Unix time of the commit."""
    project: str | None
    count: int
    done: bytes
    """Bitmap of resolved items (bit i of byte i // 8); empty when none is."""
    body: bytes

    def is_done(self, index: int) -> bool:
        """Whether item `index` was resolved before this read."""
        byte = index >> 3
        return byte < len(self.done) and bool(self.done[byte] >> (index & 7) & 1)


@dataclass(frozen=True, slots=True)
class Mark:
    """New state of a batch: its `done` bitmap, or None once every item is resolved (delete)."""

    done: bytes | None
    resolved: int
    """Items resolved since the last mark (for the pending counters)."""


@dataclass(frozen=True, slots=True)
class Pending:
    """What waits in a spool: encoded bytes of the rows not yet deleted (what `max_bytes`
    bounds), and the items not yet resolved, per table."""

    bytes: int = 0
    spans: int = 0
    logs: int = 0
    runs: int = 0


@dataclass(frozen=True, slots=True)
class Lineages:
    """The lineages a spool keeps, oldest first: per-run rows a schema-1 spool wrote (run id,
    encoded lineage), then the encoded lists written with each mark since."""

    legacy: list[tuple[bytes, bytes]]
    batches: list[bytes]


@dataclass(slots=True)
class OpenRow:
    """A spooled row some of whose items are still unresolved, as its reader tracks it."""

    done: bytearray
    """The `done` bitmap as the next mark will write it."""
    remaining: int
    resolved: int = 0
    """Items resolved since the last successful mark."""


def resolve_items(
    rows: Mapping[int, OpenRow], touched: set[int], locs: Iterable[tuple[int, int]]
) -> None:
    """Set the bits of `locs` ((row seq, item index)) in their open rows, each item counted
    once; a seq no longer open (its row deleted, a location listed twice) is skipped. The seq
    of every row changed goes into `touched`. (One loop, inline: every delivered run passes.)"""
    for seq, index in locs:
        row = rows.get(seq)
        if row is None:
            continue
        byte, bit = index >> 3, 1 << (index & 7)
        if row.done[byte] & bit:
            continue
        row.done[byte] |= bit
        row.remaining -= 1
        row.resolved += 1
        touched.add(seq)


def popcount(bitmap: bytes) -> int:
    """Set bits of a bitmap."""
    return int.from_bytes(bitmap, "little").bit_count() if bitmap else 0


def _reason(exc: sqlite3.Error) -> str:
    """A plain-words cause for a SQLite failure (the error code names first, message second)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if "FULL" in name or "disk is full" in text:
        return "the disk is full"
    if "READONLY" in name or "readonly" in text or "read-only" in text:
        return "the spool file or its directory is read-only"
    if "BUSY" in name or "LOCKED" in name or "locked" in text:
        return "the spool file is locked by another connection"
    if "CANTOPEN" in name or "unable to open" in text:
        return "the spool file cannot be opened (missing or read-only directory?)"
    if "IOERR" in name or "i/o error" in text:
        return "an I/O error (read-only or failing disk?)"
    if "CORRUPT" in name or "NOTADB" in name or "malformed" in text or "not a database" in text:
        return "the file is not a valid spool (corrupt or another kind of file)"
    return "a database error"


def unavailable(path: Path, doing: str, exc: BaseException) -> SpoolUnavailableError:
    """The error raised for a spool that cannot do `doing`, naming the file and the cause."""
    cause = _reason(exc) if isinstance(exc, sqlite3.Error) else type(exc).__name__
    error = SpoolUnavailableError(f"spool {path}: cannot {doing}: {cause} ({exc})")
    error.__cause__ = exc
    return error


class Spool:
    """One spool file: appends from any thread, reads and marks from the forwarder's thread.

    Appends and marks share one writer connection behind a lock; reads use their own
    connection, so a forwarder reading a large row never holds up an append (WAL readers do not
    block the writer). `Spool(path, ...)` is the owner (the front end: the file lock, the
    schema, appends, the counters); `Spool.attach(path, ...)` is a worker process's view of the
    same file (reads and marks of its partition).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int,
        synchronous: Synchronous = "full",
        lock_timeout_s: float = 5.0,
        max_lineages: int = 100_000,
        owner: bool = True,
    ) -> None:
        self.path: Final = Path(path)
        self.max_bytes = max_bytes
        self.max_lineages = max_lineages
        self.owner: Final = owner
        self._lineages = 0
        self._full_sync = synchronous == "full"
        self._freed_unshrunk = 0
        self._lock = threading.Lock()
        self._refusal: str | None = None if owner else "a worker's spool takes no appends"
        self._lock_fd: int | None = None
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._last = Pending()
        """What `pending()` found last (answered once the spool is closed)."""
        try:
            if owner:
                self._lock_fd = self._lock_file()
            self._writer = self._connect(lock_timeout_s)
            self._writer.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._writer.execute(f"PRAGMA journal_size_limit={_JOURNAL_SIZE_LIMIT}")
            if owner:
                self._create_schema(self._writer)
            else:
                self._check_schema(self._writer)
            self._reader = self._connect(lock_timeout_s)
            self._reader.execute("PRAGMA query_only=1")
            self._lineages = self._count_lineages(self._writer)
        except sqlite3.Error as exc:
            self._close_all()
            raise unavailable(self.path, "open", exc) from exc
        except BaseException:
            self._close_all()
            raise

    @classmethod
    def attach(
        cls,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "full",
        lock_timeout_s: float = 5.0,
        max_lineages: int = 100_000,
    ) -> Spool:
        """A worker process's view of a spool its front end owns (and holds the lock of):
        reads, marks, lineages; no appends."""
        return cls(
            path,
            max_bytes=0,
            synchronous=synchronous,
            lock_timeout_s=lock_timeout_s,
            max_lineages=max_lineages,
            owner=False,
        )

    # --- opening ------------------------------------------------------------------------------

    def _lock_file(self) -> int | None:
        """An exclusive advisory lock on the spool file, held until `close` (released by the
        kernel if the process dies, so a `kill -9` never leaves a stale lock). Worker processes
        inherit the descriptor: the lock is released once the last of them is gone too."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SpoolUnavailableError(
                f"spool {self.path}: cannot open for writing: {exc.strerror or exc}"
            ) from exc
        if fcntl is None:  # pragma: no cover - Windows
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise SpoolUnavailableError(
                f"spool {self.path} is in use by another receiver (one process per spool)"
            ) from exc
        return fd

    @property
    def lock_fd(self) -> int | None:
        """The descriptor holding the file lock (for worker processes to inherit)."""
        return self._lock_fd

    def _connect(self, timeout: float) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            # A new file: only takes effect before the first table and before WAL is set.
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        with _transaction(conn):
            for statement in _SCHEMA:
                conn.execute(statement)
            self._refuse_newer(conn)
            for table in _PARTITIONED:  # a schema-1 spool: its rows are all partition 0
                columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if "part" not in columns:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN part INTEGER NOT NULL DEFAULT 0")
            for statement in _INDEXES:
                conn.execute(statement)
            self._count_pending(conn)  # what an earlier process left, counted afresh
            # Also a write probe: a read-only file fails here, not on the first request.
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchall()
        if not rows or int(rows[0][0]) != SCHEMA_VERSION:
            raise SpoolUnavailableError(f"spool {self.path} is not set up by this otel-runs")

    def _refuse_newer(self, conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise SpoolUnavailableError(
                f"spool {self.path} has schema {row[0]}, newer than this otel-runs"
                f" reads ({SCHEMA_VERSION}); use a newer otel-runs or another spool file"
            )

    @staticmethod
    def _count_pending(conn: sqlite3.Connection) -> None:
        """Count the `pending` row afresh from the rows (in the caller's transaction)."""
        size = 0
        left = dict.fromkeys(_PENDING_COLUMN.values(), 0)
        for table, column in _PENDING_COLUMN.items():
            for count, row_size, done in conn.execute(f"SELECT count, size, done FROM {table}"):
                size += row_size
                left[column] += count - popcount(done or b"")
        conn.execute(
            "INSERT OR REPLACE INTO pending (id, bytes, spans, logs, runs) VALUES (0, ?, ?, ?, ?)",
            (size, left["spans"], left["logs"], left["runs"]),
        )

    @staticmethod
    def _count_lineages(conn: sqlite3.Connection) -> int:
        legacy = conn.execute("SELECT count(*) FROM lineage").fetchone()[0]
        batched = conn.execute("SELECT coalesce(sum(count), 0) FROM lineage_batches").fetchone()
        return int(legacy) + int(batched[0])

    # --- partitions (the owner, before workers start) --------------------------------------

    @property
    def parts(self) -> int:
        """How many partitions the rows are split into (1 until a front end says otherwise)."""
        writer = self._open_writer()
        with self._lock:
            rows = writer.execute("SELECT value FROM meta WHERE key='parts'").fetchall()
        return int(rows[0][0]) if rows else 1

    def repartition(
        self, parts: int, split: Callable[[Table, StoredBatch, int], Sequence[PartRow] | None]
    ) -> int:
        """Split every row of the partitioned tables anew into `parts` partitions, when the
        rows were written for another number; returns the rows rewritten.

        `split(table, row, parts)` gives the new rows of one old row (its unresolved items only), or
        None to leave it whole in partition 0 (a row it cannot read). Each old row is replaced by
        its new ones in one transaction, in arrival order, keeping its arrival time and project
        (for one partition nothing is rewritten: its one reader takes rows of any partition);
        `parts` is recorded last, so an interrupted run is simply done again at the next start
        (splitting depends on the trace ids, not on the partition a row had)."""
        if parts < 1:
            raise ValueError(f"parts must be at least 1, not {parts}")
        if self.parts == parts:
            return 0
        writer = self._open_writer()
        rewritten = 0
        with self._lock:
            try:
                # One reader takes every row whatever its partition: nothing to rewrite.
                for table in _PARTITIONED if parts > 1 else ():
                    project = "project" if table == "span_batches" else "NULL"
                    seqs = [
                        seq for (seq,) in writer.execute(f"SELECT seq FROM {table} ORDER BY seq")
                    ]
                    for seq in seqs:
                        [(received, proj, count, done, body)] = writer.execute(
                            f"SELECT received, {project}, count, done, body FROM {table}"
                            " WHERE seq = ?",
                            (seq,),
                        ).fetchall()
                        batch = StoredBatch(seq, received, proj, count, done or b"", body)
                        rows = split(table, batch, parts)
                        with _transaction(writer):
                            if rows is None:
                                writer.execute(f"UPDATE {table} SET part = 0 WHERE seq = ?", (seq,))
                                continue
                            for new in rows:
                                _insert(writer, table, new, received=received, project=proj)
                            writer.execute(f"DELETE FROM {table} WHERE seq = ?", (seq,))
                        rewritten += 1
                with _transaction(writer):
                    writer.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('parts', ?)",
                        (str(parts),),
                    )
                    self._count_pending(writer)
            except sqlite3.Error as exc:
                raise unavailable(self.path, "split the spool into partitions", exc) from exc
        return rewritten

    # --- appends (any thread) -------------------------------------------------------------

    def pending(self) -> Pending:
        """What waits in the spool now, as committed (by any process)."""
        with self._lock:
            writer = self._writer
            if writer is None:
                return self._last
            try:
                [row] = writer.execute("SELECT bytes, spans, logs, runs FROM pending").fetchall()
            except sqlite3.Error as exc:
                raise unavailable(self.path, "read", exc) from exc
            self._last = Pending(*row)
            return self._last

    @property
    def stored_bytes(self) -> int:
        """Encoded bytes of the rows not yet deleted (what `max_bytes` bounds)."""
        return self.pending().bytes

    @property
    def pending_spans(self) -> int:
        """Spooled spans not yet resolved (delivered, rejected or given up)."""
        return self.pending().spans

    @property
    def pending_log_events(self) -> int:
        """Spooled log events not yet resolved (joined and delivered, or expired)."""
        return self.pending().logs

    @property
    def pending_run_items(self) -> int:
        """Spooled LangSmith API items (run posts, patches...) not yet resolved."""
        return self.pending().runs

    def file_bytes(self) -> int:
        """Bytes on disk: the database file plus its WAL."""
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += os.stat(f"{self.path}{suffix}").st_size
        return total

    def durability(self) -> tuple[str, int]:
        """`(journal_mode, synchronous)` as SQLite reports them on the connection appends use
        (synchronous 2 = FULL: the WAL is fsynced at every commit; 1 = NORMAL)."""
        with self._lock:
            writer = self._writer
            if writer is None:
                raise SpoolUnavailableError(f"spool {self.path} is closed")
            mode = writer.execute("PRAGMA journal_mode").fetchone()[0]
            sync = writer.execute("PRAGMA synchronous").fetchone()[0]
        return str(mode), int(sync)

    def refuse_appends(self, reason: str) -> None:
        """From now on `append_*` raises SpoolUnavailableError(reason); waits for a running one."""
        with self._lock:
            self._refusal = reason

    def append_spans(self, body: bytes, count: int, project: str | None, *, part: int = 0) -> int:
        """Store one request's encoded spans; returns after the commit. Raises SpoolFullError,
        SpoolUnavailableError."""
        return self.append_rows("span_batches", [(part, body, count)], project)[0]

    def append_log_events(self, body: bytes, count: int, *, part: int = 0) -> int:
        """Store one request's encoded log events; returns after the commit."""
        return self.append_rows("log_batches", [(part, body, count)])[0]

    def append_run_items(self, body: bytes, count: int) -> int:
        """Store one LangSmith API request's encoded items; returns after the commit."""
        return self.append_rows("run_batches", [(0, body, count)])[0]

    def append_rows(
        self, table: Table, rows: Sequence[PartRow], project: str | None = None
    ) -> list[int]:
        """Store one request as rows (one per partition) in one transaction: all or nothing;
        returns their seqs after the commit. Raises SpoolFullError, SpoolUnavailableError."""
        size = sum(len(body) for _, body, _ in rows)
        count = sum(items for _, _, items in rows)
        received = time.time()
        with self._lock:
            writer = self._writer
            if self._refusal is not None or writer is None:
                raise SpoolUnavailableError(self._refusal or f"spool {self.path} is closed")
            if size > self.max_bytes:  # would never fit: say so rather than "retry later"
                raise SpoolFullError(
                    f"request of {size} encoded bytes is larger than the whole spool"
                    f" ({self.max_bytes} bytes); raise the spool size limit"
                )
            try:
                with _transaction(writer):
                    stored = writer.execute("SELECT bytes FROM pending").fetchone()[0]
                    if stored + size > self.max_bytes:
                        raise SpoolFullError(
                            f"spool {self.path} is full ({stored} of {self.max_bytes} bytes"
                            f" waiting for delivery; this request needs {size}); retry later"
                        )
                    seqs = [
                        _insert(writer, table, row, received=received, project=project)
                        for row in rows
                    ]
                    column = _PENDING_COLUMN[table]
                    writer.execute(
                        f"UPDATE pending SET bytes = bytes + ?, {column} = {column} + ?",
                        (size, count),
                    )
            except sqlite3.Error as exc:
                raise unavailable(self.path, "store the request", exc) from exc
        return seqs

    # --- reads and marks (the forwarder's thread) -------------------------------------------

    def read(
        self,
        table: Table,
        after: int,
        *,
        max_items: int,
        received_before: float | None = None,
        part: int | None = None,
    ) -> list[StoredBatch]:
        """Rows with seq > `after` in seq order (of partition `part`, when given), at least one
        (if any) and then as long as the item count stays within `max_items`; stops at the first
        row received at or after `received_before`, so a younger row is never read before an
        older one."""
        reader = self._reader
        if reader is None:
            raise SpoolUnavailableError(f"spool {self.path} is closed")
        project = "project" if table == "span_batches" else "NULL"
        where, args = _where(after, part)
        try:
            # Heads first, bodies only for the rows taken: a row too young to read costs no I/O.
            heads = reader.execute(
                f"SELECT seq, received, count FROM {table} WHERE {where} ORDER BY seq LIMIT ?",
                (*args, _READ_ROWS),
            ).fetchall()
            batches: list[StoredBatch] = []
            items = 0
            for seq, received, count in heads:
                if received_before is not None and received >= received_before:
                    break
                if batches and items + count > max_items:
                    break
                # fetchall, never fetchone: a statement left unfinished would keep its read
                # snapshot open, and WAL checkpoints cannot pass an open snapshot.
                rows = reader.execute(
                    f"SELECT {project}, done, body FROM {table} WHERE seq = ?", (seq,)
                ).fetchall()
                if not rows:  # pragma: no cover - rows are deleted by this thread only
                    continue
                row = rows[0]
                batches.append(StoredBatch(seq, received, row[0], count, row[1] or b"", row[2]))
                items += count
        except sqlite3.Error as exc:
            raise unavailable(self.path, "read", exc) from exc
        return batches

    def next_arrival(self, table: Table, after: int, part: int | None = None) -> float | None:
        """Arrival time of the first row with seq > `after` (of partition `part`), if any."""
        reader = self._reader
        if reader is None:
            raise SpoolUnavailableError(f"spool {self.path} is closed")
        where, args = _where(after, part)
        try:
            rows = reader.execute(
                f"SELECT received FROM {table} WHERE {where} ORDER BY seq LIMIT 1", args
            ).fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, "read", exc) from exc
        return float(rows[0][0]) if rows else None

    def read_lineages(self) -> Lineages:
        """The lineages of recently delivered runs, oldest first."""
        reader = self._reader
        if reader is None:
            raise SpoolUnavailableError(f"spool {self.path} is closed")
        try:
            legacy = reader.execute("SELECT run_id, data FROM lineage ORDER BY seq").fetchall()
            batches = reader.execute("SELECT body FROM lineage_batches ORDER BY seq").fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, "read", exc) from exc
        return Lineages(
            [(bytes(run_id), bytes(data)) for run_id, data in legacy],
            [bytes(body) for (body,) in batches],
        )

    def mark(
        self,
        spans: Mapping[int, Mark],
        logs: Mapping[int, Mark],
        lineages: tuple[bytes, int] | None = None,
        runs: Mapping[int, Mark] | None = None,
    ) -> None:
        """Record resolved items in one transaction: update bitmaps, delete finished rows, and
        remember the lineages of the runs just delivered (one encoded list, and how many runs it
        holds). `runs` marks `run_batches` rows (the LangSmith API's forwarder)."""
        runs = runs or {}
        if not spans and not logs and not lineages and not runs:
            return
        with self._lock:
            writer = self._writer
            if writer is None:
                raise SpoolUnavailableError(f"spool {self.path} is closed")
            size = 0
            # A mark that is lost only makes its items read and sent again (a duplicate, never
            # a loss; a lost lineage is written again with them), so its commit skips the
            # fsync: the forwarding thread goes on converting instead of waiting on the disk,
            # and the next fsync'd commit (an append) makes the mark durable too (the WAL is
            # one file). WAL with synchronous=NORMAL cannot corrupt. Worker processes mark
            # through a spool opened with synchronous=NORMAL for the same reason.
            relaxed = self._full_sync
            try:
                if relaxed:
                    writer.execute("PRAGMA synchronous=NORMAL")
                with _transaction(writer):
                    tables = (("span_batches", spans), ("log_batches", logs), ("run_batches", runs))
                    for table, marks in tables:
                        for seq, mark in marks.items():
                            if mark.done is None:
                                row = writer.execute(
                                    f"SELECT size FROM {table} WHERE seq = ?", (seq,)
                                ).fetchone()
                                writer.execute(f"DELETE FROM {table} WHERE seq = ?", (seq,))
                                size += row[0] if row is not None else 0
                            else:
                                writer.execute(
                                    f"UPDATE {table} SET done = ? WHERE seq = ?", (mark.done, seq)
                                )
                    if lineages:
                        self._remember(writer, *lineages)
                    writer.execute(
                        "UPDATE pending SET bytes = bytes - ?, spans = spans - ?,"
                        " logs = logs - ?, runs = runs - ?",
                        (
                            size,
                            sum(m.resolved for m in spans.values()),
                            sum(m.resolved for m in logs.values()),
                            sum(m.resolved for m in runs.values()),
                        ),
                    )
                    [(left,)] = writer.execute("SELECT spans + logs + runs FROM pending").fetchall()
            except sqlite3.Error as exc:
                raise unavailable(self.path, "record delivered spans", exc) from exc
            finally:
                if relaxed:
                    self._resync(writer)
            self._freed_unshrunk += size
            if left == 0 and self._freed_unshrunk >= _SHRINK_AFTER_BYTES:
                self._freed_unshrunk = 0
                self._shrink(writer)

    def _resync(self, writer: sqlite3.Connection) -> None:
        """Back to fsync'd commits after a relaxed mark; if SQLite refuses, no append may be
        acknowledged without its fsync, so appends are refused from then on."""
        try:
            writer.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            self._refusal = f"spool {self.path}: cannot sync commits again ({_reason(exc)})"
            _logger.error("%s; appends are refused", self._refusal)

    def _remember(self, writer: sqlite3.Connection, body: bytes, count: int) -> None:
        writer.execute("INSERT INTO lineage_batches (count, body) VALUES (?, ?)", (count, body))
        self._lineages += count
        if self._lineages <= self.max_lineages * 1.1:  # trim in bulk, not on every mark
            return
        kept = 0
        for seq, rows in writer.execute(
            "SELECT seq, count FROM lineage_batches ORDER BY seq DESC"
        ).fetchall():
            kept += rows
            if kept >= self.max_lineages:  # the newest max_lineages runs, whole rows
                writer.execute("DELETE FROM lineage_batches WHERE seq < ?", (seq,))
                writer.execute("DELETE FROM lineage")  # schema 1's rows are older still
                break
        self._lineages = self._count_lineages(writer)

    def _shrink(self, writer: sqlite3.Connection) -> None:
        """Give free pages back to the file system once the spool is empty (cheap then)."""
        try:
            # executescript steps the pragma to the end; execute would free one page only.
            writer.executescript("PRAGMA incremental_vacuum;")
        except sqlite3.Error as exc:
            _logger.debug("spool %s: incremental vacuum failed: %s", self.path, exc)

    def _open_writer(self) -> sqlite3.Connection:
        writer = self._writer
        if writer is None:
            raise SpoolUnavailableError(f"spool {self.path} is closed")
        return writer

    # --- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close both connections and release the file lock. Idempotent."""
        with self._lock:
            self._refusal = self._refusal or f"spool {self.path} is closed"
            if self._writer is not None:  # what `pending()` answers from now on
                with suppress(sqlite3.Error):
                    [row] = self._writer.execute("SELECT bytes, spans, logs, runs FROM pending")
                    self._last = Pending(*row)
            self._close_all()

    def _close_all(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error as exc:  # pragma: no cover - nothing left to do about it
                    _logger.debug("spool %s: close failed: %s", self.path, exc)
        self._reader = self._writer = None
        # Only after SQLite closed its descriptors: closing another descriptor of the same file
        # would drop SQLite's POSIX locks while it still held them.
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _insert(
    writer: sqlite3.Connection,
    table: str,
    row: PartRow,
    *,
    received: float,
    project: str | None,
) -> int:
    part, body, count = row
    if table == "span_batches":
        sql = (
            "INSERT INTO span_batches (received, project, count, size, body, part)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        values: tuple[object, ...] = (received, project, count, len(body), body, part)
    elif table == "log_batches":
        sql = "INSERT INTO log_batches (received, count, size, body, part) VALUES (?, ?, ?, ?, ?)"
        values = (received, count, len(body), body, part)
    else:
        sql = "INSERT INTO run_batches (received, count, size, body) VALUES (?, ?, ?, ?)"
        values = (received, count, len(body), body)
    seq = writer.execute(sql, values).lastrowid
    assert seq is not None
    return seq


def _where(after: int, part: int | None) -> tuple[str, tuple[int, ...]]:
    if part is None:
        return "seq > ?", (after,)
    return "part = ? AND seq > ?", (part, after)


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:  # SQLite may have rolled back already (disk full, I/O)
            _logger.debug("rollback failed: %s", exc)
