"""Suite-wide hygiene."""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Iterator

import pytest

from otel_runs import guard

_reported: list[tuple[BaseException, str]] = []
_reported_lock = threading.Lock()


def _record(error: BaseException, what: str) -> None:
    with _reported_lock:
        _reported.append((error, what))


guard.add_listener(_record)


class InternalErrors:
    """What otel-runs' guard reported during the test (`internal_errors` fixture)."""

    def __init__(self, start: int) -> None:
        self._start = start

    @property
    def reported(self) -> list[tuple[BaseException, str]]:
        with _reported_lock:
            return list(_reported[self._start :])

    @property
    def errors(self) -> list[BaseException]:
        return [error for error, _ in self.reported]

    def __len__(self) -> int:
        return len(self.reported)


@pytest.fixture
def internal_errors() -> InternalErrors:
    """For a test that provokes internal errors on purpose: it gets what was reported and
    asserts on it, and `_no_internal_errors` leaves it alone."""
    with _reported_lock:
        return InternalErrors(len(_reported))


@pytest.fixture(autouse=True)
def _no_internal_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Our hooks never raise into the program they observe, so a bug of ours inside one is
    only logged and counted. Fail the test during which one was reported, unless the test
    asked for `internal_errors` (and so says it expects them)."""
    with _reported_lock:
        start = len(_reported)
    yield
    if "internal_errors" in request.fixturenames:
        return
    with _reported_lock:
        new = _reported[start:]
    if new:
        error, what = new[0]
        pytest.fail(
            f"{len(new)} otel-runs internal error(s) reported during the test; the first, "
            f"while {what}: {type(error).__name__}: {error}",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _close_leftover_event_loop() -> Iterator[None]:
    """pydantic-ai's `run_sync` installs an event loop it never closes; once another test's
    `asyncio.run` replaces it, garbage collection warns about it (unclosed loop and sockets) in
    whatever test happens to run then. Close it at the end of the test that made it."""
    yield
    policy = asyncio.get_event_loop_policy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = policy.get_event_loop()
        except RuntimeError:
            return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    policy.set_event_loop(None)
