"""Driver helpers of the funding backtest: the spot market view, basis and volatility series
(the paper model's defaults for the spot legs are ``phantom.backtest.spec.default_realism``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from phantom.backtest.funding.data import FloatArray, Series
from phantom.core.token import Token


class SpotView:
    """The market the paper model and the engine see: one spot price, no pools."""

    def __init__(self, base: Token, quote: Token, native: Token, native_usd: float) -> None:
        self.base, self.quote, self.native, self.native_usd = base, quote, native, native_usd
        self.price = 0.0
        self.volatile = False

    def pool(self, pool_id: str) -> Any:
        raise KeyError(f"unknown pool {pool_id}")

    def pools(self) -> Any:
        return iter(())

    def price_usd(self, token: Token) -> float:
        if token == self.base:
            return self.price
        if token == self.quote:
            return 1.0
        if token == self.native:
            return self.native_usd
        raise KeyError(f"no reference price for {token.symbol}")

    def is_volatile(self) -> bool:
        return self.volatile


def basis_at(
    steps: FloatArray, spot: Series, other: Series | None
) -> tuple[FloatArray, FloatArray]:
    """Per step: ``other``'s last closed bar over the spot close at that time (1 before any), and
    the index of that bar (-1 before any)."""
    n = steps.shape[0]
    if other is None or len(other) == 0:
        return np.ones(n), np.full(n, -1.0)
    other_close_t = other.close_ts
    j = np.searchsorted(other_close_t, steps, side="right") - 1
    k = np.searchsorted(spot.close_ts, other_close_t, side="right") - 1
    ratio = np.ones(len(other))
    ok = k >= 0
    ratio[ok] = other.close[ok] / spot.close[k[ok]]
    basis = np.where(j >= 0, ratio[np.maximum(j, 0)], 1.0)
    return basis, j.astype(np.float64)


def volatility_flags(close: FloatArray, timeframe_s: float, window: int, pct: float) -> Any:
    """Per bar: RMS of the last ``window`` returns scaled to one hour, above ``pct`` percent."""
    n = close.shape[0]
    if n < 2 or timeframe_s <= 0:
        return np.zeros(n, dtype=bool)
    r = np.diff(close) / close[:-1]
    cs = np.zeros(n)
    np.cumsum(r * r, out=cs[1:])
    total = cs.copy()
    total[window:] -= cs[:-window]
    count = np.maximum(np.minimum(np.arange(n, dtype=np.float64), float(window)), 1.0)
    vol = np.sqrt(np.maximum(total, 0.0) / count * (3600.0 / timeframe_s)) * 100.0
    return vol > pct
