"""A reproducible random walk of candles, for benchmarks and tests (never for conclusions)."""

from __future__ import annotations

import numpy as np

from phantom.backtest.data import Candles

START_TS = 1_577_836_800.0  # 2020-01-01T00:00:00Z


def random_walk(
    n: int = 1_000_000,
    seed: int = 42,
    timeframe_s: float = 60.0,
    start_price: float = 100.0,
    sigma: float = 0.001,
    symbol: str = "SOL/USDT",
) -> Candles:
    """``n`` bars of a geometric random walk: ``close = start_price * exp(cumsum(N(0, sigma)))``
    drawn with ``numpy.random.default_rng(seed)``; each bar opens at the previous close, high
    and low are the larger and smaller of open and close, volume 1."""
    rng = np.random.default_rng(seed)
    close = start_price * np.exp(np.cumsum(rng.normal(0.0, sigma, n)))
    open_ = np.empty(n)
    open_[0] = start_price
    open_[1:] = close[:-1]
    return Candles(
        path=f"random_walk(n={n}, seed={seed})",
        symbol=symbol,
        timeframe_s=timeframe_s,
        ts=START_TS + np.arange(n, dtype=np.float64) * timeframe_s,
        open=open_,
        high=np.maximum(open_, close),
        low=np.minimum(open_, close),
        close=close,
        volume=np.ones(n),
    )
