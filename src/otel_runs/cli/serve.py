"""`otel-runs serve`: receive OTLP traces over HTTP and gRPC, spool them, forward them as runs.

    otel-runs serve [--host 127.0.0.1] [--http-port 4318] [--grpc-port 4317] [--store PATH]
                    [--workers N|auto]

A port of 0 turns that protocol off; `auto` lets the OS pick a free one. Runs go to `--store`
(a SQLite file), or to LangSmith with `--langsmith`; with neither, to LangSmith when
`LANGSMITH_API_KEY` is set, else to `$OTEL_RUNS_STORE` or `./otel-runs.sqlite`. Once listening
it prints one line, `otel-runs serve: ready http=HOST:PORT grpc=HOST:PORT runs=... spool=...
auth=on|off projects=any|span|header|none workers=N`. `--workers N` (N >= 2) converts and
stores in N worker processes, one partition of the trace ids each (1, the default: in this one;
`auto`: as many as the cores this process may use, CPU quota included).
Listening beyond loopback without a bearer token
is refused unless `--insecure` is given. A startup failure (a port in use, a spool in use)
prints one line naming what and where, stops what was started, and exits 1. SIGTERM or SIGINT
stop it gracefully (exit 0). See docs/receiver.md.
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from otel_runs.cli import serve_langsmith
from otel_runs.cli._common import PROG, CommandError, Subcommands, add_store_option
from otel_runs.receiver.auth import TOKEN_ENV, BearerAuth
from otel_runs.receiver.cores import AUTO as WORKERS_AUTO
from otel_runs.receiver.cores import Workers
from otel_runs.receiver.limits import (
    DEFAULT_GRACE_S,
    DEFAULT_GRPC_PORT,
    DEFAULT_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_MAX_INFLIGHT,
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_MAX_REQUEST_SPANS,
    MIB,
    Limits,
)
from otel_runs.receiver.projects import CHOICES as PROJECT_CHOICES
from otel_runs.receiver.settings import ENV_PROJECT_FROM, ENV_SPOOL, ENV_WORKERS, GC_THRESHOLDS
from otel_runs.sinks import RunSink
from otel_runs.sinks.choose import ENV_API_KEY
from otel_runs.sinks.sqlite import STORE_ENV, default_store_path, receiver_store

_logger = logging.getLogger(__name__)

AUTO: Final = "auto"
_LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def register(commands: Subcommands) -> None:
    """Add the `serve` subcommand."""
    parser = commands.add_parser(
        "serve",
        help="receive OTLP traces (HTTP and gRPC) and turn them into runs",
        description=(
            "An OTLP/HTTP and OTLP/gRPC endpoint: spans are spooled durably before the reply, "
            "then converted to runs and sent to the store or LangSmith."
        ),
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface (default {DEFAULT_HOST})")
    parser.add_argument(
        "--http-port",
        type=port,
        default=DEFAULT_HTTP_PORT,
        metavar="PORT",
        help=f"OTLP/HTTP port (default {DEFAULT_HTTP_PORT}; 0 = off; auto = any free port)",
    )
    parser.add_argument(
        "--grpc-port",
        type=port,
        default=DEFAULT_GRPC_PORT,
        metavar="PORT",
        help=f"OTLP/gRPC port (default {DEFAULT_GRPC_PORT}; 0 = off; auto = any free port)",
    )
    add_store_option(parser)
    parser.add_argument(
        "--langsmith", action="store_true", help=f"send runs to LangSmith (needs {ENV_API_KEY})"
    )
    parser.add_argument(
        "--spool",
        type=Path,
        metavar="PATH",
        help=f"durable spool file (default: ${ENV_SPOOL}, else ./otel-runs-spool.sqlite)",
    )
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"bearer token senders must present (default: ${TOKEN_ENV})",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow --host beyond loopback without a bearer token (anyone who reaches the port "
        "can send spans)",
    )
    parser.add_argument(
        "--project-from",
        choices=PROJECT_CHOICES,
        metavar="WHO",
        help="who may choose a run's LangSmith project: any (span attribute, else the "
        "Langsmith-Project header), span, header or none (default: "
        f"${ENV_PROJECT_FROM}, else any)",
    )
    parser.add_argument(
        "--workers",
        type=workers_arg,
        metavar="N|auto",
        help="processes that convert and store runs: 1 is this one; 2 or more are worker "
        "processes, each for its own share of the traces; auto: the cores this process may use,"
        " CPU quota included (default: $" + ENV_WORKERS + ", else 1)",
    )
    parser.add_argument(
        "--max-request-mib",
        type=positive,
        default=DEFAULT_MAX_REQUEST_BYTES / MIB,
        metavar="MIB",
        help="largest request after decompression (default %(default)g)",
    )
    parser.add_argument(
        "--max-request-spans",
        type=positive_int,
        default=DEFAULT_MAX_REQUEST_SPANS,
        metavar="N",
        help="most spans in one request; more get 413 (default %(default)d)",
    )
    parser.add_argument(
        "--max-inflight",
        type=positive_int,
        default=DEFAULT_MAX_INFLIGHT,
        metavar="N",
        help="requests handled at once; more get 429 / RESOURCE_EXHAUSTED (default %(default)d)",
    )
    parser.add_argument(
        "--grace",
        type=positive,
        default=DEFAULT_GRACE_S,
        metavar="SECONDS",
        help="time in-flight requests and the final flush get at shutdown (default %(default)g)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO on stderr")
    serve_langsmith.add_options(parser)
    parser.set_defaults(command=run)


def port(text: str) -> int | None:
    """argparse type: a TCP port; 0 turns the protocol off (None), `auto` picks one (0)."""
    if text.strip().lower() == AUTO:
        return 0
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port (0-65535 or {AUTO}): {text!r}")
    return value or None


def workers_arg(text: str) -> Workers:
    """argparse type: a whole number > 0, or "auto"."""
    if text.strip().lower() == WORKERS_AUTO:
        return WORKERS_AUTO
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"not a whole number > 0 or {WORKERS_AUTO}: {text!r}"
        ) from None


def positive_int(text: str) -> int:
    """argparse type: a whole number > 0 ("1e4" is one; "2.5" is refused, not cut to 2)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and value.is_integer()):
        raise argparse.ArgumentTypeError(f"not a whole number > 0: {text!r}")
    return int(value)


def positive(text: str) -> float:
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a number > 0: {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT; exit 0 after a graceful shutdown."""
    # Imported here: uvicorn and grpc are not needed by the other subcommands.
    from otel_runs.receiver.ingress import Ingress
    from otel_runs.receiver.langsmith_api.service import RunIntake
    from otel_runs.receiver.server import Bind, ReceiverServer, SignalWatch
    from otel_runs.receiver.service import ReceiverService

    _configure_logging(args.verbose)
    if args.http_port is None and args.grpc_port is None:
        raise CommandError("both --http-port and --grpc-port are 0: nothing to serve")
    auth = BearerAuth(args.token)  # an empty token is a ConfigError: exit 1
    _check_exposure(args.host, auth, insecure=args.insecure)
    to = serve_langsmith.destination(args, _store(args))
    sink_factory, where = _sink(args)
    service = ReceiverService(
        sink_factory=sink_factory,
        workers=args.workers,
        spool_path=args.spool,
        project_from=args.project_from,
    )
    limits = Limits(
        int(args.max_request_mib * MIB),
        args.max_inflight,
        max_request_spans=args.max_request_spans,
    )
    ingress = Ingress(service, limits, auth)
    # The LangSmith API (runs from LangSmith SDKs) on the HTTP port, beside OTLP.
    runs_api = RunIntake(service.spool, to.sink, ttl_s=args.run_ttl)
    server = ReceiverServer(
        ingress,
        Bind(args.host, args.http_port, args.grpc_port),
        grace_s=args.grace,
        http_app=serve_langsmith.http_app(runs_api, ingress),
    )
    _tune_gc()
    with SignalWatch() as signals:
        try:
            bound = server.start()  # stops whatever it started when a port cannot be bound
        except OSError as exc:
            runs_api.stop(0, drain=False)  # not started: closes its sink
            service.stop(0, drain=False)  # not started: closes the sink, the spool and its lock
            raise CommandError(str(exc)) from None
        try:
            service.start()  # with workers: raises when one cannot start
        except BaseException:
            server.stop()
            runs_api.stop(0, drain=False)
            service.stop(0, drain=False)
            raise
        runs_api.start()
        print(
            f"{PROG} serve: ready {bound.describe()} runs={where} spool={service.spool_path}"
            f" to={to.described} auth={'on' if auth.enabled else 'off'}"
            f" projects={service.project_from} workers={service.workers}",
            flush=True,
        )
        number = signals.wait()
        _logger.info("%s: stopping", signal.Signals(number).name)
        server.stop()
        delivered = runs_api.stop(args.grace) & service.stop(args.grace)
    if not delivered:
        _logger.info("some spans stay spooled; they are forwarded at the next start")
    return 0


def _check_exposure(host: str, auth: BearerAuth, *, insecure: bool) -> None:
    """Listening beyond this machine without a token needs `--insecure`, and then warns."""
    if auth.enabled or is_loopback(host):
        return
    if not insecure:
        raise CommandError(
            f"--host {host} accepts connections from other machines, and no bearer token is "
            f"set: set ${TOKEN_ENV} (or --token), or pass --insecure to serve unauthenticated"
        )
    _logger.warning(
        "INSECURE: listening on %s with no bearer token: anyone who can reach the ports can "
        "send spans, and name their project unless --project-from says otherwise",
        host,
    )


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine (names other than
    `localhost` count as not: they may resolve anywhere)."""
    text = host.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def _sink(args: argparse.Namespace) -> tuple[Callable[[], RunSink], str]:
    """What makes the sink runs go to (in this process, or in each worker process), and how the
    ready line names it."""
    if args.langsmith and args.store is not None:
        raise CommandError("give --store or --langsmith, not both")
    if args.langsmith or (args.store is None and os.environ.get(ENV_API_KEY)):
        from otel_runs.sinks.langsmith import LangSmithSink

        LangSmithSink().close()  # a missing key or a bad endpoint stops startup here
        return LangSmithSink, "langsmith"
    store = _store(args)
    _logger.debug("runs go to %s (--store, else $%s)", store, STORE_ENV)
    return functools.partial(receiver_store, store), str(store.resolve())


def _store(args: argparse.Namespace) -> Path:
    """`--store`, else the default store path."""
    return args.store if args.store is not None else default_store_path()


def _tune_gc() -> None:
    """A receiver allocates ~30 short-lived, acyclic objects per span: collect young objects
    less often, and stop rescanning the startup heap (modules, config) in every collection.
    See docs/receiver.md, "Speed", for what each saves."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _configure_logging(verbose: bool) -> None:
    """A long-running command logs to stderr; INFO with -v, else WARNING."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
