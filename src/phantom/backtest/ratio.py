"""The market ratio of an LST to its underlying, as candles, from two candle files.

The registry's ``lst`` entry derives its traded candles with it when both ``lst=`` and
``underlying=`` are given.
"""

from __future__ import annotations

import numpy as np

from phantom.backtest.data import Candles, find_gaps


def ratio_candles(lst: Candles, underlying: Candles) -> Candles:
    """Candles of ``lst`` priced in ``underlying``, on the bars both files have. Open and close
    are the ratios of the opens and of the closes; high and low are their max and min (the
    ratio's path inside a bar is unknown); the volume is the LST's."""
    if lst.timeframe_s != underlying.timeframe_s:
        raise ValueError(
            f"lst= and underlying= timeframes differ: {lst.timeframe_s} s vs "
            f"{underlying.timeframe_s} s"
        )
    ts, il, iu = np.intersect1d(lst.ts, underlying.ts, return_indices=True)
    if ts.shape[0] == 0:
        raise ValueError("lst= and underlying= have no bar in common")
    o = lst.open[il] / underlying.open[iu]
    c = lst.close[il] / underlying.close[iu]
    symbol = f"{lst.symbol.split('/')[0]}/{underlying.symbol.split('/')[0]}"
    return Candles(
        path=f"{lst.path} / {underlying.path}",
        symbol=symbol,
        timeframe_s=lst.timeframe_s,
        ts=ts,
        open=o,
        high=np.maximum(o, c),
        low=np.minimum(o, c),
        close=c,
        volume=lst.volume[il],
        gaps=find_gaps(ts, lst.timeframe_s),
    )
