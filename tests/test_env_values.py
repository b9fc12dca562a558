"""Settings read as argument > environment > default: counts are whole numbers."""

from __future__ import annotations

import argparse
import logging
import re

import pytest

from otel_runs.cli.serve import positive_int
from otel_runs.env_values import number, whole_number
from otel_runs.errors import ConfigError

ENV = "OTEL_RUNS_TEST_COUNT"


def test_a_count_from_the_environment_must_be_whole(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENV, "1e4")
    assert whole_number("count", None, ENV, 7) == 10_000
    monkeypatch.setenv(ENV, "2.5")
    with caplog.at_level(logging.WARNING, logger="otel_runs.env_values"):
        assert whole_number("count", None, ENV, 7) == 7  # the default, not 2
    assert f"{ENV}='2.5' is not a whole number >= 1; using 7" in caplog.text
    # a number that may have a fraction keeps it
    assert number("seconds", None, ENV, 1.0) == 2.5


def test_a_count_given_as_an_argument_must_be_whole() -> None:
    assert whole_number("count", 3, ENV, 7) == 3
    with pytest.raises(ConfigError, match=r"count must be a whole number >= 1, got 2\.5"):
        whole_number("count", 2.5, ENV, 7)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="count must be a whole number >= 1, got 0"):
        whole_number("count", 0, ENV, 7)


@pytest.mark.parametrize(("text", "value"), [("3", 3), ("1e3", 1000), (" 12 ", 12)])
def test_a_whole_number_option_takes_whole_numbers(text: str, value: int) -> None:
    assert positive_int(text) == value


@pytest.mark.parametrize("text", ["2.5", "0", "-1", "many", "inf", "nan", ""])
def test_a_whole_number_option_refuses_the_rest(text: str) -> None:
    with pytest.raises(
        argparse.ArgumentTypeError, match=re.escape(f"not a whole number > 0: {text!r}")
    ):
        positive_int(text)
