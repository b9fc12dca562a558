"""`otel-runs upgrade-store`: bring a local store made by an older otel-runs to the current
schema (schema 3: runs found by their ids' last 8 characters, ~40% fewer bytes written per run)."""

from __future__ import annotations

import argparse

from otel_runs.cli._common import Subcommands, add_store_option, store_path
from otel_runs.sinks._sqlite_schema import SCHEMA_VERSION
from otel_runs.sinks.sqlite import upgrade_store


def register(commands: Subcommands) -> None:
    """Add the `upgrade-store` subcommand."""
    parser = commands.add_parser(
        "upgrade-store",
        help=f"rewrite an older local store in schema {SCHEMA_VERSION} (smaller writes)",
        description=(
            f"Rewrite the runs table of a store made by an older otel-runs in schema "
            f"{SCHEMA_VERSION}, in one transaction: writers wait meanwhile, readers go on. "
            "Needs free disk about the size of the runs table."
        ),
    )
    add_store_option(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    """Upgrade, and say what was done."""
    store = store_path(args)
    before, moved = upgrade_store(store)
    if before == SCHEMA_VERSION:
        print(f"{store}: already schema {SCHEMA_VERSION}")
    else:
        print(f"{store}: schema {before} -> {SCHEMA_VERSION} ({moved} runs)")
    return 0
