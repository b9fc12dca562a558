"""The receiver service's own environment variables and their defaults.

Each setting resolves as constructor argument > environment variable > default, in the
constructor. A bad environment value logs a warning and falls back to the default; a bad
argument raises `ConfigError`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final

from otel_runs.errors import ConfigError

_logger = logging.getLogger(__name__)

ENV_SPOOL: Final = "OTEL_RUNS_SPOOL"
"""Path of the spool file (default `otel-runs-spool.sqlite` in the working directory)."""
ENV_SPOOL_MAX_BYTES: Final = "OTEL_RUNS_SPOOL_MAX_BYTES"
"""Bytes of undelivered requests the spool may hold before refusing with 503 (default 1 GiB)."""
ENV_SPOOL_SYNC: Final = "OTEL_RUNS_SPOOL_SYNC"
"""`full` (default: fsync every acknowledged request) or `normal` (see docs/spool.md)."""
ENV_LOG_SETTLE: Final = "OTEL_RUNS_LOG_SETTLE_SECONDS"
"""How long a span stays spooled before conversion, so its late log events can join (2)."""
ENV_LOG_WAIT: Final = "OTEL_RUNS_LOG_WAIT_SECONDS"
"""How long a log event waits for its span before it is given up (300)."""

DEFAULT_SPOOL_NAME: Final = "otel-runs-spool.sqlite"
DEFAULT_MAX_SPOOL_BYTES: Final = 1024 * 1024 * 1024
MIN_SPOOL_BYTES: Final = 1024 * 1024
"""A spool smaller than one request would refuse everything."""
DEFAULT_LOG_SETTLE_S: Final = 2.0
DEFAULT_LOG_WAIT_S: Final = 300.0


def default_spool_path() -> Path:
    """`$OTEL_RUNS_SPOOL` if set and not empty, else `otel-runs-spool.sqlite` in the working
    directory."""
    configured = os.environ.get(ENV_SPOOL, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.cwd() / DEFAULT_SPOOL_NAME


def number(
    name: str, value: float | None, env: str, default: float, *, minimum: float = 0.0
) -> float:
    """Argument `name` > environment > default, for a number of at least `minimum`."""
    if value is not None:
        if not value >= minimum:
            raise ConfigError(f"{name} must be >= {minimum}, got {value!r}")
        return float(value)
    raw = os.environ.get(env)
    if raw is None or not raw.strip():
        return default
    try:
        parsed = float(raw)
    except ValueError:
        parsed = float("nan")
    if not parsed >= minimum:
        _logger.warning("%s=%r is not a number >= %s; using %s", env, raw, minimum, default)
        return default
    return parsed


def choice(name: str, value: str | None, env: str, choices: tuple[str, ...], default: str) -> str:
    """Argument `name` > environment > default, for one of `choices` (case-insensitive)."""
    if value is not None:
        if value.lower() not in choices:
            raise ConfigError(f"{name} must be one of {choices}, got {value!r}")
        return value.lower()
    raw = os.environ.get(env, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        _logger.warning("%s=%r is not one of %s; using %r", env, raw, choices, default)
        return default
    return raw
