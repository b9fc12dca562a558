"""The SQLite run store's schema, connection setup, row codec and error wording (private).

Durability: the store runs in WAL mode with `synchronous=NORMAL`. Every write batch is one
transaction, so a batch is stored whole or not at all and the file is never corrupted, even if
the process is killed mid-write. A committed batch survives a crash of the application; an
operating-system crash or power loss can lose the last batches committed since the previous
WAL checkpoint (they are rolled back, never half-applied). That is the right trade for an
app's own telemetry: no fsync per batch, and readers never block the writer nor the writer the
readers. A writer that forgets its own copy of the runs once the store has them (the
receiver's spool) asks for `synchronous=FULL` instead (`connect(..., synced=True)`): each
commit then syncs the WAL before it returns.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.attachments import decoded
from otel_runs.convert.feedback import run_feedback
from otel_runs.convert.run_data import RunData
from otel_runs.errors import OtelRunsError, StoreError
from otel_runs.model.run import FIELD_KINDS, Run
from otel_runs.sinks._json import json_text

_logger = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 3
"""Version a new store is created with; a store with a newer one is refused. A store of schema
1 is migrated to 2 by its first writer (attachments and feedback get their own tables); a
store of schema 2 keeps its layout, read and written through its own indexes, until
`upgrade` (`otel-runs upgrade-store`) rewrites its runs table: 3 differs only in how runs are
indexed, and a writer should not rewrite a whole table unasked."""

KEY_CHARS: Final = 8
"""Schema 3 finds a run by the last 8 characters of its id, and a trace by the last 8 of its
trace id: the hex digits of the span id's low 32 bits for span-derived ids, random in uuid4
and uuid7 alike (whose first characters are a timestamp, and whose run ids from OTel begin
with the same 19 characters `00000000-0000-0000-`). The full ids are compared after the key."""

# Runs found by short keys, not by their 36-character ids. Random ids spread every write batch
# over the whole of an index, so a batch of 10,000 runs rewrites nearly every leaf page of it
# (to the WAL, and again at the checkpoint): the fewer and smaller the entries' pages, the less
# a batch writes. Into a store growing to 204,800 runs in batches of 10,000: 12.7 -> 7.4 KiB
# written per run (schema 2 -> 3). The id's uniqueness is kept by the writer, which looks every
# id up before it writes (`SqliteSink._upsert`).
_RUNS_TABLE: Final = """CREATE TABLE runs (
        id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        dotted_order TEXT NOT NULL,
        parent_run_id TEXT,
        name TEXT NOT NULL,
        run_type TEXT NOT NULL,
        start_time TEXT NOT NULL,
        status TEXT,
        project TEXT,
        data TEXT NOT NULL
    )"""
_RUNS_INDEXES: Final = (
    f"CREATE INDEX runs_by_id ON runs (substr(id, -{KEY_CHARS}))",
    # By trace alone: a trace's runs are few, and sorting them by dotted_order when read costs
    # less than keeping ~100 characters of dotted_order per run in the index.
    f"CREATE INDEX runs_by_trace ON runs (substr(trace_id, -{KEY_CHARS}))",
    "CREATE INDEX runs_by_start ON runs (start_time)",
)

_SCHEMA: Final = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    _RUNS_TABLE,
    *_RUNS_INDEXES,
)
"""A new store (schema 3)."""

_SCHEMA_2: Final = (
    # A run's attachments as bytes (not base64 inside `runs.data`), read back into the run.
    """CREATE TABLE attachments (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (run_id, name)
    )""",
    # A run's feedback (its evaluation events as LangSmith feedback), for `otel-runs tree`.
    """CREATE TABLE feedback (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        key TEXT NOT NULL,
        score REAL,
        value TEXT,
        comment TEXT,
        created_at TEXT,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX feedback_by_trace ON feedback (trace_id, run_id)",
)
"""What schema 2 adds to schema 1."""

COLUMNS: Final = (
    "id", "trace_id", "dotted_order", "parent_run_id", "name", "run_type", "start_time",
    "status", "project", "data",
)  # fmt: skip

INSERT: Final = f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
UPDATE: Final = (
    f"UPDATE runs SET {', '.join(f'{column} = ?' for column in COLUMNS[1:])} WHERE rowid = ?"
)
"""A stored run rewritten in its row (found by `stored_rows`), its id unchanged."""

Row = tuple[str, str, str, str | None, str, str, str, str, str | None, str]
AttachmentRow = tuple[str, str, str, bytes]
FeedbackRow = tuple[str, str, str, str, float | None, str | None, str | None, str | None, str]
INSERT_ATTACHMENT: Final = "INSERT OR REPLACE INTO attachments VALUES (?, ?, ?, ?)"
INSERT_FEEDBACK: Final = "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(slots=True)
class Encoded:
    """One run as rows: its `runs` row, its attachments and its feedback."""

    row: Row
    attachments: Sequence[AttachmentRow] = ()
    feedback: Sequence[FeedbackRow] = ()
    """(Empty tuples unless the run has any: most runs have neither, and a run's two empty
    lists cost ~50 ns each.)"""


PAGE_SIZE: Final = 16_384
"""Page size of a new store. A run's row is ~2 KB of JSON: with SQLite's default 4 KiB pages
a write costs twice the CPU (measured: 34 against 20 us per run over 60,000 runs of the
receiver benchmark, 500 runs a transaction, default cache), mostly B-tree pages split and
written to the WAL, then checkpointed. Stores made before keep their pages."""
CACHE_KIB: Final = 16_384
"""Page cache of a writing connection (SQLite's default is 2 MiB): the indexes' inner pages
stay in memory as the store grows."""


def connect(
    path: Path, *, timeout: float, readonly: bool, synced: bool = False
) -> sqlite3.Connection:
    """An autocommit connection (transactions are explicit); raises sqlite3.Error. With
    `synced`, a writing connection syncs the WAL at every commit (`synchronous=FULL`)."""
    if readonly:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    else:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        if not readonly:
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                # A new file (only takes effect before the first table and before WAL is set).
                conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                _logger.warning("run store %s: journal_mode is %s, not wal", path, mode)
            conn.execute(f"PRAGMA synchronous={'FULL' if synced else 'NORMAL'}")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        return conn
    except BaseException:
        conn.close()
        raise


@contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (the write lock taken at once): committed when the block ends,
    rolled back if it raised."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def ensure_schema(conn: sqlite3.Connection, path: Path) -> int:
    """Create the schema if the file has none; refuse a newer schema. One write transaction.
    Returns the store's schema version (a store of schema 2 stays 2)."""
    with _write_transaction(conn):
        version = read_version(conn)
        if version is None:
            for statement in (*_SCHEMA, *_SCHEMA_2):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            _logger.debug("created run store %s (schema %d)", path, SCHEMA_VERSION)
            return SCHEMA_VERSION
        if check_version(version, path) < 2:
            _migrate_1_to_2(conn, path)
            return 2
        return version


def upgrade(conn: sqlite3.Connection, path: Path) -> tuple[int, int]:
    """Bring a store to the current schema in one write transaction: (schema before, runs
    moved). Schema 1 or 2 -> 3 rewrites the runs table with schema 3's indexes (rowids and
    rows unchanged); the other tables stay. Raises StoreError for a file that is not an
    otel-runs store or has a newer schema."""
    with _write_transaction(conn):
        before = check_version(read_version(conn), path)
        if before == SCHEMA_VERSION:
            return before, 0
        if before < 2:
            _migrate_1_to_2(conn, path)
        columns = ", ".join(COLUMNS)
        conn.execute(_RUNS_TABLE.replace("CREATE TABLE runs", "CREATE TABLE runs_3", 1))
        moved: int = conn.execute(
            f"INSERT INTO runs_3 (rowid, {columns}) SELECT rowid, {columns} FROM runs"
        ).rowcount
        conn.execute("DROP TABLE runs")  # (its indexes with it)
        conn.execute("ALTER TABLE runs_3 RENAME TO runs")
        for statement in _RUNS_INDEXES:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the rewrite went through the WAL whole
    _logger.info("run store %s: schema %d -> %d (%d runs)", path, before, SCHEMA_VERSION, moved)
    return before, moved


def keyed(version: int | None) -> bool:
    """Whether a store of `version` finds runs and traces by their ids' last characters."""
    return version is not None and version >= 3


def stored_rows(conn: sqlite3.Connection, ids: Sequence[str], *, by_key: bool) -> dict[str, int]:
    """The rowid of each of `ids` that is stored (at most ~500 ids: one statement)."""
    marks = ", ".join("?" * len(ids))
    if not by_key:
        return dict(conn.execute(f"SELECT id, rowid FROM runs WHERE id IN ({marks})", ids))
    wanted = set(ids)
    found = conn.execute(
        f"SELECT id, rowid FROM runs WHERE substr(id, -{KEY_CHARS}) IN ({marks})",
        [run_id[-KEY_CHARS:] for run_id in ids],
    )  # a key may match other runs too: the full id decides
    return {run_id: rowid for run_id, rowid in found if run_id in wanted}


def trace_filter(version: int | None, trace_id: str) -> tuple[str, tuple[str, ...]]:
    """A WHERE condition on `runs` selecting one trace through the store's index, and its
    parameters. The `+` matters: with a plain `trace_id = ?` beside it, SQLite's constant
    propagation rewrites the key's term into a constant one and the index goes unused."""
    if keyed(version):
        return f"substr(trace_id, -{KEY_CHARS}) = ? AND +trace_id = ?", (
            trace_id[-KEY_CHARS:],
            trace_id,
        )
    return "trace_id = ?", (trace_id,)


def same_trace(version: int | None, runs: str, other: str) -> str:
    """A join condition: `runs`'s row belongs to the trace of `other`'s (`trace_id` columns),
    through the store's index on `runs`."""
    if keyed(version):
        return (
            f"substr({runs}.trace_id, -{KEY_CHARS}) = substr({other}.trace_id, -{KEY_CHARS})"
            f" AND {runs}.trace_id = {other}.trace_id"
        )
    return f"{runs}.trace_id = {other}.trace_id"


def _migrate_1_to_2(conn: sqlite3.Connection, path: Path) -> None:
    """Schema 1 -> 2, in the caller's transaction: the new tables, every run's attachments
    moved out of its JSON into them, and its feedback listed."""
    for statement in _SCHEMA_2:
        conn.execute(statement)
    moved = 0
    rows = conn.execute(  # only runs that may hold attachments or feedback are read
        "SELECT data FROM runs WHERE data LIKE '%\"attachments\"%' OR data LIKE '%\"feedback\"%'"
        " OR data LIKE '%gen_ai.evaluation.result%'"
    ).fetchall()
    for (data,) in rows:
        try:
            run = decode(data, path)
        except StoreError:
            continue  # unreadable before, left as it was
        encoded = encode(run)
        if encoded.row[-1] != data:
            conn.execute("UPDATE runs SET data = ? WHERE id = ?", (encoded.row[-1], encoded.row[0]))
        conn.executemany(INSERT_ATTACHMENT, encoded.attachments)
        conn.executemany(INSERT_FEEDBACK, encoded.feedback)
        moved += 1
    conn.execute("INSERT INTO schema_version (version) VALUES (2)")
    _logger.info("run store %s: schema 1 -> 2 (%d runs)", path, moved)


def check_version(version: int | None, path: Path) -> int:
    """`version`, or StoreError unless it is one this code reads."""
    if version is None:
        raise StoreError(f"{path} is not an otel-runs store (no schema_version table)")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has store schema {version}; this otel-runs reads up to {SCHEMA_VERSION}"
        )
    return version


def read_version(conn: sqlite3.Connection) -> int | None:
    """The stored schema version, None if the file has no schema yet."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if exists is None:
        return None
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def encode(run: Run | RunData) -> Encoded:
    """A run as rows. `data` is `to_dict()` plus the `unmapped` keys, as JSON, less the
    attachments, which go to their own table as bytes; its feedback is listed too.

    An `unmapped` key that is also a run-format field name cannot be stored (the field wins).
    Raises TypeError or ValueError when the run holds a value JSON cannot carry.
    """
    if isinstance(run, RunData):
        data = run.run_dict()
        found = run.feedback()
    else:
        data = run.to_dict()
        data.update((k, v) for k, v in run.unmapped.items() if k not in FIELD_KINDS)
        found = run_feedback(run)
    run_id, trace_id = data["id"], data["trace_id"]
    encoded = Encoded(_row(data))  # placeholder until the attachments are out of `data`
    attached = data.get(ls.RUN_ATTACHMENTS)
    if isinstance(attached, dict) and attached:
        taken = decoded(attached)
        encoded.attachments = [(run_id, name, mime, blob) for name, mime, blob in taken]
        rest = {k: v for k, v in attached.items() if k not in {name for name, _, _ in taken}}
        data = {k: v for k, v in data.items() if k != ls.RUN_ATTACHMENTS}
        if rest:  # what is not base64 stays in the JSON, as it came
            data[ls.RUN_ATTACHMENTS] = rest
        encoded.row = _row(data)
    if not found:
        return encoded
    feedback: list[FeedbackRow] = []
    encoded.feedback = feedback
    for item in found:
        score = item.get("score")
        value, comment = item.get("value"), item.get("comment")
        feedback.append(
            (
                str(item.get("id") or f"{run_id}:{len(feedback)}"),
                run_id,
                trace_id,
                str(item["key"]),
                float(score) if isinstance(score, (int, float)) else None,
                value if isinstance(value, str) or value is None else json_text(value),
                comment if isinstance(comment, str) else None,
                str(item["created_at"]) if item.get("created_at") is not None else None,
                json_text(item),
            )
        )
    return encoded


def _row(data: dict[str, Any]) -> Row:
    project = data.get("session_name")
    name, run_type, status = data["name"], data["run_type"], data["status"]
    return (  # (`_column_text` called only for text that is not ASCII: ~0.1 us a run)
        data["id"],
        data["trace_id"],
        data["dotted_order"],
        data["parent_run_id"],
        name if name.isascii() else _column_text(name),
        run_type if run_type.isascii() else _column_text(run_type),
        data["start_time"],
        status if status.isascii() else _column_text(status),
        (project if project.isascii() else _column_text(project))
        if isinstance(project, str)
        else None,
        json_text(data),
    )


def _column_text(text: str) -> str:
    """Text SQLite can take: a lone surrogate (possible in a name an app gave its span) cannot be
    UTF-8 and would fail the whole write; it becomes "?" in the query columns, while `data`
    keeps the exact text."""
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


def decode(data: str, path: Path) -> Run:
    """The run a `data` column holds: run-format keys through Run.from_dict, the rest unmapped."""
    try:
        raw: Any = json.loads(data)
        if not isinstance(raw, dict):
            raise TypeError(f"expected a JSON object, got {type(raw).__name__}")
        run = Run.from_dict({key: value for key, value in raw.items() if key in FIELD_KINDS})
    except (TypeError, ValueError, OtelRunsError) as exc:
        raise StoreError(f"{path}: a stored run cannot be read back: {exc}") from exc
    run.unmapped = {key: value for key, value in raw.items() if key not in FIELD_KINDS}
    return run


def describe(exc: sqlite3.Error, path: Path, timeout: float) -> str:
    """One clear line saying why the store at `path` failed."""
    text = str(exc)
    if "unable to open database file" in text:
        if not path.parent.is_dir():
            return f"cannot open run store {path}: directory {path.parent} does not exist"
        return f"cannot open run store {path}: {text}"
    if "readonly" in text or "read-only" in text:
        return f"run store {path} is read-only ({text})"
    if "locked" in text or "busy" in text:
        return f"run store {path} is locked by another connection (waited {timeout:g} s)"
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a usable SQLite database ({text})"
    return f"run store {path}: {text}"
