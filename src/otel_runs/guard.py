"""The one internal-error guard: log, count and carry on, in every process.

Telemetry must never break the program it observes, so an exception from our own code inside a
hook (a span processor, an exporter, a receiver handler, the forwarding thread) is logged and
swallowed here. It is not hidden: every report adds to `error_count()` and is passed to the
listeners added with `add_listener`. That is how a test suite sees our bugs (tests/conftest.py
fails any test during which one was reported, unless the test asked for it), and never by asking
whether pytest is loaded: an application's own test suite imports pytest too, and it must get
the same never-raising hooks as production.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_logger = logging.getLogger("otel_runs")

Listener = Callable[[BaseException, str], object]
"""Called with the error and what was being done, on the thread that caught it."""

_lock = threading.Lock()
_counts = [0]
"""Internal errors reported so far (a list, so no function rebinds a global)."""
_listeners: list[Listener] = []


class Failed:
    """Truthy after the guarded block raised."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: BaseException | None = None

    def __bool__(self) -> bool:
        return self.error is not None


def report(error: BaseException, what: str, *args: object) -> None:
    """Log and count an internal error, and tell the listeners. Never raises. For hot paths
    that cannot afford the context manager."""
    doing = what % args if args else what
    with _lock:
        _counts[0] += 1
        listeners = tuple(_listeners)
    _logger.error("otel-runs internal error while %s", doing, exc_info=error)
    for listener in listeners:
        try:
            listener(error, doing)
        except Exception:  # a listener must not turn a swallowed error into a raised one
            _logger.exception("an internal-error listener failed")


@contextmanager
def internal_errors(what: str, *args: object) -> Iterator[Failed]:
    """Run a block; an exception in it is reported (with `what % args`) and swallowed."""
    failed = Failed()
    try:
        yield failed
    except Exception as exc:
        failed.error = exc
        report(exc, what, *args)


def error_count() -> int:
    """Internal errors reported in this process so far."""
    return _counts[0]


def add_listener(listener: Listener) -> Callable[[], None]:
    """Call `listener(error, what)` for every internal error from now on; returns a function
    that removes it again."""
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove
