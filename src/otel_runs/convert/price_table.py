"""Custom prices: per-token prices for models `genai-prices` does not know (pure: no I/O).

A table is a list of models, each with prices in US dollars per million tokens, the unit
`genai-prices` and LangSmith's price map use:

    {"models": [{"model": "acme-large", "provider": "acme", "input_mtok": 2, "output_mtok": 8,
                 "cache_read_mtok": 0.2, "cache_write_mtok": 2.5}]}

`model` matches the run's model (`ls_model_name`) exactly, case aside; `provider`, when given,
the run's `ls_provider` (LangChain's provider names: `openai`, `anthropic`, ...), and an entry
with a provider wins over one without. Counts are LangSmith's inclusive ones: cache reads and
writes and input audio are parts of `input_tokens`, output audio of `output_tokens` (reasoning is
output, priced as output). A part without its own price is priced as plain input or output.
Reading the file and the `OTEL_RUNS_PRICES` variable is `otel_runs.prices`' job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from otel_runs.errors import ConfigError

_MILLION: Final = Decimal(1_000_000)
PRICE_KEYS: Final = (
    "input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "input_audio_mtok",
    "output_audio_mtok",
)  # fmt: skip
"""Price fields of a model entry (US dollars per million tokens); the first two are required."""
_ENTRY_KEYS: Final = frozenset({"model", "provider", *PRICE_KEYS})


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One model's prices, per million tokens; None: priced as plain input or output."""

    model: str
    provider: str | None
    input_mtok: Decimal
    output_mtok: Decimal
    cache_read_mtok: Decimal | None = None
    cache_write_mtok: Decimal | None = None
    input_audio_mtok: Decimal | None = None
    output_audio_mtok: Decimal | None = None

    def price(self, usage: Mapping[str, Any]) -> dict[str, Decimal]:
        """input_cost, output_cost and total_cost of a usage_metadata object."""
        inp = _count(usage.get("input_tokens"))
        out = _count(usage.get("output_tokens"))
        in_details = usage.get("input_token_details") or {}
        out_details = usage.get("output_token_details") or {}
        parts_in = (
            (_count(in_details.get("cache_read")), self.cache_read_mtok),
            (_count(in_details.get("cache_creation")), self.cache_write_mtok),
            (_count(in_details.get("audio")), self.input_audio_mtok),
        )
        parts_out = ((_count(out_details.get("audio")), self.output_audio_mtok),)
        input_cost = _priced(inp, self.input_mtok, parts_in)
        output_cost = _priced(out, self.output_mtok, parts_out)
        return {
            "input_cost": input_cost,
            "output_cost": output_cost,
            "total_cost": input_cost + output_cost,
        }


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _priced(total: int, base: Decimal, parts: tuple[tuple[int, Decimal | None], ...]) -> Decimal:
    """`total` tokens: each part at its own price (or the base), the rest at the base."""
    cost = Decimal(0)
    rest = total
    for count, price in parts:
        if count and price is not None:
            cost += count * price
            rest -= count
    return (cost + max(rest, 0) * base) / _MILLION


class PriceTable:
    """Model prices by model name (and provider)."""

    __slots__ = ("_by_model", "entries")

    def __init__(self, entries: tuple[ModelPrice, ...]) -> None:
        self.entries = entries
        self._by_model: dict[str, list[ModelPrice]] = {}
        for entry in entries:
            found = self._by_model.setdefault(entry.model.lower(), [])
            found.append(entry)
            found.sort(key=lambda e: e.provider is None)  # provider-specific entries first

    def find(self, model: str, provider: str | None) -> ModelPrice | None:
        """The entry for the model and provider; one without a provider matches any."""
        for entry in self._by_model.get(model.lower(), ()):
            if entry.provider is None or (provider and entry.provider == provider.lower()):
                return entry
        return None

    def __len__(self) -> int:
        return len(self.entries)


def _price(where: str, key: str, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ConfigError(f"{where}: {key} must be a number, got {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ConfigError(f"{where}: {key} must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ConfigError(f"{where}: {key} must be a price >= 0, got {raw!r}")
    return value


def parse_price_table(data: object, source: str = "prices") -> PriceTable:
    """A table from decoded JSON or TOML (`{"models": [...]}`); ConfigError names what is wrong."""
    if not isinstance(data, Mapping) or set(data) != {"models"}:
        raise ConfigError(f'{source}: expected an object with one key, "models" (a list)')
    models = data["models"]
    if not isinstance(models, list):
        raise ConfigError(f'{source}: "models" must be a list')
    entries = []
    for index, item in enumerate(models):
        where = f"{source}: models[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where} must be an object")
        unknown = sorted(set(item) - _ENTRY_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}; known: {sorted(_ENTRY_KEYS)}")
        model = item.get("model")
        if not isinstance(model, str) or not model.strip():
            raise ConfigError(f"{where}: model must be a non-empty string")
        provider = item.get("provider")
        if provider is not None and (not isinstance(provider, str) or not provider.strip()):
            raise ConfigError(f"{where}: provider must be a non-empty string when given")
        for required in ("input_mtok", "output_mtok"):
            if required not in item:
                raise ConfigError(f"{where}: {required} is required")
        prices = {k: _price(where, k, item[k]) for k in PRICE_KEYS if k in item}
        entries.append(
            ModelPrice(
                model=model.strip(),
                provider=provider.strip().lower() if provider else None,
                **prices,
            )
        )
    return PriceTable(tuple(entries))
