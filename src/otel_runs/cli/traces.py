"""`otel-runs traces [--limit N]`: the most recent traces in the local store."""

from __future__ import annotations

import argparse
import logging

from otel_runs.cli._common import Subcommands, add_store_option, count, store_path
from otel_runs.sinks.sqlite import list_traces

_logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 20


def register(commands: Subcommands) -> None:
    """Add the `traces` subcommand."""
    parser = commands.add_parser(
        "traces",
        help="list recent traces (id, start, run count, root name)",
        description="List the most recent traces, newest first.",
    )
    add_store_option(parser)
    parser.add_argument(
        "--limit", type=count, default=DEFAULT_LIMIT, metavar="N",
        help=f"at most N traces (default {DEFAULT_LIMIT})",
    )  # fmt: skip
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per trace, newest first."""
    store = store_path(args)
    found = list_traces(store, limit=args.limit)
    _logger.debug("listing %d traces from %s", len(found), store)
    for trace in found:
        print(f"{trace.start_time:%Y-%m-%d %H:%M:%S}  {trace.trace_id}  "
              f"{trace.run_count:>4} runs  {trace.name}")  # fmt: skip
    return 0
