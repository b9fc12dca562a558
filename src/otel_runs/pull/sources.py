"""Where a pull reads pages: LangSmith's runs query, or bulk-export Parquet files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

from otel_runs.files.parquet_export import ExportFile, export_files, read_rows
from otel_runs.langsmith_api.client import LangSmithApi, Project
from otel_runs.langsmith_api.v2_runs import SELECTS, run_from_v2
from otel_runs.model.run import format_datetime
from otel_runs.pull.checkpoint import JsonDict
from otel_runs.pull.loop import Page

MAX_PAGE_SIZE: Final = 1000
"""The runs query's documented limit on `page_size`."""


class QuerySource:
    """A project's runs through `POST /api/v2/runs/query`, `page_size` at a time, in the
    order LangSmith answers (newest first). The time window is always sent: the query's own
    default is the last day only."""

    def __init__(
        self,
        api: LangSmithApi,
        project: Project,
        since: datetime,
        until: datetime,
        page_size: int,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        self._api = api
        self._project = project
        self._since = format_datetime(since.astimezone(timezone.utc))
        self._until = format_datetime(until.astimezone(timezone.utc))
        self._page_size = page_size

    def identity(self) -> JsonDict:
        return {
            "kind": "langsmith",
            "endpoint": self._api.endpoint,
            "workspace_id": self._api.workspace_id,
            "project_id": self._project.id,
            "project": self._project.name,
            "since": self._since,
            "until": self._until,
            "page_size": self._page_size,
        }

    def body(self, cursor: str | None) -> dict[str, Any]:
        """The request body of one page."""
        body: dict[str, Any] = {
            "project_ids": [self._project.id],
            "min_start_time": self._since,
            "max_start_time": self._until,
            "page_size": self._page_size,
            "selects": list(SELECTS),
        }
        if cursor is not None:
            body["cursor"] = cursor
        return body

    def pages(self, position: JsonDict | None) -> Iterator[Page]:
        cursor = position.get("cursor") if position else None
        number = int(position.get("page", 0)) if position else 0
        while True:
            answer = self._api.query_runs(self.body(cursor))
            number += 1
            items: list[tuple[str, Any]] = [
                (f"page {number}, run {index}", run_from_v2(item, session_name=self._project.name))
                for index, item in enumerate(answer.items, 1)
            ]
            cursor = answer.next_cursor
            following = None if cursor is None else {"cursor": cursor, "page": number}
            yield Page(items, following, answer.size)
            if following is None:
                return


class ParquetSource:
    """The runs of bulk-export Parquet files, `page_size` rows at a time, file after file."""

    def __init__(self, path: Path, page_size: int) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self._root = path.resolve()
        self._files: list[ExportFile] = export_files(self._root)
        self._page_size = page_size

    @property
    def total_bytes(self) -> int:
        return sum(file.size for file in self._files)

    def identity(self) -> JsonDict:
        return {
            "kind": "parquet",
            "path": str(self._root),
            "files": [[file.name, file.size] for file in self._files],
        }

    def pages(self, position: JsonDict | None) -> Iterator[Page]:
        file = int(position.get("file", 0)) if position else 0
        row = int(position.get("row", 0)) if position else 0
        for rows in read_rows(self._files, file, row, self._page_size):
            name = self._files[rows.file].name
            items: list[tuple[str, Any]] = [
                (f"{name}: row {rows.first_row + index}", item)
                for index, item in enumerate(rows.rows)
            ]
            following = {"file": rows.file, "row": rows.first_row + len(rows.rows)}
            yield Page(items, following, rows.size)
        yield Page([], None, 0)  # the end: nothing after the last row read
