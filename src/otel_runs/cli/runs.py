"""`otel-runs runs [--trace ID] [--limit N] [--json]`: the stored runs, in dotted_order order."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from otel_runs.cli._common import Subcommands, add_store_option, count, store_path, trace_id
from otel_runs.model.run import Run
from otel_runs.sinks.sqlite import read_runs

_logger = logging.getLogger(__name__)


def register(commands: Subcommands) -> None:
    """Add the `runs` subcommand."""
    parser = commands.add_parser(
        "runs",
        help="list stored runs (JSON lines with --json)",
        description="List runs in dotted_order order; --json prints one Run.to_dict() per line.",
    )
    add_store_option(parser)
    parser.add_argument("--trace", type=trace_id, metavar="ID", help="only this trace's runs")
    parser.add_argument("--limit", type=count, metavar="N", help="at most N runs")
    parser.add_argument("--json", action="store_true", help="one Run.to_dict() JSON per line")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    """Print the runs; an empty store or trace prints nothing and succeeds."""
    store = store_path(args)
    runs = read_runs(store, trace_id=args.trace, limit=args.limit)
    _logger.debug("listing %d runs from %s", len(runs), store)
    out = sys.stdout
    for item in runs:
        out.write((_json_line(item) if args.json else _text_line(item)) + "\n")
    out.flush()
    return 0


def _json_line(run: Run) -> str:
    return json.dumps(run.to_dict(), ensure_ascii=False)


def _text_line(run: Run) -> str:
    depth = run.dotted_order.count(".")
    return (
        f"{run.start_time:%Y-%m-%d %H:%M:%S}  {run.id}  {run.run_type:<9}  {run.status:<7}  "
        f"{'  ' * depth}{run.name}"
    )
