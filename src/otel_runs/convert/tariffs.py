"""Model prices as tariffs: genai-prices' unit prices for one model, provider and day, applied to
any usage without walking its tables again.

genai-prices derives, for every call, the priced count of each unit (input tokens not read from
cache, cache reads, output tokens...) from the usage through its unit registry, then multiplies
each count by the unit's price: about 180 us a call, paid again for every distinct usage. Within
the usages it accepts, those counts are affine in the usage's fields (a unit's count is its field
less its sub-units'), so a tariff works them out once per (model, provider, day) by probing, and
prices a usage with a few integer products and then the very Decimal operations genai-prices
performs, in the same order. Whatever a tariff cannot price the same way (tiered prices, a usage
that leaves a count negative, which genai-prices refuses) goes to genai-prices itself.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, NamedTuple

_logger = logging.getLogger(__name__)

FIELDS: Final = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "input_audio_tokens", "output_audio_tokens",
)  # fmt: skip
"""The genai-prices usage fields a call is priced by, in the order `Counts` holds them."""

Counts = tuple[int, int, int, int, int, int]
Price = tuple[Decimal, Decimal, Decimal]
"""(input, output, total) in USD."""

_PROBE_BASE: Final = 1_000_000
"""Input and output tokens of the usage the probes start from (leaves no count negative)."""


class _Unit(NamedTuple):
    price: Decimal
    per: int
    direction: str | None
    base: int
    """The unit's count for the probe base, less its slopes times the base's fields."""
    slopes: tuple[int, ...]
    """How the count moves per token of each of FIELDS."""


class Tariff:
    """What genai-prices charges for one model, provider and day, as affine counts and prices.

    genai-prices also refuses some usages for which fields they report rather than for their
    counts (a model pricing cached audio needs it given when both cache reads and audio are):
    the first usage of each combination of reported fields is priced both ways, and the tariff
    is trusted for that combination only when the two agree (tests/test_tariffs.py holds the
    tariffs to genai-prices on random usages).
    """

    __slots__ = ("_trusted", "_units", "day", "model", "provider_id")

    def __init__(self, units: tuple[_Unit, ...], model: str, provider_id: str | None, day: str):
        self._units = units
        self._trusted: dict[int, bool] = {}
        self.model, self.provider_id, self.day = model, provider_id, day

    def price(self, counts: Counts) -> Price | None:
        """genai-prices' price of a usage (None when it refuses the usage or the model)."""
        reported = sum(1 << index for index, count in enumerate(counts) if count)
        trusted = self._trusted.get(reported)
        if trusted is None:
            precise = exact(self.model, self.provider_id, self.day, counts)
            self._trusted[reported] = precise is not None and _same(self._affine(counts), precise)
            return precise
        if trusted:
            found = self._affine(counts)
            if found is not None:
                return found
        return exact(self.model, self.provider_id, self.day, counts)

    def _affine(self, counts: Counts) -> Price | None:
        """The price from the probed counts; None when a count comes out negative."""
        input_price = Decimal(0)
        output_price = Decimal(0)
        total_price = Decimal(0)
        for unit in self._units:
            count = unit.base + sum([s * c for s, c in zip(unit.slopes, counts, strict=True)])
            if count < 0:
                return None
            unit_price = unit.price * Decimal(count) / unit.per
            total_price += unit_price
            if unit.direction == "input":
                input_price += unit_price
            elif unit.direction == "output":
                output_price += unit_price
        return input_price, output_price, total_price


def _usage(counts: Counts) -> Any:
    import genai_prices

    return genai_prices.Usage(**{name: n for name, n in zip(FIELDS, counts, strict=True) if n})


def _timestamp(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00+00:00")


@lru_cache(maxsize=256)
def tariff(model: str, provider_id: str | None, day: str) -> Tariff | None:
    """The tariff of a model at a provider on a day; None when genai-prices does not know the
    model, or prices it in a way a tariff does not reproduce (then price with `exact`)."""
    try:
        return _probe(model, provider_id, day)
    except Exception:  # an unknown model (LookupError) or a pricing-table oddity
        _logger.debug("no tariff for model %s", model, exc_info=True)
        return None


def _probe(model: str, provider_id: str | None, day: str) -> Tariff | None:
    from genai_prices import data_snapshot, types
    from genai_prices.decompose import compute_leaf_values
    from genai_prices.units import _get_registry

    snapshot = data_snapshot.get_snapshot()
    provider, info = snapshot.find_provider_model(model, None, provider_id, None)
    if provider.id == "groq" and info.id in ("whisper-large-v3", "whisper-large-v3-turbo"):
        return None  # genai-prices bills these by audio seconds: leave them to it
    prices = info.get_prices(_timestamp(day))
    resolved = types._collect_resolved_model_prices(prices, _get_registry())
    if any(not isinstance(price, Decimal) for _, price in resolved):
        return None  # tiered prices depend on the total input: leave them to genai-prices
    units_by_key = {unit.usage_key: unit for unit, _ in resolved if unit.usage_key != "requests"}

    def counts_for(counts: Counts) -> Mapping[str, Any]:
        usage = types.Usage.from_raw(_usage(counts))
        found: dict[str, Any] = dict(compute_leaf_values(set(units_by_key), usage, units_by_key))
        found["requests"] = 1
        return found

    base: Counts = (_PROBE_BASE, _PROBE_BASE, 0, 0, 0, 0)
    at_base = counts_for(base)
    moved = []
    for index in range(len(FIELDS)):
        probe = list(base)
        probe[index] += 1
        moved.append(counts_for((probe[0], probe[1], probe[2], probe[3], probe[4], probe[5])))
    units = []
    for unit, price in resolved:
        assert isinstance(price, Decimal)  # (tiered prices were left to genai-prices above)
        key = unit.usage_key
        start = at_base.get(key) or 0
        slopes = tuple((after.get(key) or 0) - start for after in moved)
        offset = start - sum(s * b for s, b in zip(slopes, base, strict=True))
        units.append(
            _Unit(price, unit.per, unit.dimensions.get("direction"), offset, slopes)
        )
    return Tariff(tuple(units), model, provider_id, day)


def _same(found: Price | None, precise: Price) -> bool:
    """Equal to the last digit and exponent (str, not ==: `0.000` and `0` must not pass)."""
    return found is not None and [str(x) for x in found] == [str(x) for x in precise]


def exact(model: str, provider_id: str | None, day: str, counts: Counts) -> Price | None:
    """genai-prices' own price of a usage (None for a model it does not know or a usage it
    refuses)."""
    import genai_prices

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = genai_prices.calc_price(
                _usage(counts), model, provider_id=provider_id,
                genai_request_timestamp=_timestamp(day),
            )  # fmt: skip
    except LookupError:
        return None
    except Exception:  # a pricing table bug must not break conversion
        _logger.debug("genai-prices failed for model %s", model, exc_info=True)
        return None
    return Decimal(result.input_price), Decimal(result.output_price), Decimal(result.total_price)
