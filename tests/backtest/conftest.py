"""Fixtures of the backtester tests: real candle slices (see tests/fixtures/candles)."""

from __future__ import annotations

from pathlib import Path

import pytest

CANDLES = Path(__file__).parent.parent / "fixtures" / "candles"


@pytest.fixture
def candles_dir() -> Path:
    return CANDLES


@pytest.fixture
def ftx_path() -> Path:
    return CANDLES / "SOL_USDT-1h-ftx.feather"


@pytest.fixture
def luna_path() -> Path:
    return CANDLES / "SOL_USDT-1h-luna.feather"


@pytest.fixture
def gap_path() -> Path:
    return CANDLES / "SOL_USDT-1h-gap.feather"
