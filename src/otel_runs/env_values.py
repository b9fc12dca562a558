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
    return _number(name, value, env, default, minimum, whole=False)


def whole_number(name: str, value: int | None, env: str, default: int, *, minimum: int = 1) -> int:
    """As `number`, for a count: a value with a fraction is refused like one out of range (an
    argument raises, an environment value warns and the default is used), not cut to its whole
    part. "1e4" is a whole number; "2.5" is not."""
    return int(_number(name, value, env, default, minimum, whole=True))


def _number(
    name: str, value: float | None, env: str, default: float, minimum: float, *, whole: bool
) -> float:
    def fits(number: float) -> bool:  # (NaN fits nothing)
        return number >= minimum and (not whole or float(number).is_integer())

    if value is not None:
        if not fits(value):
            kind = "a whole number " if whole else ""
            raise ConfigError(f"{name} must be {kind}>= {minimum}, got {value!r}")
        return float(value)
    raw = os.environ.get(env)
    if raw is None or not raw.strip():
        return default
    try:
        parsed = float(raw)
    except ValueError:
        parsed = float("nan")
    if not fits(parsed):
        what = "a whole number" if whole else "a number"
        _logger.warning("%s=%r is not %s >= %s; using %s", env, raw, what, minimum, default)
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
