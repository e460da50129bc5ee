"""Fixtures of the funding engine tests (real slices from ``tests/fixtures/funding``)."""

from __future__ import annotations

import pytest
from funding_support import BTC_MKT, FIX, SOL_MKT, prints_of

from phantom.backtest.funding.data import Series, load_series
from phantom.engines.funding import FundingRatePrint


@pytest.fixture(scope="session")
def sol_prints() -> list[FundingRatePrint]:
    return prints_of(
        load_series(FIX / "sol_2024_03" / "SOL_USDT_USDT-1h-funding_rate.feather", prices=False),
        SOL_MKT,
    )


@pytest.fixture(scope="session")
def btc_prints() -> list[FundingRatePrint]:
    return prints_of(
        load_series(FIX / "btc_2022_11" / "BTC_USDT_USDT-1h-funding_rate.feather", prices=False),
        BTC_MKT,
    )


@pytest.fixture(scope="session")
def sol_marks() -> Series:
    return load_series(FIX / "sol_2024_03" / "SOL_USDT_USDT-1h-mark.feather")
