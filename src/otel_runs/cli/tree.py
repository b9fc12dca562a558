"""`otel-runs tree [TRACE_ID | --all]`: draw traces from the local store with `render_tree`."""

from __future__ import annotations

import argparse
import logging

from otel_runs.cli._common import CommandError, Subcommands, add_store_option, store_path, trace_id
from otel_runs.render import render_tree
from otel_runs.sinks.sqlite import list_traces, read_feedback, read_runs

_logger = logging.getLogger(__name__)


def register(commands: Subcommands) -> None:
    """Add the `tree` subcommand."""
    parser = commands.add_parser(
        "tree",
        help="draw a trace as a tree (the most recent one by default)",
        description="Draw a trace: name, run type, latency, tokens, cost and error of each run,"
        " and its attachments and feedback.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "trace", nargs="?", type=trace_id, metavar="TRACE_ID", help="trace to draw (a UUID)"
    )
    which.add_argument("--all", action="store_true", help="draw every trace in the store")
    add_store_option(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    """Print the tree of one trace, or of all; CommandError when there is nothing to draw."""
    store = store_path(args)
    if args.all:
        runs = read_runs(store)
        if not runs:
            raise CommandError(f"no traces in {store}")
        feedback = read_feedback(store)
    else:
        wanted = args.trace
        if wanted is None:
            recent = list_traces(store, limit=1)
            if not recent:
                raise CommandError(f"no traces in {store}")
            wanted = recent[0].trace_id
        runs = read_runs(store, trace_id=wanted)
        if not runs:
            raise CommandError(f"no trace {wanted} in {store}")
        feedback = read_feedback(store, trace_id=wanted)
    _logger.debug("drawing %d runs from %s", len(runs), store)
    print(render_tree(runs, feedback))
    return 0
