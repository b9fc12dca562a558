"""Tariffs price a usage exactly as genai-prices does, digit for digit, or hand it over."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_runs.convert.tariffs import Counts, exact, tariff

MODELS = [
    ("gpt-4o-mini", "openai"),
    ("o3-mini", "openai"),
    ("gpt-4.1", "azure"),
    ("claude-3-5-sonnet", "anthropic"),
    ("claude-sonnet-4", "anthropic"),
    ("gemini-2.5-flash", "google"),  # prices cached audio: some field sets are refused
    ("gemini-2.5-pro", "google"),  # tiered: no tariff, genai-prices prices every call
    ("deepseek-chat", "deepseek"),
]
count = st.sampled_from([0, 0, 1, 2, 3, 50, 999, 12_345])
usages = st.tuples(count, count, count, count, count, count)


@pytest.mark.parametrize(("model", "provider"), MODELS)
@settings(max_examples=150, deadline=None)
@given(counts=usages, day=st.sampled_from(["2025-03-01", "2026-01-15"]))
def test_a_tariff_prices_as_genai_prices_does(
    model: str, provider: str, counts: Counts, day: str
) -> None:
    found = tariff(model, provider, day)
    priced = found.price(counts) if found is not None else None
    expected = exact(model, provider, day, counts)
    if found is None:
        return  # no tariff: the caller asks genai-prices (costs.py)
    assert (priced is None) == (expected is None)
    if priced is not None and expected is not None:
        assert [str(x) for x in priced] == [str(x) for x in expected]  # exponents too


def test_tiered_prices_and_unknown_models_have_no_tariff() -> None:
    assert tariff("gemini-2.5-pro", "google", "2026-01-15") is None
    assert tariff("no-such-model-anywhere", "openai", "2026-01-15") is None
