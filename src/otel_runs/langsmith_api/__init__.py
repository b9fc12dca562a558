"""Ring 2: reading from LangSmith's API (what `otel-runs pull` needs of it).

    client.py    HTTP: a project by name or id (`GET /sessions`), pages of its runs
                 (`POST /api/v2/runs/query`), retries with backoff and Retry-After
    v2_runs.py   pure: the fields asked for, and a v2 run -> a run-format dict

The shapes come from the `langsmith` SDK (0.15.1): `resources/runs/runs.py` (`runs.query`,
an alias of `query_v2`), `types/run.py`, `types/run_select_field.py`, `pagination.py`
(`SyncItemsCursorPostPagination`) and `_internal/_v2_migration_utils.py`; docs/pull.md lists
them and what could not be confirmed.
"""

from __future__ import annotations

from otel_runs.errors import OtelRunsError


class LangSmithApiError(OtelRunsError):
    """LangSmith refused a request, or kept failing after the retries; the message has the
    HTTP status and the server's words (never the API key)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


__all__ = ["LangSmithApiError"]
