"""LangSmith bulk-export Parquet files, read as run-format dicts (needs the `parquet` extra:
pyarrow, which reads every Parquet codec, zstd included, and row group by row group).

A bulk export is a Hive-partitioned tree of Parquet files
(`export_id=<id>/tenant_id=<id>/session_id=<id>/runs/year=<y>/month=<m>/day=<d>/*.parquet`;
newer exports name the `runs` level `resource=runs`), zstd-compressed by default, one row per
run with the columns LangSmith documents ("Exportable fields"): id, tenant_id, session_id,
trace_id, parent_run_id, parent_run_ids, reference_example_id, name, run_type, start_time,
end_time, status, is_root, dotted_order, trace_tier, inputs, outputs, error, extra, events,
tags, feedback_stats, total_tokens, prompt_tokens, completion_tokens, total_cost,
prompt_cost, completion_cost, first_token_time.

What the documentation does not say, and how it is read (docs/pull.md):

- JSON columns (inputs, outputs, extra, events, feedback_stats...) are assumed to hold JSON
  text; a column that is already nested (a struct, a list, a map) is taken as it is;
- times may be naive (the original format writes `TIMESTAMP(NANOS, false)`; documented as
  UTC) or UTC-aware (`format_version: v2_beta`); both are read as UTC, to the microsecond;
- ids may be text or 16 bytes;
- columns outside the run data format (tenant_id, is_root, trace_tier...) are kept with the
  run; `session_id` and `tenant_id` come from the directory names when a file lacks them.

A path may be one file or a directory, searched recursively for `*.parquet` (hidden names and
`_`-prefixed ones, like `_SUCCESS`, and the `tmp/` folder LangSmith's destination check leaves
are skipped), read in path order. A position is (file index, row), so reading resumes
mid-file: whole row groups before it are not read at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final
from uuid import UUID

from otel_runs.errors import ConfigError
from otel_runs.files import FileFormatError
from otel_runs.model.run import FIELD_KINDS

_NESTED_KINDS: Final = frozenset({"dict", "list", "strlist", "uuidlist"})
_JSON_COLUMNS: Final = frozenset(
    {name for name, kind in FIELD_KINDS.items() if kind in _NESTED_KINDS}
    | {
        "prompt_token_details",
        "completion_token_details",
        "prompt_cost_details",
        "completion_cost_details",
        "metadata",
        "manifest",
    }
)
"""Columns whose text is JSON: the run format's objects and lists, and the details."""
_UUID_KINDS: Final = frozenset({"uuid", "uuidlist"})
_PARTITION_KEYS: Final = ("session_id", "tenant_id")
_SKIPPED_DIRS: Final = frozenset({"tmp"})


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One Parquet file of an export."""

    path: Path
    name: str
    """Its path relative to what was given (the file name when a file was given)."""
    size: int
    partitions: dict[str, str]
    """`key=value` directory names on its path (export_id, tenant_id, session_id...)."""


@dataclass(frozen=True, slots=True)
class Rows:
    """Consecutive rows of one file, as run-format dicts."""

    file: int
    """Index of the file in the list read."""
    first_row: int
    rows: list[dict[str, Any]]
    size: int
    """Bytes of the file these rows stand for (its size shared out by rows)."""


def _pyarrow() -> Any:
    try:
        import pyarrow.compute
        import pyarrow.parquet
    except ImportError:
        raise ConfigError(
            "reading Parquet files needs pyarrow: pip install 'otel-runs[parquet]'"
        ) from None
    return pyarrow


def export_files(path: Path) -> list[ExportFile]:
    """The Parquet files at `path` (a file, or a directory searched recursively), in path
    order; FileFormatError if there are none, ConfigError without pyarrow."""
    _pyarrow()
    if path.is_file():
        found = [(path, path.name)]
    elif path.is_dir():
        found = []
        for candidate in sorted(path.rglob("*.parquet")):
            parts = candidate.relative_to(path).parts
            if any(p.startswith((".", "_")) for p in parts) or parts[0] in _SKIPPED_DIRS:
                continue
            if candidate.is_file():
                found.append((candidate, candidate.relative_to(path).as_posix()))
    else:
        raise FileFormatError(f"no such file or directory: {path}")
    if not found:
        raise FileFormatError(f"no Parquet files (*.parquet) under {path}")
    files = []
    for file_path, name in found:
        partitions = {}
        for part in Path(name).parts[:-1]:
            key, sep, value = part.partition("=")
            if sep:
                partitions[key] = value
        files.append(ExportFile(file_path, name, file_path.stat().st_size, partitions))
    return files


def read_rows(files: list[ExportFile], file: int, row: int, batch: int) -> Iterator[Rows]:
    """Runs of `files` from row `row` of file `file` on, at most `batch` rows at a time."""
    pa = _pyarrow()
    for index in range(file, len(files)):
        export = files[index]
        try:
            parquet = pa.parquet.ParquetFile(export.path)
        except (OSError, pa.ArrowException) as exc:
            raise FileFormatError(f"{export.name}: not a readable Parquet file: {exc}") from None
        total = parquet.metadata.num_rows
        start = row if index == file else 0
        groups, at = _groups_from(parquet, start)
        if not groups:  # the position is at the file's end
            continue
        share = export.size / total if total else 0.0
        try:
            for table in parquet.iter_batches(batch_size=batch, row_groups=groups):
                count = table.num_rows
                if at + count <= start:
                    at += count
                    continue
                skip = max(start - at, 0)
                rows = _python_rows(pa, table.slice(skip))
                partitions = export.partitions
                first = at + skip
                yield Rows(
                    index,
                    first,
                    [_run_dict(item, partitions) for item in rows],
                    round(len(rows) * share),
                )
                at += count
        except pa.ArrowException as exc:
            raise FileFormatError(f"{export.name}: cannot read rows from {at}: {exc}") from None


def _groups_from(parquet: Any, row: int) -> tuple[list[int], int]:
    """The row groups from the one holding `row` to the last, and the row it starts at."""
    at = 0
    metadata = parquet.metadata
    for group in range(metadata.num_row_groups):
        size = metadata.row_group(group).num_rows
        if at + size > row:
            return list(range(group, metadata.num_row_groups)), at
        at += size
    return [], at


def _python_rows(pa: Any, table: Any) -> list[dict[str, Any]]:
    """Rows as dicts; times cut to microseconds (Python's datetime has no nanoseconds)."""
    columns = [
        pa.compute.cast(column, pa.timestamp("us", field.type.tz), safe=False)
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns"
        else column
        for field, column in zip(table.schema, table.columns, strict=True)
    ]
    table = pa.Table.from_arrays(columns, names=table.schema.names)
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _run_dict(row: dict[str, Any], partitions: dict[str, str]) -> dict[str, Any]:
    run = {key: None if value is None else _value(key, value) for key, value in row.items()}
    for key in _PARTITION_KEYS:
        if run.get(key) is None and key in partitions:
            run[key] = partitions[key]
    return run


def _uuid_text(value: Any) -> Any:
    return str(UUID(bytes=value)) if isinstance(value, bytes) and len(value) == 16 else value


def _value(key: str, value: Any) -> Any:
    """One column's value as `Run.from_dict` reads it."""
    kind = FIELD_KINDS.get(key)
    if key in _JSON_COLUMNS:
        value = _nested(value)
    if kind == "uuid":
        return _uuid_text(value)
    if kind == "uuidlist" and isinstance(value, list):
        return [_uuid_text(item) for item in value]
    if isinstance(value, datetime):  # naive times are UTC, as the export's documentation says
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    return value


def _nested(value: Any) -> Any:
    """A JSON column's value: its text parsed (left as text when it is not JSON, for
    `Run.from_dict` to report), a map's pairs as a dict."""
    if isinstance(value, bytes):
        try:
            value = value.decode()
        except UnicodeDecodeError:
            return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(pair, tuple) and len(pair) == 2 for pair in value)
    ):
        return {str(key): item for key, item in value}
    return value
