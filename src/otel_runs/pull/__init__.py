"""Ring 2: `otel-runs pull`, a LangSmith project (or its bulk-export Parquet files) read page
by page into a runs file, an OTLP file or an OTLP endpoint, resumable after any interruption.

    loop.py          the pull: each page converted, written, made durable, then checkpointed
    sources.py       where pages come from: LangSmith's runs query, or bulk-export Parquet files
    checkpoint.py    where a pull stands, in a file replaced atomically after each page
    output_file.py   the output file, cut back to the checkpoint when a pull resumes

The promise (docs/pull.md): a file output ends up holding every run exactly once, however
often the pull is interrupted and resumed; an endpoint gets every run at least once, and a run
twice only if it was in the page being sent when the pull stopped.
"""

from __future__ import annotations

from otel_runs.errors import OtelRunsError


class CheckpointError(OtelRunsError):
    """A checkpoint file that cannot be used: unreadable, of another pull, or its output file
    changed since it was written."""


__all__ = ["CheckpointError"]
