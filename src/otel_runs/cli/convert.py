"""`otel-runs convert INPUT [-o OUTPUT] [--to FORMAT | --to otlp-http URL | --to otlp-grpc URL]`.

Runs files (JSON lines in LangSmith's export shape, or a JSON array) become OTLP; OTLP files
(JSON lines, a JSON document, or protobuf) become runs. The input's format is read from its
content (`--from` overrides); gzip input is opened as it is. `INPUT` and `-o` may be `-` for
stdin / stdout (the default output).

    --to runs | otlp-json | otlp-proto      the output format (default: runs <-> otlp-json)
    --to otlp-http URL | otlp-grpc URL      send the spans to an OTLP endpoint instead
    --header KEY=VALUE                      a header for the endpoint (repeatable)
    --progress / --no-progress              a progress bar on stderr (default: when a TTY)

A record that cannot be read, converted or sent is reported on stderr with where it was
(`file:line 12: ...`, the first 20 of them, then a count) and the others still convert. The
exit code is 0 when every record converted, 1 when some did not (or the input was unusable).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

from otel_runs.cli._common import PROG, CommandError, Subcommands, headers_from
from otel_runs.files import FileFormatError
from otel_runs.files.detect import Format, detect
from otel_runs.files.otlp_proto import framing
from otel_runs.files.pipeline import DEFAULT_BATCH, convert
from otel_runs.files.progress import Progress
from otel_runs.files.records import BadRecord
from otel_runs.files.replay import PROTOCOLS, exporter
from otel_runs.files.source import Source

_logger = logging.getLogger(__name__)

FORMATS: Final = tuple(f.value for f in Format)
TARGETS: Final = (*FORMATS, *PROTOCOLS)
SHOWN_ERRORS: Final = 20


def register(commands: Subcommands) -> None:
    """Add the `convert` subcommand."""
    parser = commands.add_parser(
        "convert",
        help="convert runs files <-> OTLP files, or replay runs into an OTLP endpoint",
        description="Convert runs (JSON lines) to OTLP spans and OTLP files to runs; "
        "the input format is read from the content.",
    )
    parser.add_argument("input", metavar="INPUT", help="input file, or - for stdin")
    parser.add_argument(
        "-o", "--output", metavar="OUTPUT", default="-", help="output file (default: stdout)"
    )
    parser.add_argument(
        "--to",
        nargs="+",
        metavar="TARGET",
        help=f"{' | '.join(FORMATS)} | otlp-http URL | otlp-grpc URL "
        "(default: otlp-json for runs, runs for OTLP)",
    )
    parser.add_argument(
        "--from", dest="source_format", choices=FORMATS, help="the input format (default: detect)"
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a header sent to the OTLP endpoint (repeatable)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, metavar="N", help=argparse.SUPPRESS
    )
    parser.set_defaults(command=run)


def _target(args: argparse.Namespace, kind: Format) -> tuple[str, str | None]:
    given: list[str] | None = args.to
    if not given:
        return (Format.OTLP_JSON.value if kind is Format.RUNS else Format.RUNS.value), None
    name, *rest = given
    if name not in TARGETS:
        raise CommandError(f"--to {name}: expected one of {', '.join(TARGETS)}")
    if name in PROTOCOLS:
        if len(rest) != 1:
            raise CommandError(f"--to {name} needs the endpoint URL: --to {name} URL")
        return name, rest[0]
    if rest:
        raise CommandError(f"--to {name} takes no URL")
    if name == Format.RUNS.value and kind is Format.RUNS:
        raise CommandError("the input already holds runs; --to one of otlp-json, otlp-proto")
    return name, None


@contextlib.contextmanager
def _opened_input(name: str) -> Iterator[tuple[IO[bytes], int | None]]:
    if name == "-":
        yield sys.stdin.buffer, None
        return
    path = Path(name)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the context manager
    except FileNotFoundError:
        raise CommandError(f"no such file: {path}") from None
    except OSError as exc:
        raise CommandError(f"cannot open {path}: {exc.strerror or exc}") from None
    with handle:
        info = os.fstat(handle.fileno())
        yield handle, info.st_size if stat.S_ISREG(info.st_mode) else None


@contextlib.contextmanager
def _opened_output(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdout.buffer
        return
    try:
        handle = open(name, "wb")  # noqa: SIM115 - closed by the context manager
    except OSError as exc:
        raise CommandError(f"cannot write {name}: {exc.strerror or exc}") from None
    with handle:
        yield handle


class _Reporter:
    """Prints the first bad records with where they were, and counts the rest."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0

    def __call__(self, bad: BadRecord) -> None:
        self.count += 1
        if self.count <= SHOWN_ERRORS:
            print(f"{PROG} convert: {self.label}:{bad}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Convert the input; 0 when every record converted, 1 otherwise."""
    if args.batch < 1:
        raise CommandError("--batch must be at least 1")
    headers = headers_from(args.header)
    with _opened_input(args.input) as (raw, size):
        source = Source(raw)
        try:
            kind = Format(args.source_format) if args.source_format else detect(source)
            if kind is Format.OTLP_PROTO:
                framing(source)  # fail early, before any output is created
        except FileFormatError as exc:
            raise CommandError(f"{args.input}: {exc}") from None
        target, endpoint = _target(args, kind)
        label = "stdin" if args.input == "-" else args.input
        progress = Progress(
            sys.stderr,
            size,
            "runs" if target == Format.RUNS.value else "spans",
            enabled=sys.stderr.isatty() if args.progress is None else args.progress,
        )
        report = _Reporter(label)
        _logger.debug("converting %s (%s) to %s", label, kind.value, target)

        def tick(written: int) -> None:
            progress.update(source.consumed, written, report.count)

        try:
            if endpoint is not None:
                outcome = convert(
                    source,
                    kind,
                    target,
                    exporter=exporter(target, endpoint, headers),
                    on_bad=report,
                    tick=tick,
                    batch=args.batch,
                )
            else:
                with _opened_output(args.output) as out:
                    outcome = convert(
                        source, kind, target, out=out, on_bad=report, tick=tick, batch=args.batch
                    )
        except FileFormatError as exc:
            progress.finish(source.consumed, 0, report.count)
            raise CommandError(f"{label}: {exc}") from None
        progress.finish(source.consumed, outcome.written, report.count)
    if report.count > SHOWN_ERRORS:
        print(
            f"{PROG} convert: {label}: {report.count - SHOWN_ERRORS} more records not converted",
            file=sys.stderr,
        )
    if outcome.bad:
        print(
            f"{PROG} convert: {label}: {outcome.written} written, {outcome.bad} not converted",
            file=sys.stderr,
        )
        return 1
    return 0
