"""`SqliteSink`: the embedded default run store, one SQLite file; and the readers the CLI uses.

The file is created on first write with a `schema_version` table and a `runs` table: one row per
run (`id` primary key; `trace_id`, `dotted_order`, `parent_run_id`, `name`, `run_type`,
`start_time`, `status`, `project` as columns for queries; `data` holding `Run.to_dict()` plus
`Run.unmapped` as JSON, so a run read back equals the run written). A re-sent span replaces its
row and is counted as a duplicate.

Durability: WAL mode, `synchronous=NORMAL`, one transaction per batch. A batch is stored whole
or not at all; a committed batch survives an application crash; an OS crash or power loss can
roll back the last batches since the previous checkpoint, never corrupt the file. With
`SqliteSink(synced=True)` (`otel-runs serve`'s store, written from its spool) every commit is
synced before the write answers, so a batch answered as stored survives a power loss too.
Readers (`read_runs`, `list_traces`, the CLI) run alongside the writer without blocking it.

The store path: constructor argument > `OTEL_RUNS_STORE` > `otel-runs.sqlite` in the working
directory (`default_store_path()`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from uuid import UUID

from otel_runs.conventions import langsmith as ls
from otel_runs.errors import StoreError
from otel_runs.model.run import Run, parse_datetime
from otel_runs.sinks import AnyRun, SinkResult, run_id_text
from otel_runs.sinks import _sqlite_schema as _schema
from otel_runs.sinks._turns import Turns

_logger = logging.getLogger(__name__)

STORE_ENV: Final = "OTEL_RUNS_STORE"
"""Environment variable naming the local store file."""
DEFAULT_STORE_NAME: Final = "otel-runs.sqlite"
"""The store's file name in the working directory when nothing else names one."""
DEFAULT_TIMEOUT: Final = 5.0
"""Seconds a write or read waits for another connection's lock before failing."""
_IDS_PER_QUERY: Final = 500
"""Run ids looked up per query (SQLite caps a statement's parameters)."""

StorePath = str | os.PathLike[str]


def default_store_path() -> Path:
    """`$OTEL_RUNS_STORE` if set and not empty, else `otel-runs.sqlite` in the working directory."""
    configured = os.environ.get(STORE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.cwd() / DEFAULT_STORE_NAME


def receiver_store(path: StorePath | None = None) -> SqliteSink:
    """The store as `otel-runs serve` and `ReceiverService` write it: every commit synced, since
    their spool forgets what the store has answered for, and its writers (worker processes, the
    LangSmith API's `--to store`) taking turns."""
    return SqliteSink(path, take_turns=True, synced=True)


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """One trace in the store, as `list_traces` reports it."""

    trace_id: UUID
    name: str
    """The root run's name (the run with the smallest dotted_order)."""
    start_time: datetime
    """The earliest start time of the trace's runs."""
    run_count: int


class SqliteSink:
    """A `RunSink` writing to a local SQLite file; thread-safe (one connection behind a lock).

    The file and its schema are created on the first `write`, not in the constructor; its
    directory must exist. `write` never raises for a store failure (missing directory, locked
    or read-only file): it returns a `SinkResult` whose `error` says what happened.
    """

    def __init__(
        self,
        path: StorePath | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        take_turns: bool = False,
        synced: bool = False,
    ) -> None:
        self.path: Final = Path(path) if path is not None else default_store_path()
        self._timeout = timeout
        self._turns = Turns(self.path) if take_turns else None
        """With `take_turns`, writes take turns with the other sinks that do, in any process,
        through a lock file beside the store (`sinks/_turns.py`: the store's WAL then keeps
        starting over; `otel-runs serve` turns it on)."""
        self._synced = synced
        """With `synced`, a write answers once its commit is on disk (SQLite's
        `synchronous=FULL`: the WAL synced at every commit), where by default the WAL is synced
        only at checkpoints. For a writer that then forgets its own copy: the receiver marks
        spooled spans delivered when the store answers, so a power loss after that answer must
        not roll the runs back. At the receiver's batch size it costs next to nothing: the
        checkpoint that follows a 10,000-run commit syncs the same WAL anyway."""
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._by_key = False
        """Whether the store finds runs by their ids' last characters (schema 3)."""
        self._cookie = -1
        """SQLite's schema cookie when `_by_key` was read (it changes with any table's DDL)."""
        self._closed = False

    def __repr__(self) -> str:
        return f"SqliteSink({str(self.path)!r})"

    takes_run_data: Final = True
    batch_runs: Final = 10_000
    """Runs per write the receiver sends (fewer when it has fewer; during a backlog it gathers
    whole batches, `Forwarder.send`). A transaction's cost is mostly the B-tree pages it dirties,
    each written whole to the WAL and again to the file at the checkpoint; random run ids
    spread every batch over the id index, whose pages a batch touches at most once however many
    of its runs land there. Into a store growing to 200,000 runs (receiver benchmark rows,
    one thread, CPU / wall per run): 2,000 runs a transaction 19.3 / 38.2 us, 10,000 14.8 /
    19.8; end to end (`bench/forwarding.py`'s setup), 2,000 -> 10,000 took the disk
    writes of `otel-runs serve` from 25 to 12.6 KiB per span."""

    def write(self, runs: Sequence[AnyRun]) -> SinkResult:
        """Upsert a batch in one transaction: new ids are `stored`, known ids `duplicates`."""
        return self.start_write(runs)()

    def start_write(self, runs: Sequence[AnyRun]) -> Callable[[], SinkResult]:
        """Write a batch in two halves: this call encodes the runs and inserts them in a
        transaction it leaves open; the function it returns commits that transaction and
        answers as `write` does. The commit may run on another thread (the receiver's
        forwarding thread goes on converting while it does: `Forwarder(background=True)`);
        until it is called, every other write and `close` wait for it, so call it once,
        always. The commit is the half worth moving: one call into SQLite that gives the GIL
        back for all of it (the WAL writes, and every ~16 MiB a checkpoint with its fsync),
        where the inserts take the GIL back for every row."""
        if not runs:
            return SinkResult  # nothing to write: the answer is an empty result
        rows: list[_schema.Encoded] = []
        encoded: list[AnyRun] = []
        bad: list[str] = []
        for run in runs:
            try:
                rows.append(_schema.encode(run))
            except (TypeError, ValueError) as exc:
                bad.append(f"run {run_id_text(run)} cannot be stored as JSON: {exc}")
            else:
                encoded.append(run)
        self._lock.acquire()  # released by `finish` (perhaps on another thread)
        opened = False

        def failed(exc: sqlite3.Error | StoreError) -> SinkResult:
            if isinstance(exc, StoreError):
                return SinkResult(failed=len(runs), error=str(exc))
            # An OperationalError is the file's state, for now (locked past the busy
            # timeout by another writer, disk full, I/O error, read-only, cannot be
            # opened): the runs may be written later, so callers keep them and retry.
            # Other errors (a malformed file, a constraint) would fail again the same way.
            error = _schema.describe(exc, self.path, self._timeout)
            _logger.debug("run store write failed: %s", error)
            transient = isinstance(exc, sqlite3.OperationalError)
            retry = tuple(run_id_text(run) for run in encoded) if transient else ()
            return SinkResult(failed=len(runs), error=error, retry=retry)

        def answer(result: SinkResult) -> Callable[[], SinkResult]:
            def finish() -> SinkResult:
                self._end_turn()
                self._lock.release()
                return result

            return finish

        try:
            if self._closed:
                return answer(SinkResult(failed=len(runs), error=f"{self!r} is closed"))
            if self._turns is not None:
                self._turns.take(self._timeout)
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            opened = True
            self._check_layout(conn)
            stored, duplicates = self._upsert(conn, rows)
        except (sqlite3.Error, StoreError) as exc:
            if opened:
                self._rollback()
            return answer(failed(exc))
        except BaseException:
            if opened:
                self._rollback()
            self._end_turn()
            self._lock.release()
            raise

        def commit() -> SinkResult:
            try:
                conn.execute("COMMIT")  # with the checkpoint, when one is due
            except sqlite3.Error as exc:
                self._rollback()
                return failed(exc)
            finally:
                self._end_turn()
                self._lock.release()
            return SinkResult(
                stored=stored, duplicates=duplicates, failed=len(bad),
                error=bad[0] if bad else None,
            )  # fmt: skip

        return commit

    def _end_turn(self) -> None:
        if self._turns is not None:
            self._turns.give()

    def _rollback(self) -> None:
        conn = self._conn
        if conn is not None and conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error as exc:  # the transaction is gone with the error
                _logger.debug("run store rollback failed: %s", exc)

    def close(self) -> None:
        """Close the connection; later writes fail. Idempotent."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._turns is not None:
                self._turns.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = _schema.connect(
                self.path, timeout=self._timeout, readonly=False, synced=self._synced
            )
            try:
                version = _schema.ensure_schema(conn, self.path)
            except BaseException:
                conn.close()
                raise
            self._by_key = _schema.keyed(version)
            self._cookie = conn.execute("PRAGMA schema_version").fetchone()[0]
            self._conn = conn
        return self._conn

    def _check_layout(self, conn: sqlite3.Connection) -> None:
        """Read the store's layout again if its schema changed since (`upgrade_store` run by
        another process while this one writes); in the write transaction, so it holds."""
        cookie = conn.execute("PRAGMA schema_version").fetchone()[0]
        if cookie != self._cookie:
            self._by_key = _schema.keyed(_schema.read_version(conn))
            self._cookie = cookie

    def _upsert(
        self, conn: sqlite3.Connection, encoded: Sequence[_schema.Encoded]
    ) -> tuple[int, int]:
        """Insert or replace the rows, in the caller's transaction; (stored, duplicates)."""
        duplicates = 0
        for start in range(0, len(encoded), _IDS_PER_QUERY):
            chunk = encoded[start : start + _IDS_PER_QUERY]
            ids = [item.row[0] for item in chunk]
            stored = _schema.stored_rows(conn, ids, by_key=self._by_key)
            last: dict[str, _schema.Row] = {}  # a run twice in this write: the later one wins
            for item in chunk:
                run_id = item.row[0]
                if run_id in stored or run_id in last:  # stored before, or twice in this write
                    duplicates += 1
                last[run_id] = item.row
            # A looked-up write, not an upsert: a schema 3 store has no unique index on ids
            # (see _sqlite_schema._RUNS_TABLE); the write lock held since BEGIN IMMEDIATE keeps the
            # answer true until the commit.
            conn.executemany(
                _schema.INSERT, [row for run_id, row in last.items() if run_id not in stored]
            )
            if stored:
                conn.executemany(
                    _schema.UPDATE,
                    [(*last[run_id][1:], rowid) for run_id, rowid in stored.items()],
                )
                # A run written again replaces its attachments and feedback too. Only a run
                # stored before can have any (they are written with it): a new run's delete is
                # skipped, ~0.6 us a run of 500-id lookups in two more tables.
                again = ", ".join("?" * len(stored))
                conn.execute(f"DELETE FROM attachments WHERE run_id IN ({again})", list(stored))
                conn.execute(f"DELETE FROM feedback WHERE run_id IN ({again})", list(stored))
            conn.executemany(
                _schema.INSERT_ATTACHMENT, [a for item in chunk for a in item.attachments]
            )
            conn.executemany(_schema.INSERT_FEEDBACK, [f for item in chunk for f in item.feedback])
        return len(encoded) - duplicates, duplicates


def upgrade_store(path: StorePath | None = None) -> tuple[int, int]:
    """Bring a store made by an older otel-runs to the current schema: (schema before, runs
    moved); (3, 0) for a store already current. A store of schema 1 or 2 gets its runs table
    rewritten with schema 3's smaller indexes, in one transaction (it needs free disk about the
    size of that table, and holds the store's write lock meanwhile: writers wait, readers go
    on; ~56 us a run). The file keeps its size: the old table's pages are reused by later
    writes. Raises StoreError when the store is missing, locked past the timeout or not an
    otel-runs store."""
    store = _store_path(path)
    with _opened(store, readonly=False) as conn:
        return _schema.upgrade(conn, store)


def read_runs(
    path: StorePath | None = None, trace_id: UUID | str | None = None, limit: int | None = None
) -> list[Run]:
    """Runs in dotted_order order: one trace's, or the whole store's; at most `limit`.

    Raises StoreError when the store is missing, unreadable or not an otel-runs store, and
    ValueError for a `trace_id` that is not a UUID or a negative `limit`.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, not {limit}")
    trace = None if trace_id is None else _uuid(trace_id)
    end = -1 if limit is None else limit

    def query(version: int) -> tuple[str, tuple[object, ...]]:
        if trace is None:
            return "SELECT data, id FROM runs ORDER BY dotted_order LIMIT ?", (end,)
        where, params = _schema.trace_filter(version, trace)
        return f"SELECT data, id FROM runs WHERE {where} ORDER BY dotted_order LIMIT ?", (
            *params,
            end,
        )

    store = _store_path(path)
    rows, attached = _query_runs(store, query)
    runs = [_schema.decode(row[0], store) for row in rows]
    for run in runs:
        found = attached.get(str(run.id))
        if found:  # back in the run's `attachments` field, as it was written
            kept = run.unmapped.get(ls.RUN_ATTACHMENTS)
            run.unmapped[ls.RUN_ATTACHMENTS] = {**(kept if isinstance(kept, dict) else {}), **found}
    return runs


def read_feedback(
    path: StorePath | None = None, trace_id: UUID | str | None = None
) -> dict[str, list[dict[str, Any]]] | None:
    """Feedback by run id (in creation order): one trace's, or the whole store's; None for a
    store of schema 1 (not migrated yet: its runs' evaluation events still say it)."""
    store = _store_path(path)
    where, params = ("", ()) if trace_id is None else ("WHERE trace_id = ?", (_uuid(trace_id),))
    query = f"SELECT run_id, data FROM feedback {where} ORDER BY created_at, id"
    found: dict[str, list[dict[str, Any]]] = {}
    rows = _query(store, lambda _: (query, params), since=2)
    if rows is None:
        return None
    for run_id, data in rows:
        try:
            item = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"{store}: stored feedback cannot be read back: {exc}") from exc
        found.setdefault(str(run_id), []).append(item)
    return found


def list_traces(path: StorePath | None = None, limit: int | None = None) -> list[TraceSummary]:
    """The most recent traces first (by their earliest run start); at most `limit`."""
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, not {limit}")

    def query(version: int) -> tuple[str, tuple[object, ...]]:
        join = _schema.same_trace(version, "runs", "traces")
        sql = f"""
            WITH traces AS (
                SELECT trace_id, MIN(start_time) AS start, COUNT(*) AS runs,
                       MIN(dotted_order) AS first
                FROM runs GROUP BY trace_id ORDER BY start DESC, trace_id LIMIT ?
            )
            SELECT traces.trace_id, runs.name, traces.start, traces.runs
            FROM traces JOIN runs ON {join} AND runs.dotted_order = traces.first
            ORDER BY traces.start DESC, traces.trace_id
        """
        return sql, (-1 if limit is None else limit,)

    store = _store_path(path)
    rows = _query(store, query) or []
    try:
        return [
            TraceSummary(UUID(trace), str(name), parse_datetime(start), int(count))
            for trace, name, start, count in rows
        ]
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{store}: a stored trace cannot be read back: {exc}") from exc


def _store_path(path: StorePath | None) -> Path:
    return Path(path) if path is not None else default_store_path()


def _uuid(value: UUID | str) -> str:
    return str(value if isinstance(value, UUID) else UUID(value.strip()))


Query = Callable[[int], tuple[str, tuple[object, ...]]]
"""A read-only query and its parameters, for a store of the schema version given (a store of
schema 2 indexes whole ids, one of schema 3 their last characters: _sqlite_schema.KEY_CHARS)."""


@contextmanager
def _opened(store: Path, *, readonly: bool) -> Iterator[sqlite3.Connection]:
    """A connection to an existing store, closed after; its SQLite errors become one clear
    StoreError line."""
    if not store.is_file():
        raise StoreError(f"no run store at {store}")
    try:
        with closing(_schema.connect(store, timeout=DEFAULT_TIMEOUT, readonly=readonly)) as conn:
            yield conn
    except sqlite3.Error as exc:
        raise StoreError(_schema.describe(exc, store, DEFAULT_TIMEOUT)) from exc


@contextmanager
def _snapshot(store: Path) -> Iterator[tuple[sqlite3.Connection, int]]:
    """A read transaction on an existing store, and its schema version read inside it, so a
    query chosen by that version reads rows of the same snapshot (no upgrade in between)."""
    with _opened(store, readonly=True) as conn:
        conn.execute("BEGIN")
        yield conn, _schema.check_version(_schema.read_version(conn), store)
        conn.execute("COMMIT")


def _query(store: Path, query: Query, *, since: int = 1) -> list[tuple[Any, ...]] | None:
    """Rows of a read-only query; None when the store's schema predates what it reads."""
    with _snapshot(store) as (conn, version):
        if version < since:
            return None
        return list(conn.execute(*query(version)).fetchall())


def _query_runs(
    store: Path, query: Query
) -> tuple[list[tuple[Any, ...]], dict[str, dict[str, dict[str, str]]]]:
    """Rows of a runs query, and the attachments of those runs (one snapshot)."""
    with _snapshot(store) as (conn, version):
        rows = list(conn.execute(*query(version)).fetchall())
        attached: dict[str, dict[str, dict[str, str]]] = {}
        if version >= 2 and rows:
            ids = [row[1] for row in rows]
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start : start + _IDS_PER_QUERY]
                marks = ", ".join("?" * len(chunk))
                for run_id, name, mime, data in conn.execute(
                    "SELECT run_id, name, mime_type, data FROM attachments"
                    f" WHERE run_id IN ({marks}) ORDER BY rowid",
                    chunk,
                ):
                    attached.setdefault(run_id, {})[name] = {
                        "mime_type": mime,
                        "content": base64.b64encode(data).decode("ascii"),
                    }
        return rows, attached
