"""What the subcommands share: the --store option, argument types, the one CLI error."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeAlias
from uuid import UUID

from otel_runs.sinks.sqlite import STORE_ENV, default_store_path

PROG: Final = "otel-runs"

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Command: TypeAlias = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """An expected failure of a command; main prints its message on one line and exits 1."""


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """`--store PATH`, defaulting to `default_store_path()` (resolved when the command runs)."""
    parser.add_argument(
        "--store",
        type=Path,
        metavar="PATH",
        help=f"SQLite run store (default: ${STORE_ENV}, else ./otel-runs.sqlite)",
    )


def store_path(args: argparse.Namespace) -> Path:
    """The store a command reads; CommandError if there is no such file."""
    given: Path | None = args.store
    store = given if given is not None else default_store_path()
    if not store.is_file():
        hint = "" if given is not None else f" (give --store PATH or set {STORE_ENV})"
        raise CommandError(f"no run store at {store}{hint}")
    return store


def headers_from(pairs: list[str]) -> dict[str, str]:
    """`--header KEY=VALUE` values as a dict; CommandError for one without `=` or a key."""
    headers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--header {pair!r}: expected KEY=VALUE")
        headers[key.strip()] = value.strip()
    return headers


def trace_id(text: str) -> UUID:
    """argparse type: a trace id, any UUID spelling."""
    try:
        return UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a trace id (a UUID): {text!r}") from None


def count(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a count (an integer >= 0): {text!r}")
    return value
