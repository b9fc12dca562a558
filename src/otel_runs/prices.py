"""Custom prices for models genai-prices does not know: a JSON or TOML file, named by
`OTEL_RUNS_PRICES` or given to `use_prices()`.

The file's shape and the pricing rule are in `convert/price_table.py` and docs/design.md
("Custom prices"). The variable is read the first time a run needs a price the genai-prices
tables lack (never at import): a file that is missing or malformed then logs one warning and no
custom price applies; `use_prices(path)` raises `ConfigError` for the same file instead.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Final

from otel_runs.convert import costs
from otel_runs.convert.price_table import PriceTable, parse_price_table
from otel_runs.errors import ConfigError

_logger = logging.getLogger(__name__)

ENV_PRICES: Final = "OTEL_RUNS_PRICES"
"""Path of the custom price file (`.json` or `.toml`)."""


def load_prices(path: str | os.PathLike[str]) -> PriceTable:
    """The price table in a JSON file, or a TOML one (`.toml`, Python 3.11+)."""
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"price file {where}: {exc.strerror or exc}") from None
    data: Any
    if where.suffix.lower() == ".toml":
        data = _toml(where, text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"price file {where}: not JSON ({exc})") from None
    return parse_price_table(data, f"price file {where}")


def _toml(where: Path, text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"price file {where}: not TOML ({exc})") from None
    raise ConfigError(f"price file {where}: TOML needs Python 3.11+; use JSON")


def use_prices(prices: str | os.PathLike[str] | PriceTable | None) -> None:
    """Price models genai-prices does not know with these prices (a file or a table), for every
    conversion in this process from now on; None turns custom prices off (`OTEL_RUNS_PRICES`
    included). Raises `ConfigError` for a file that cannot be read or is malformed."""
    table = prices if isinstance(prices, PriceTable) or prices is None else load_prices(prices)
    costs.set_custom_prices(table)


def _from_environment() -> PriceTable | None:
    """The prices `OTEL_RUNS_PRICES` names; None (after a warning) when it names a bad file."""
    path = os.environ.get(ENV_PRICES, "").strip()
    if not path:
        return None
    try:
        table = load_prices(path)
    except ConfigError as exc:
        _logger.warning("%s: %s; no custom prices", ENV_PRICES, exc)
        return None
    _logger.info("%s: custom prices for %d models from %s", ENV_PRICES, len(table), path)
    return table


costs.set_price_loader(_from_environment)
