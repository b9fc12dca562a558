"""`otel-runs serve`'s LangSmith API options: where runs sent by the LangSmith SDKs go.

    --to store                          the local store (`--store`, default): runs as runs
    --to otlp-http URL                  spans to an OTLP/HTTP endpoint (the full /v1/traces URL)
    --to otlp-grpc URL                  spans to an OTLP/gRPC endpoint (http:// = plaintext)
    --header KEY=VALUE                  a header for the OTLP endpoints (repeatable)
    --run-ttl SECONDS                   how long a run waits for its end before it goes unfinished

`--to` may be given several times: every destination gets every run (`--to otlp-http URL
--to store` keeps a local copy too). The API is always on, on the HTTP port, beside OTLP.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from otel_runs.cli._common import CommandError, header_pairs
from otel_runs.sinks import RunSink
from otel_runs.sinks.otlp import PROTOCOLS, Protocol

STORE: Final = "store"
TARGETS: Final = (STORE, *PROTOCOLS)


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add the LangSmith API's options to the `serve` parser."""
    group = parser.add_argument_group(
        "LangSmith API",
        "runs sent by LangSmith SDKs (LANGSMITH_ENDPOINT=http://HOST:HTTP_PORT) go to --to",
    )
    group.add_argument(
        "--to",
        action="append",
        nargs="+",
        default=[],
        metavar="TARGET",
        help="store | otlp-http URL | otlp-grpc URL; repeatable (default: store)",
    )
    group.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a header sent to the OTLP destinations (repeatable)",
    )
    group.add_argument(
        "--run-ttl",
        type=_seconds,
        metavar="SECONDS",
        help="how long a run waits for its end before it is sent unfinished "
        "(default: $OTEL_RUNS_RUN_TTL_SECONDS, else 600)",
    )


def _seconds(text: str) -> float:
    """argparse type: a number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class Destination:
    """The sink the LangSmith API's runs go to, and how the ready line names it."""

    sink: RunSink
    described: str


def destination(args: argparse.Namespace, store: Path) -> Destination:
    """The sink for `--to` (every destination given; the local store `store` by default)."""
    from otel_runs.sinks.fanout import FanoutSink
    from otel_runs.sinks.otlp import OtlpSpanSink
    from otel_runs.sinks.sqlite import receiver_store

    headers = header_pairs(args.header)
    sinks: list[RunSink] = []
    names: list[str] = []
    for target in args.to or [[STORE]]:
        name, *rest = target
        if name not in TARGETS:
            raise CommandError(f"--to {name}: expected one of {', '.join(TARGETS)}")
        if name == STORE:
            if rest:
                raise CommandError("--to store takes no URL (the store is --store)")
            sinks.append(receiver_store(store))  # beside the OTLP forwarding's writes
            names.append(f"store:{store.resolve()}")
            continue
        if len(rest) != 1:
            raise CommandError(f"--to {name} needs the endpoint URL: --to {name} URL")
        url = rest[0]
        if not url.startswith(("http://", "https://")):
            raise CommandError(f"--to {name} {url}: the URL must start with http:// or https://")
        protocol: Protocol = "otlp-http" if name == "otlp-http" else "otlp-grpc"
        sinks.append(OtlpSpanSink(url, protocol=protocol, headers=headers))
        names.append(f"{name}:{url}")
    if headers and len(names) == names.count(f"store:{store.resolve()}"):
        raise CommandError("--header is for --to otlp-http / otlp-grpc destinations")
    sink: RunSink = sinks[0] if len(sinks) == 1 else FanoutSink(sinks)
    return Destination(sink, ",".join(names))


def http_app(intake: Any, ingress: Any) -> Callable[[Any], Any]:
    """What wraps the OTLP/HTTP app: the LangSmith API routes in front of it."""
    from otel_runs.receiver.langsmith_api.routes import LangSmithApiApp

    return lambda otlp_app: LangSmithApiApp(intake, ingress, otlp_app)

