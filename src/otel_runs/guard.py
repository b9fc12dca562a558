"""The one internal-error guard: log and carry on in production, re-raise under pytest.

Telemetry must never break the program it observes, but a bug hidden by a broad `except` in
our own tests would never be fixed; so the guard re-raises when pytest is running.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_logger = logging.getLogger("otel_runs")


class Failed:
    """Truthy after the guarded block raised."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: BaseException | None = None

    def __bool__(self) -> bool:
        return self.error is not None


def report(error: Exception, what: str, *args: object) -> None:
    """Log an internal error (re-raise it under pytest). For hot paths that cannot afford the
    context manager."""
    if "pytest" in sys.modules and not getattr(sys, "_otel_runs_swallow", False):
        raise error
    _logger.error(
        "otel-runs internal error while %s", what % args if args else what, exc_info=error
    )


@contextmanager
def internal_errors(what: str, *args: object) -> Iterator[Failed]:
    """Run a block; an exception in it is logged (with `what % args`) and swallowed."""
    failed = Failed()
    try:
        yield failed
    except Exception as exc:
        failed.error = exc
        report(exc, what, *args)
