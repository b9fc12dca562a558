"""Ring 2: the `otel-runs` command line. `main(argv)` returns the exit code, never raises.

    otel-runs tree [TRACE_ID | --all] [--store PATH]    draw a trace from the local store
    otel-runs runs [--trace ID] [--limit N] [--json]    list runs (JSON lines with --json)
    otel-runs traces [--limit N]                        list recent traces
    otel-runs serve [--http-port N] [--grpc-port N]     receive OTLP traces, store them as runs
    otel-runs convert INPUT [-o OUT] [--to TARGET]      runs files <-> OTLP files or endpoints
    otel-runs pull --project NAME -o OUT [--to TARGET]  a LangSmith project (or --parquet
                                                        export files) to runs or OTLP
    otel-runs upgrade-store [--store PATH]              an older store rewritten in schema 3

The store is `--store`, else `$OTEL_RUNS_STORE`, else `otel-runs.sqlite` in the working
directory. Expected failures (missing store or trace, unreadable file) print one line on
stderr and exit 1; usage errors exit 2, as argparse does.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from otel_runs.cli import convert, pull, runs, serve, traces, tree, upgrade_store
from otel_runs.cli._common import PROG, CommandError
from otel_runs.errors import OtelRunsError

_logger = logging.getLogger(__name__)

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `otel-runs` command; returns the process exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code: int = args.command(args)
    except (CommandError, OtelRunsError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`otel-runs runs --json | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Look at the LangSmith runs otel-runs stored locally."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in (tree, runs, traces, serve, convert, pull, upgrade_store):
        module.register(commands)
    return parser
