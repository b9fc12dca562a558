"""`otel-runs pull`: a LangSmith project, or its bulk-export Parquet files, into a runs file,
an OTLP file or an OTLP endpoint; interrupted, the same command resumes it.

    otel-runs pull --project NAME -o runs.jsonl          LangSmith's runs query (API key:
    otel-runs pull --project-id ID -o runs.jsonl           $LANGSMITH_API_KEY)
    otel-runs pull --parquet DIR -o runs.jsonl           bulk-export files (the parquet extra)

    --to runs | otlp-json | otlp-proto     the output format (default: runs)
    --to otlp-http URL | otlp-grpc URL     send the spans to an OTLP endpoint instead of -o
    --since TIME / --until TIME            the start-time window (default: 2000-01-01 .. now)
    --checkpoint PATH                      default: OUTPUT.checkpoint, or
                                           ./otel-runs-pull.checkpoint for an endpoint
    --restart                              start over instead of resuming

Exit code 0 when every run was written, 1 when some could not be or the pull stopped (the
message says so; the same command resumes it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

from otel_runs.cli._common import PROG, BadReporter, CommandError, Subcommands, header_pairs
from otel_runs.files import FileFormatError
from otel_runs.files.detect import Format
from otel_runs.files.pipeline import ExportRefusedError, Output
from otel_runs.files.progress import Progress
from otel_runs.files.replay import PROTOCOLS, exporter
from otel_runs.langsmith_api import LangSmithApiError
from otel_runs.langsmith_api.client import LangSmithApi
from otel_runs.pull.checkpoint import Checkpoint, JsonDict, load_checkpoint, save_checkpoint
from otel_runs.pull.loop import PageSource, pull
from otel_runs.pull.output_file import OutputFile
from otel_runs.pull.sources import MAX_PAGE_SIZE, ParquetSource, QuerySource
from otel_runs.sinks.langsmith import ENV_PROJECT

FORMATS: Final = tuple(f.value for f in Format)
DEFAULT_PAGE_SIZE: Final = 500
DEFAULT_SINCE: Final = datetime(2000, 1, 1, tzinfo=timezone.utc)
"""From the beginning: the SDK's `get_test_results` queries from 2000-01-01 too. A project's
creation time is no bound: its first runs start before the project they create."""
ENDPOINT_CHECKPOINT: Final = Path("otel-runs-pull.checkpoint")


def register(commands: Subcommands) -> None:
    """Add the `pull` subcommand."""
    parser = commands.add_parser(
        "pull",
        help="pull a LangSmith project (or bulk-export Parquet files) into runs or OTLP",
        description="Read a LangSmith project through its runs query, or bulk-export Parquet "
        "files, into a runs file, an OTLP file or an OTLP endpoint. Interrupted, the same "
        "command resumes where it stopped.",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--project", metavar="NAME", help=f"project name (default: ${ENV_PROJECT})")
    what.add_argument("--project-id", metavar="ID", help="project id")
    what.add_argument("--parquet", metavar="PATH", help="bulk-export Parquet file or directory")
    parser.add_argument("-o", "--output", metavar="OUTPUT", help="output file")
    parser.add_argument(
        "--to",
        nargs="+",
        metavar="TARGET",
        help=f"{' | '.join(FORMATS)} | otlp-http URL | otlp-grpc URL (default: runs)",
    )
    parser.add_argument(
        "--header", action="append", default=[], metavar="KEY=VALUE",
        help="a header sent to the OTLP endpoint (repeatable)",
    )  # fmt: skip
    parser.add_argument("--since", type=_time, metavar="TIME", help="runs started at or after")
    parser.add_argument("--until", type=_time, metavar="TIME", help="runs started before")
    parser.add_argument(
        "--page-size", type=int, metavar="N",
        help=f"runs per page, 1..{MAX_PAGE_SIZE} (default: {DEFAULT_PAGE_SIZE})",
    )  # fmt: skip
    parser.add_argument("--checkpoint", type=Path, metavar="PATH", help="checkpoint file")
    parser.add_argument("--restart", action="store_true", help="start over, not resume")
    parser.add_argument("--endpoint", metavar="URL", help="LangSmith API URL ($LANGSMITH_ENDPOINT)")
    parser.add_argument("--workspace-id", metavar="ID", help="($LANGSMITH_WORKSPACE_ID)")
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )  # fmt: skip
    parser.add_argument("--retries", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument("--backoff", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.set_defaults(command=run)


def _time(text: str) -> datetime:
    """argparse type: an ISO 8601 date or time; UTC unless it says otherwise."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


@dataclass(frozen=True, slots=True)
class _Target:
    name: str
    endpoint: str | None
    output: Path | None

    def identity(self) -> JsonDict:
        if self.output is not None:
            return {"to": self.name, "output": str(self.output.resolve())}
        return {"to": self.name, "endpoint": self.endpoint}

    @property
    def label(self) -> str:
        return str(self.output) if self.output is not None else f"{self.name} {self.endpoint}"


def _target(args: argparse.Namespace) -> _Target:
    name, *rest = args.to or [Format.RUNS.value]
    if name in PROTOCOLS:
        if len(rest) != 1:
            raise CommandError(f"--to {name} needs the endpoint URL: --to {name} URL")
        if args.output:
            raise CommandError(f"--to {name} sends to an endpoint: -o has no use with it")
        return _Target(name, rest[0], None)
    if name not in FORMATS:
        raise CommandError(f"--to {name}: expected one of {', '.join((*FORMATS, *PROTOCOLS))}")
    if rest:
        raise CommandError(f"--to {name} takes no URL")
    if not args.output or args.output == "-":
        raise CommandError("pull writes to a file it can resume: give -o OUTPUT")
    return _Target(name, None, Path(args.output))


def _saved(checkpoint: Checkpoint | None, kind: str) -> JsonDict | None:
    return checkpoint.source if checkpoint and checkpoint.source.get("kind") == kind else None


@contextlib.contextmanager
def _source(
    args: argparse.Namespace, saved: Checkpoint | None, on_retry: Callable[[str, float], None]
) -> Iterator[tuple[PageSource, int | None]]:
    """The pages to read, and their total size when known. A resumed pull keeps the window
    and page size of its checkpoint unless they are given again."""
    if args.page_size is not None and not 1 <= args.page_size <= MAX_PAGE_SIZE:
        raise CommandError(f"--page-size must be 1..{MAX_PAGE_SIZE}")
    if args.parquet:
        size = args.page_size or DEFAULT_PAGE_SIZE
        parquet = ParquetSource(Path(args.parquet), size)
        yield parquet, parquet.total_bytes
        return
    name: str = args.project or ("" if args.project_id else os.environ.get(ENV_PROJECT, ""))
    if not name and not args.project_id:
        raise CommandError(f"what to pull: --project NAME, --project-id ID or --parquet PATH"
                           f" (or set {ENV_PROJECT})")  # fmt: skip
    before = _saved(saved, "langsmith")
    since = args.since or (_time(before["since"]) if before else DEFAULT_SINCE)
    until = args.until or (_time(before["until"]) if before else datetime.now(timezone.utc))
    if since >= until:
        raise CommandError("--since must be before --until")
    size = args.page_size or (int(before["page_size"]) if before else DEFAULT_PAGE_SIZE)
    api = LangSmithApi(
        endpoint=args.endpoint,
        workspace_id=args.workspace_id,
        max_retries=max(args.retries, 0),
        backoff=max(args.backoff, 0.0),
        on_retry=on_retry,
    )
    try:
        project = api.project(args.project_id) if args.project_id else api.project_named(name)
        yield QuerySource(api, project, since, until, size), None
    finally:
        api.close()


def run(args: argparse.Namespace) -> int:
    """Pull (or resume pulling); 0 when every run was written, 1 otherwise."""
    target = _target(args)
    headers = header_pairs(args.header)
    checkpoint_path: Path = args.checkpoint or (
        target.output.with_name(target.output.name + ".checkpoint")
        if target.output is not None
        else ENDPOINT_CHECKPOINT
    )

    def retrying(reason: str, delay: float) -> None:
        print(f"{PROG} pull: LangSmith: {reason}; retrying in {delay:.1f} s", file=sys.stderr)

    saved = None if args.restart else load_checkpoint(checkpoint_path)
    try:
        with _source(args, saved, retrying) as (source, total):
            if saved is not None:
                saved.check_same(source.identity(), target.identity(), checkpoint_path)
                if saved.done:
                    print(f"{PROG} pull: already complete ({saved.written:,} runs to "
                          f"{target.label}); --restart to pull again", file=sys.stderr)  # fmt: skip
                    return 0 if saved.bad == 0 else 1
            start = saved or Checkpoint(source.identity(), target.identity())
            return _pull(
                args, source, start=start, total=total, target=target, headers=headers,
                checkpoint_path=checkpoint_path,
            )  # fmt: skip
    except (LangSmithApiError, FileFormatError) as exc:
        raise CommandError(str(exc)) from None


def _pull(
    args: argparse.Namespace,
    source: PageSource,
    *,
    start: Checkpoint,
    total: int | None,
    target: _Target,
    headers: dict[str, str],
    checkpoint_path: Path,
) -> int:
    report = BadReporter("pull", "")
    progress = Progress(
        sys.stderr,
        total,
        "runs" if target.name == Format.RUNS.value else "spans",
        enabled=sys.stderr.isatty() if args.progress is None else args.progress,
    )
    last = start

    def save(checkpoint: Checkpoint) -> None:
        nonlocal last
        save_checkpoint(checkpoint_path, checkpoint)
        last = checkpoint

    def tick(checkpoint: Checkpoint) -> None:
        progress.update(checkpoint.received, checkpoint.written, checkpoint.bad)

    out = None
    if target.output is not None:
        out = OutputFile(target.output, start.offset if start.pages else None)
        output = Output(target.name, out.handle, None)
        durable = out.durable
    else:
        assert target.endpoint is not None
        send = exporter(target.name, target.endpoint, headers)
        output = Output(target.name, None, send, refused="raise")
        durable = _nothing_buffered
    if not start.pages:
        save(start)  # this pull's checkpoint from now on, even before its first page
    try:
        final = pull(source, start, output, durable=durable, save=save, on_bad=report, tick=tick)
    except (LangSmithApiError, ExportRefusedError, FileFormatError) as exc:
        progress.finish(last.received, last.written, last.bad)
        raise CommandError(f"{exc}\n{_stopped(last, target)}") from None
    except KeyboardInterrupt:
        progress.finish(last.received, last.written, last.bad)
        print(f"{PROG} pull: interrupted. {_stopped(last, target)}", file=sys.stderr)
        raise
    finally:
        output.close()
        if out is not None:
            out.close()
    progress.finish(final.received, final.written, final.bad)
    report.finish()
    print(f"{PROG} pull: {final.written:,} runs to {target.label}"
          + (f", {final.bad:,} could not be read or written" if final.bad else ""),
          file=sys.stderr)  # fmt: skip
    return 0 if final.bad == 0 else 1


def _nothing_buffered() -> int:
    return 0  # an endpoint that answered has the spans: nothing left to make durable


def _stopped(last: Checkpoint, target: _Target) -> str:
    return (
        f"The pull stopped after {last.pages} pages ({last.written:,} runs to {target.label});"
        " the same command resumes it."
    )
