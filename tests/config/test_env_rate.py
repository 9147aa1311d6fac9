"""Rates in the environment (``COUNT/PERIOD``, such as PROCTORING_PHOTO_RATE=10/10m) are parsed strictly."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_rate, parse_rate
from tests.config.startup import refused


@pytest.mark.parametrize(
    ("value", "rate"),
    [("10/10m", (10, 600)), ("5/m", (5, 60)), (" 3 / 30 s ", (3, 30)), ("100/1h", (100, 3600)), ("1/1d", (1, 86400))],
)
def test_a_rate_is_a_count_per_seconds(value: str, rate: tuple[int, int]) -> None:
    assert parse_rate(value) == rate


@pytest.mark.parametrize(
    "value",
    ["10", "10/10", "10/", "/10m", "0/10m", "10/0m", "-1/10m", "10/1w", "10/1m5", "ten/1m", "１０/1m", "10/10mm"],
)
def test_anything_else_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="PROCTORING_PHOTO_RATE"):
        parse_rate(value, name="PROCTORING_PHOTO_RATE")


def test_env_rate_reads_the_variable_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETRAIN_TEST_RATE", raising=False)
    assert env_rate("SAFETRAIN_TEST_RATE", "10/10m") == (10, 600)
    monkeypatch.setenv("SAFETRAIN_TEST_RATE", "4/30s")
    assert env_rate("SAFETRAIN_TEST_RATE", "10/10m") == (4, 30)


def test_a_malformed_photo_rate_stops_start_up() -> None:
    assert "PROCTORING_PHOTO_RATE" in refused(PROCTORING_PHOTO_RATE="10 per minute")
