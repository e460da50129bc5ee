"""Recorded perpetual funding prints embedded with the replay sample (see data/PROVENANCE.md).

Real Binance USDT-margined perpetual funding rates, one print per 8-hour settlement, for ETH and
BTC from 2022-10-25 to 2022-12-01 (the candles' month plus a week of history before it). A rate
is a fraction per interval, positive when longs pay shorts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from phantom.market.replay.path import FloatArray, IntArray, PathError

FUNDING_FILE = Path(__file__).parent / "data" / "funding_8h_eth_btc_2022-11.npz"
FUNDING_INTERVAL_S = 8 * 3600.0


@dataclass(frozen=True, slots=True, eq=False)
class FundingPrints:
    """One market's funding prints: settlement times (epoch s) and rates, in time order."""

    symbol: str
    ts: IntArray
    rate: FloatArray
    interval_s: float = FUNDING_INTERVAL_S

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def between(self, start: float, end: float) -> list[tuple[float, float]]:
        """``(ts, rate)`` of every print with ``start <= ts <= end``."""
        lo = int(np.searchsorted(self.ts, start, side="left"))
        hi = int(np.searchsorted(self.ts, end, side="right"))
        return [(float(self.ts[i]), float(self.rate[i])) for i in range(lo, hi)]


def load_funding(path: Path | None = None) -> dict[str, FundingPrints]:
    """The embedded prints (``None``) or another file written by ``make_sample``."""
    source = FUNDING_FILE if path is None else Path(path)
    if not source.is_file():
        raise PathError(f"{source}: funding sample not found")
    out: dict[str, FundingPrints] = {}
    with np.load(source, allow_pickle=False) as data:
        for key in ("ts", "symbols"):
            if key not in data.files:
                raise PathError(f"{source}: missing array {key!r}")
        ts = np.asarray(data["ts"], dtype=np.int64)
        if ts.shape[0] > 1 and np.any(np.diff(ts) <= 0):
            raise PathError(f"{source}: settlement times must be strictly increasing")
        for symbol in (str(s) for s in data["symbols"]):
            key = f"{symbol}_rate"
            if key not in data.files:
                raise PathError(f"{source}: missing array {key!r}")
            rate = np.asarray(data[key], dtype=np.float64)
            if rate.shape != ts.shape or not np.all(np.isfinite(rate)):
                raise PathError(f"{source}: {key} must be {ts.shape[0]} finite rates")
            out[symbol] = FundingPrints(symbol, ts, rate)
    return out
