"""Running the scalp engine through the backtest core on the real fixture slice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from phantom.backtest.api import run_backtest
from phantom.backtest.data import Candles, load_candles
from phantom.backtest.registry import BuildInfo
from phantom.backtest.spec import BacktestResult, BacktestSpec, Mode
from phantom.engines.base import BarEngine
from phantom.engines.scalp import PodParams, ScalpEngine, ScalpParams

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scalp"
SOL_5M = FIXTURES / "SOL_USDT-5m.feather"


@dataclass
class Run:
    result: BacktestResult
    engines: list[ScalpEngine]
    candles: Candles


def pod(name: str, **kw: object) -> PodParams:
    base: dict[str, object] = {
        "share_pct": Decimal(50),
        "lookback_bars": 3,
        "entry_return_pct": 1.0,
        "take_profit_pct": 2.0,
        "stop_loss_pct": 1.5,
        "max_hold_s": 1800.0,
    }
    base.update(kw)
    return PodParams(name=name, **base)  # type: ignore[arg-type]


def run(
    pods: tuple[PodParams, ...],
    modes: tuple[Mode, ...] = (Mode.NAIVE,),
    batch_size: int = 65_536,
    seed: int = 3,
    extra: Mapping[str, object] | None = None,
) -> Run:
    engines: list[ScalpEngine] = []

    def build(params: Mapping[str, str], info: BuildInfo) -> BarEngine:
        p = ScalpParams(
            base=info.base, quote=info.quote, pods=pods, liquidity_usd=info.liquidity_usd
        )
        engine = ScalpEngine(p, id_prefix=info.id_prefix)
        engines.append(engine)
        return engine

    spec = BacktestSpec(
        engine="scalp",
        data={"price": SOL_5M},
        modes=modes,
        seed=seed,
        batch_size=batch_size,
        max_concurrent=10,
        **(extra or {}),  # type: ignore[arg-type]
    )
    result = run_backtest(spec, build=build)
    return Run(result, engines, load_candles(SOL_5M))


def bar_at_close(candles: Candles, t: float) -> int:
    """The bar whose close time is ``t``."""
    i = int(np.searchsorted(candles.close_ts, t))
    assert candles.close_ts[i] == t
    return i
