"""Settings read as argument > environment variable > default, the same way everywhere.

A bad argument raises `ConfigError`; a bad environment value logs a warning and falls back to
the default, so a typo in a deployment never stops an application. The exporter and the
receiver read the same variables (`OTEL_RUNS_ASSEMBLY_TTL_SECONDS`, ...) through these, so one
variable means one thing.
"""

from __future__ import annotations

import logging
import os

from otel_runs.errors import ConfigError

_logger = logging.getLogger(__name__)


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
