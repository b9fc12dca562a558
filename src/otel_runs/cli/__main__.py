"""`python -m otel_runs.cli`: the same as the `otel-runs` console script."""

from __future__ import annotations

from otel_runs.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
