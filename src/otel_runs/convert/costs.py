"""Costs of one LLM call: carried by the span when it says, else priced with genai-prices.

A cost the span carries is authoritative. Otherwise the call is priced from its usage with the
maintained `genai-prices` tables, cache-aware, at the span's start time (through a tariff worked
out once per model, provider and day: `tariffs.py`). A model or provider the tables do not know
is priced with the custom prices (`price_table`, installed by
`otel_runs.prices` from `OTEL_RUNS_PRICES` or `use_prices()`) when they name it, else gets no
cost rather than a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

from otel_runs.conventions.providers import TO_PRICE_PROVIDER
from otel_runs.convert.price_table import PriceTable
from otel_runs.convert.tariffs import Counts, exact, tariff
from otel_runs.dialects.coerce import as_float
from otel_runs.dialects.precedence import COST_ATTRIBUTES, ZERO_MEANS_UNPRICED
from otel_runs.dialects.view import SpanView
from otel_runs.model.ingest import COST_SOURCE_CUSTOM

_logger = logging.getLogger(__name__)

Costs = dict[str, Decimal]
"""Keys input_cost, output_cost, total_cost."""


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    number = as_float(value)
    return Decimal(repr(number)) if number is not None else None


def carried(v: SpanView, usage: dict[str, Any] | None, cost_keys: bool = True) -> Costs | None:
    """Costs the span states: in its usage_metadata object, else in cost attributes (which
    `cost_keys=False` says the span has none of)."""
    found: Costs = {}
    if usage:
        for key in ("input_cost", "output_cost", "total_cost"):
            amount = _decimal(usage.get(key))
            if amount is not None:
                found[key] = amount
    if not found and cost_keys:
        attrs = v.attrs
        for key, sources in COST_ATTRIBUTES.items():
            for _, attr in sources:
                raw = attrs.get(attr)
                if raw is None:
                    continue
                amount = _decimal(raw)
                if amount == 0 and attr in ZERO_MEANS_UNPRICED:
                    continue
                if amount is not None:
                    v.used.add(attr)
                    found[key] = amount
                    break
    if not found:
        return None
    if "total_cost" not in found and ("input_cost" in found or "output_cost" in found):
        found["total_cost"] = found.get("input_cost", Decimal(0)) + found.get(
            "output_cost", Decimal(0)
        )
    return found


PriceLoader = Callable[[], PriceTable | None]
"""Gives the custom prices the first time they are needed (`otel_runs.prices` installs one that
reads `OTEL_RUNS_PRICES`)."""


class _Custom:
    """The custom price table, found on first use (read from the loader once)."""

    table: PriceTable | None = None
    resolved = False
    loader: PriceLoader | None = None


def set_price_loader(loader: PriceLoader | None) -> None:
    """Where the custom prices come from when none were set (resolved on first need)."""
    _Custom.loader = loader
    _Custom.resolved = False


def set_custom_prices(table: PriceTable | None) -> None:
    """Use these custom prices from now on (None: none), instead of the loader's."""
    _Custom.table = table
    _Custom.resolved = True


def custom_prices() -> PriceTable | None:
    """The custom prices in force, resolving the loader the first time."""
    if not _Custom.resolved:
        loader = _Custom.loader
        _Custom.table = loader() if loader is not None else None
        _Custom.resolved = True
    return _Custom.table


COST_SOURCE_GENAI_PRICES: Final = "genai-prices"
"""`ls_cost_source` of costs from the genai-prices tables."""


def priced(
    model: str, ls_provider: str | None, usage: dict[str, Any], day: str
) -> tuple[Costs, str] | None:
    """Price the usage with genai-prices as of `day` (UTC, `YYYY-MM-DD`), else with the custom
    prices; the costs and where they came from, or None when neither knows the model."""
    found = _genai_prices(model, ls_provider, usage, day)
    if found is not None:
        return found, COST_SOURCE_GENAI_PRICES
    table = custom_prices()
    if table is not None:
        entry = table.find(model, ls_provider)
        if entry is not None:
            return entry.price(usage), COST_SOURCE_CUSTOM
    return None


def _genai_prices(
    model: str, ls_provider: str | None, usage: dict[str, Any], day: str
) -> Costs | None:
    provider_id = None
    if ls_provider is not None:
        provider_id = TO_PRICE_PROVIDER.get(ls_provider)
        if provider_id is None:
            return None
    in_details = usage.get("input_token_details")
    out_details = usage.get("output_token_details")
    counts: Counts = (
        usage.get("input_tokens", 0), usage.get("output_tokens", 0),
        in_details.get("cache_read", 0) if in_details else 0,
        in_details.get("cache_creation", 0) if in_details else 0,
        in_details.get("audio", 0) if in_details else 0,
        out_details.get("audio", 0) if out_details else 0,
    )  # fmt: skip
    return _price(model, provider_id, day, counts)


@lru_cache(maxsize=4096)
def _price(model: str, provider_id: str | None, day: str, counts: Counts) -> Costs | None:
    """Price one usage: by the model's tariff, else by genai-prices itself (cached: identical
    calls repeat)."""
    found = tariff(model, provider_id, day)
    price = found.price(counts) if found is not None else exact(model, provider_id, day, counts)
    if price is None:
        return None
    return {"input_cost": price[0], "output_cost": price[1], "total_cost": price[2]}
