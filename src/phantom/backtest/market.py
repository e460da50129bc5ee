"""The market an order meets in a candle backtest: a price at any instant, and a volatility flag.

A candle file has no pool reserves, so :meth:`BarMarket.pool` knows no pool and the paper realism
model prices every order with its dynamic slippage model (the liquidity comes from the intent's
``liquidity_usd=<n>`` tag). The price at an instant inside a bar is interpolated linearly from
the bar's open (at its open time) to its close (at its close time); an order that arrives a few
hundred milliseconds after a bar closed therefore fills at (almost exactly) the next bar's open.
Past the last bar, or inside a gap, the last close holds.

Volatility: the root mean square of the last ``window`` bar-to-bar returns, scaled to one hour
(``* sqrt(3600 / timeframe)``), in percent. The market is volatile when it exceeds
``threshold_pct``; an order sees the value of the last bar that closed before it arrived.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from phantom.backtest.data import Candles
from phantom.core.pool import Pool
from phantom.core.token import Token

FloatArray = npt.NDArray[np.float64]


def hourly_volatility_pct(close: FloatArray, timeframe_s: float, window: int) -> FloatArray:
    """Per bar: RMS of the last ``window`` returns (fewer at the start), scaled to 1 h, in %."""
    n = close.shape[0]
    out = np.zeros(n, dtype=np.float64)
    if n < 2 or timeframe_s <= 0:
        return out
    # in place where it can be: a million bars would otherwise allocate (and fault in) a fresh
    # 8 MB array per operation; the operations and their order are those of
    # sqrt(max(0, sum of the window's r * r) / count * 3600 / timeframe_s) * 100
    r = np.diff(close)
    r /= close[:-1]
    r *= r
    cs = np.zeros(n, dtype=np.float64)
    np.cumsum(r, out=cs[1:])  # cs[i]: sum of the squared returns up to bar i
    del r
    total = cs.copy()
    total[window:] -= cs[:-window]
    del cs
    np.maximum(total, 0.0, out=total)
    head = min(window, n)  # count = i for bars before a full window (bar 0: 1), then window
    total[1:head] /= np.arange(1, head, dtype=np.float64)
    total[head:] /= float(window)
    total *= 3600.0 / timeframe_s
    np.sqrt(total, out=total)
    total *= 100.0
    return total


class BarMarket:
    """A :class:`~phantom.market.state.MarketView` over candles, positioned at an instant."""

    def __init__(
        self,
        candles: Candles,
        base: Token,
        quote: Token,
        native: Token,
        native_usd: float,
        volatility_window: int,
        volatility_threshold_pct: float,
        volatile_bars: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        self._c = candles
        self._base = base.symbol
        self._native = native.symbol
        self._native_is_base = native.symbol == base.symbol
        self._prices: dict[str, float] = {quote.symbol: 1.0, native.symbol: native_usd}
        if volatile_bars is None:
            volatile_bars = (
                hourly_volatility_pct(candles.close, candles.timeframe_s, volatility_window)
                > volatility_threshold_pct
            )
        self.volatile_bars = volatile_bars
        self._volatile_now = False
        self._ts = candles.ts
        self._open = candles.open
        self._close = candles.close
        self._vol = self.volatile_bars
        self._tf = candles.timeframe_s
        self._cursor = -1
        self._n = len(candles)
        self.now = float(self._ts[0]) if len(candles) else 0.0
        self.at(self.now)

    def bar_at(self, t: float, hint: int = -1) -> int:
        """The index of the bar open at ``t`` (the last bar that opened at or before it);
        ``hint``, if given, is a bar at or before it (where the caller's clock is)."""
        ts, n = self._ts, self._n
        j = max(self._cursor, hint)
        # time moves forward: usually the same bar as last time, or the next one
        if 0 <= j < n and ts[j] <= t and (j + 1 == n or t < ts[j + 1]):
            self._cursor = j
            return j
        if 0 <= j + 1 < n and ts[j + 1] <= t and (j + 2 == n or t < ts[j + 2]):
            self._cursor = j + 1
            return j + 1
        self._cursor = int(np.searchsorted(ts, t, side="right")) - 1
        return self._cursor

    def price_at(self, t: float, hint: int = -1) -> float:
        j = self.bar_at(t, hint)
        if j < 0:
            return float(self._open[0])
        tf = self._tf
        frac = 1.0 if tf <= 0 else min(1.0, max(0.0, (t - float(self._ts[j])) / tf))
        o = float(self._open[j])
        return o + (float(self._close[j]) - o) * frac

    def at(self, t: float, hint: int = -1) -> None:
        """Move to instant ``t``: the base price and the volatility flag as of then. ``hint``:
        a bar that opened at or before ``t`` (speeds up the lookup)."""
        self.now = t
        price = self.price_at(t, hint)
        self._prices[self._base] = price
        if self._native_is_base:
            self._prices[self._native] = price
        j = self._cursor - 1  # the last bar that closed before t (t is inside bar j + 1)
        # (price_at just set the cursor to the bar open at t)
        self._volatile_now = bool(self._vol[j]) if j >= 0 else False

    # --- MarketView ---
    def pool(self, pool_id: str) -> Pool:
        raise KeyError(pool_id)

    def find_pool(self, pool_id: str) -> Pool | None:
        """``pool`` without the ``KeyError``: always ``None`` (see ``realism.known_pool``)."""
        return None

    def pools(self) -> Iterator[Pool]:
        return iter(())

    def price_usd(self, token: Token) -> float:
        return self._prices[token.symbol]

    def is_volatile(self) -> bool:
        return self._volatile_now
