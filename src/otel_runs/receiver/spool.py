"""The receiver's durable spool: one SQLite file in WAL mode holding what was acknowledged.

    span_batches   one row per accepted traces request: the encoded spans (codec.py), their
                   count, the `Langsmith-Project` header, the arrival time, and `done`
    log_batches    the same for span-bound log events (no project)
    run_batches    the same for LangSmith API requests (run posts, patches, feedback and
                   attachments, `receiver/langsmith_api/`), forwarded by their own thread
    lineage        where recently delivered runs sit in their trees (dotted_order, trace
                   values), so a child read after a restart still finds its parent; the newest
                   `max_lineages` rows are kept
    meta           schema version

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
rolled back, so nothing half-written stays. Only one process may use a spool at a time (an
advisory `flock` on the file): a second receiver on the same file is refused at open instead of
delivering every span twice.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
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

SCHEMA_VERSION: Final = 1
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
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log_batches ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL,"
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS run_batches ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL,"
    " count INTEGER NOT NULL, size INTEGER NOT NULL, done BLOB, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lineage ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id BLOB NOT NULL UNIQUE, data BLOB NOT NULL)",
)

Table = Literal["span_batches", "log_batches", "run_batches"]


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
    block the writer).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int,
        synchronous: Synchronous = "full",
        lock_timeout_s: float = 5.0,
        max_lineages: int = 100_000,
    ) -> None:
        self.path: Final = Path(path)
        self.max_bytes = max_bytes
        self.max_lineages = max_lineages
        self._lineages = 0
        self._full_sync = synchronous == "full"
        self._freed_unshrunk = 0
        self._lock = threading.Lock()
        self._refusal: str | None = None
        self._lock_fd: int | None = None
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._bytes = 0
        self.pending_spans = 0
        """Spooled spans not yet resolved (delivered, rejected or given up)."""
        self.pending_log_events = 0
        """Spooled log events not yet resolved (joined and delivered, or expired)."""
        self.pending_run_items = 0
        """Spooled LangSmith API items (run posts, patches...) not yet resolved."""
        try:
            self._lock_fd = self._lock_file()
            self._writer = self._connect(lock_timeout_s)
            self._writer.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._writer.execute(f"PRAGMA journal_size_limit={_JOURNAL_SIZE_LIMIT}")
            self._create_schema(self._writer)
            self._reader = self._connect(lock_timeout_s)
            self._reader.execute("PRAGMA query_only=1")
            self._load_counters(self._writer)
        except sqlite3.Error as exc:
            self._close_all()
            raise unavailable(self.path, "open", exc) from exc
        except BaseException:
            self._close_all()
            raise

    # --- opening ------------------------------------------------------------------------------

    def _lock_file(self) -> int | None:
        """An exclusive advisory lock on the spool file, held until `close` (released by the
        kernel if the process dies, so a `kill -9` never leaves a stale lock)."""
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
            row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise SpoolUnavailableError(
                    f"spool {self.path} has schema {row[0]}, newer than this otel-runs"
                    f" reads ({SCHEMA_VERSION}); use a newer otel-runs or another spool file"
                )
            # Also a write probe: a read-only file fails here, not on the first request.
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )

    def _load_counters(self, conn: sqlite3.Connection) -> None:
        self._lineages = conn.execute("SELECT count(*) FROM lineage").fetchone()[0]
        for table in ("span_batches", "log_batches", "run_batches"):
            for count, size, done in conn.execute(f"SELECT count, size, done FROM {table}"):
                self._bytes += size
                left = count - popcount(done or b"")
                if table == "span_batches":
                    self.pending_spans += left
                elif table == "log_batches":
                    self.pending_log_events += left
                else:
                    self.pending_run_items += left

    # --- appends (any thread) -------------------------------------------------------------

    @property
    def stored_bytes(self) -> int:
        """Encoded bytes of the rows not yet deleted (what `max_bytes` bounds)."""
        return self._bytes

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

    def append_spans(self, body: bytes, count: int, project: str | None) -> int:
        """Store one request's encoded spans; returns after the commit. Raises SpoolFullError,
        SpoolUnavailableError."""
        return self._append(
            "INSERT INTO span_batches (received, project, count, size, body)"
            " VALUES (?, ?, ?, ?, ?)",
            (time.time(), project, count, len(body), body),
            len(body),
            count,
            table="span_batches",
        )

    def append_log_events(self, body: bytes, count: int) -> int:
        """Store one request's encoded log events; returns after the commit."""
        return self._append(
            "INSERT INTO log_batches (received, count, size, body) VALUES (?, ?, ?, ?)",
            (time.time(), count, len(body), body),
            len(body),
            count,
            table="log_batches",
        )

    def append_run_items(self, body: bytes, count: int) -> int:
        """Store one LangSmith API request's encoded items; returns after the commit."""
        return self._append(
            "INSERT INTO run_batches (received, count, size, body) VALUES (?, ?, ?, ?)",
            (time.time(), count, len(body), body),
            len(body),
            count,
            table="run_batches",
        )

    def _append(
        self, sql: str, row: tuple[object, ...], size: int, count: int, *, table: Table
    ) -> int:
        with self._lock:
            if self._refusal is not None or self._writer is None:
                raise SpoolUnavailableError(self._refusal or f"spool {self.path} is closed")
            if size > self.max_bytes:  # would never fit: say so rather than "retry later"
                raise SpoolFullError(
                    f"request of {size} encoded bytes is larger than the whole spool"
                    f" ({self.max_bytes} bytes); raise the spool size limit"
                )
            if self._bytes + size > self.max_bytes:
                raise SpoolFullError(
                    f"spool {self.path} is full ({self._bytes} of {self.max_bytes} bytes"
                    f" waiting for delivery; this request needs {size}); retry later"
                )
            try:
                seq = self._writer.execute(sql, row).lastrowid
            except sqlite3.Error as exc:
                _rollback(self._writer)
                raise unavailable(self.path, "store the request", exc) from exc
            self._bytes += size
            if table == "span_batches":
                self.pending_spans += count
            elif table == "log_batches":
                self.pending_log_events += count
            else:
                self.pending_run_items += count
        assert seq is not None
        return seq

    # --- reads and marks (the forwarder's thread) -------------------------------------------

    def read(
        self, table: Table, after: int, *, max_items: int, received_before: float | None = None
    ) -> list[StoredBatch]:
        """Rows with seq > `after` in seq order, at least one (if any) and then as long as the
        item count stays within `max_items`; stops at the first row received at or after
        `received_before`, so a younger row is never read before an older one."""
        reader = self._reader
        if reader is None:
            raise SpoolUnavailableError(f"spool {self.path} is closed")
        project = "project" if table == "span_batches" else "NULL"
        try:
            # Heads first, bodies only for the rows taken: a row too young to read costs no I/O.
            heads = reader.execute(
                f"SELECT seq, received, count FROM {table} WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, _READ_ROWS),
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

    def next_arrival(self, table: Table, after: int) -> float | None:
        """Arrival time of the first row with seq > `after`, if any."""
        reader = self._reader
        if reader is None:
            raise SpoolUnavailableError(f"spool {self.path} is closed")
        try:
            rows = reader.execute(
                f"SELECT received FROM {table} WHERE seq > ? ORDER BY seq LIMIT 1", (after,)
            ).fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, "read", exc) from exc
        return float(rows[0][0]) if rows else None

    def read_lineages(self) -> list[tuple[bytes, bytes]]:
        """(run id, encoded lineage) of recently delivered runs, oldest first."""
        reader = self._reader
        if reader is None:
            raise SpoolUnavailableError(f"spool {self.path} is closed")
        try:
            rows = reader.execute("SELECT run_id, data FROM lineage ORDER BY seq").fetchall()
        except sqlite3.Error as exc:
            raise unavailable(self.path, "read", exc) from exc
        return [(bytes(run_id), bytes(data)) for run_id, data in rows]

    def mark(
        self,
        spans: Mapping[int, Mark],
        logs: Mapping[int, Mark],
        lineages: Sequence[tuple[bytes, bytes]] = (),
        runs: Mapping[int, Mark] | None = None,
    ) -> None:
        """Record resolved items in one transaction: update bitmaps, delete finished rows, and
        remember the lineages (run id, encoded) of the runs just delivered. `runs` marks
        `run_batches` rows (the LangSmith API's forwarder)."""
        runs = runs or {}
        if not spans and not logs and not lineages and not runs:
            return
        with self._lock:
            writer = self._writer
            if writer is None:
                raise SpoolUnavailableError(f"spool {self.path} is closed")
            freed = 0
            # A LangSmith API mark that is lost only makes its items read and sent again (a
            # duplicate, never a loss), so its commit skips the fsync; the next fsync'd commit
            # (an append) makes it durable too. WAL with synchronous=NORMAL cannot corrupt.
            relaxed = self._full_sync and not spans and not logs and not lineages
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
                                freed += row[0] if row is not None else 0
                            else:
                                writer.execute(
                                    f"UPDATE {table} SET done = ? WHERE seq = ?", (mark.done, seq)
                                )
                    if lineages:
                        self._remember(writer, lineages)
            except sqlite3.Error as exc:
                raise unavailable(self.path, "record delivered spans", exc) from exc
            finally:
                if relaxed:
                    self._resync(writer)
            self._bytes -= freed
            self._freed_unshrunk += freed
            self.pending_spans -= sum(m.resolved for m in spans.values())
            self.pending_log_events -= sum(m.resolved for m in logs.values())
            self.pending_run_items -= sum(m.resolved for m in runs.values())
            pending = self.pending_spans + self.pending_log_events + self.pending_run_items
            if pending == 0 and self._freed_unshrunk >= _SHRINK_AFTER_BYTES:
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

    def _remember(
        self, writer: sqlite3.Connection, lineages: Sequence[tuple[bytes, bytes]]
    ) -> None:
        writer.executemany("INSERT OR REPLACE INTO lineage (run_id, data) VALUES (?, ?)", lineages)
        self._lineages += len(lineages)  # replaced rows overcount: the trim recounts
        if self._lineages > self.max_lineages * 1.1:  # trim in bulk, not on every mark
            newest = writer.execute("SELECT max(seq) FROM lineage").fetchone()[0]
            writer.execute("DELETE FROM lineage WHERE seq <= ?", (newest - self.max_lineages,))
            self._lineages = writer.execute("SELECT count(*) FROM lineage").fetchone()[0]

    def _shrink(self, writer: sqlite3.Connection) -> None:
        """Give free pages back to the file system once the spool is empty (cheap then)."""
        try:
            # executescript steps the pragma to the end; execute would free one page only.
            writer.executescript("PRAGMA incremental_vacuum;")
        except sqlite3.Error as exc:
            _logger.debug("spool %s: incremental vacuum failed: %s", self.path, exc)

    # --- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close both connections and release the file lock. Idempotent."""
        with self._lock:
            self._refusal = self._refusal or f"spool {self.path} is closed"
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
