"""Suite-wide hygiene."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import pytest


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
