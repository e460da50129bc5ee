"""Running the LST engine through the backtest core on the real fixture slice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from phantom.backtest.api import run_backtest
from phantom.backtest.data import Candles, load_candles
from phantom.backtest.ratio import ratio_candles
from phantom.backtest.registry import BuildInfo
from phantom.backtest.spec import BacktestResult, BacktestSpec, Mode, default_realism
from phantom.engines.base import BarEngine
from phantom.engines.lst import LstEngine
from phantom.engines.lst.entry import lst_params

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lst"
WBETH = FIXTURES / "WBETH_USDT-5m.feather"
ETH = FIXTURES / "ETH_USDT-5m.feather"
# the fixture holds 7 days: a 3-day trend window, fair values from day 3 on
FAST = {"trend_window_days": "3", "min_history_days": "2"}


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def ratio() -> Candles:
    return ratio_candles(load_candles(WBETH), load_candles(ETH))


def with_future(candles: Candles, cutoff: float, factor: np.ndarray) -> Candles:
    """``candles`` with every bar opening at or after ``cutoff`` multiplied by ``factor``."""
    k = int(np.searchsorted(candles.ts, cutoff))
    f = np.ones(len(candles))
    f[k:] = factor[: len(candles) - k]
    return replace(
        candles,
        open=candles.open * f,
        high=candles.high * f,
        low=candles.low * f,
        close=candles.close * f,
    )


@dataclass
class Run:
    result: BacktestResult
    engines: list[LstEngine]


def run(
    params: Mapping[str, str] | None = None,
    candles: Candles | None = None,
    modes: tuple[Mode, ...] = (Mode.NAIVE,),
    initial: Decimal = Decimal(10),
    batch_size: int = 65_536,
    seed: int = 5,
) -> Run:
    engines: list[LstEngine] = []

    def build(p: Mapping[str, str], info: BuildInfo) -> BarEngine:
        engine = LstEngine(lst_params(p, info), id_prefix=info.id_prefix)
        engines.append(engine)
        return engine

    spec = BacktestSpec(
        engine="lst",
        data={"lst": candles if candles is not None else ratio()},
        params={**FAST, **(params or {})},
        modes=modes,
        seed=seed,
        initial_usd=initial,
        gas_buffer_usd=Decimal("0.01"),
        native_usd=Decimal("0.08"),
        realism=replace(default_realism(), slippage_base_pct=0.05),
        batch_size=batch_size,
    )
    result = run_backtest(spec, build=build)
    return Run(result, engines)
