"""Liquid staking tokens in the replay world: an on-chain rate that accrues per epoch, and a
market ratio that trades below it when the underlying crashes (a model, see docs/replay-world.md).

Per LST (underlying per LST, e.g. SOL per jitoSOL):

- **On-chain rate** (the stake pool's ``total_lamports / pool_token_supply``). It accrues at
  ``apr_pct`` a year, compounded, but only moves at epoch boundaries (the pool is updated once
  per epoch): ``rate(t) = start_rate * (1 + apr) ** (k * epoch_s / YEAR)`` with
  ``k = floor((t - origin) / epoch_s)`` epochs since the path's start.
- **De-peg stress** (the discount of the market ratio to the rate). Tied to the recorded
  underlying path: with ``dd`` the drawdown of the underlying from its highest high of the
  trailing ``depeg_window_s`` (24 h), ``discount = min(depeg_max_discount, depeg_per_drawdown *
  max(0, dd - depeg_free_drawdown)) * depeg_scale``. With the defaults SOL's fall of 2022-11-09
  (about 47 % under its 24 h high at 21:00 UTC) gives about 6 %, as stSOL traded about 6.2 %
  below fair value on Orca then (domain-facts §5); an ordinary day (drawdown under 10 %) gives
  none.
- **Market ratio** (the reference the LST/SOL pools' arbitrageurs trade toward):
  ``rate(t) * (1 - discount(t))``; the pools add flow noise and lag on top of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from phantom.market.replay.path import FloatArray, PricePath

YEAR_S = 365.0 * 86_400.0


@dataclass(frozen=True, slots=True)
class LstSpec:
    """One LST: its symbol, underlying, rate at the path's start, staking APR and how strongly
    it de-pegs (multiplies the world's de-peg model)."""

    symbol: str
    start_rate: float
    apr_pct: float
    underlying: str = "SOL"
    depeg_scale: float = 1.0

    def __post_init__(self) -> None:
        where = f"LstSpec {self.symbol!r}"
        if not self.symbol or self.symbol == self.underlying:
            raise ValueError(f"{where}: symbol must be non-empty and differ from the underlying")
        if not (math.isfinite(self.start_rate) and self.start_rate > 0):
            raise ValueError(f"{where}: start_rate must be > 0, got {self.start_rate}")
        if not 0 <= self.apr_pct <= 100:
            raise ValueError(f"{where}: apr_pct must be in [0, 100], got {self.apr_pct}")
        if not 0 <= self.depeg_scale <= 10:
            raise ValueError(f"{where}: depeg_scale must be in [0, 10], got {self.depeg_scale}")


# Start rates are modelled, round values of the right size for November 2022 (not recorded);
# APRs are typical Solana staking yields net of the pool's fee (domain-facts §5: 6-8 % a year).
DEFAULT_LSTS: tuple[LstSpec, ...] = (
    LstSpec("jitoSOL", start_rate=1.07, apr_pct=6.8),
    LstSpec("mSOL", start_rate=1.12, apr_pct=6.5, depeg_scale=0.9),
)


@dataclass(frozen=True, slots=True)
class DepegModel:
    """The de-peg stress parameters (see the module docstring)."""

    window_s: float = 86_400.0
    free_drawdown: float = 0.10
    per_drawdown: float = 0.16
    max_discount: float = 0.08

    def __post_init__(self) -> None:
        if not (math.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"DepegModel.window_s must be > 0, got {self.window_s}")
        if not 0 <= self.free_drawdown < 1:
            raise ValueError(
                f"DepegModel.free_drawdown must be in [0, 1), got {self.free_drawdown}"
            )
        if not 0 <= self.per_drawdown <= 10:
            raise ValueError(f"DepegModel.per_drawdown must be in [0, 10], got {self.per_drawdown}")
        if not 0 <= self.max_discount < 1:
            raise ValueError(f"DepegModel.max_discount must be in [0, 1), got {self.max_discount}")


class StakingModel:
    """Rates, discounts and market ratios of ``specs`` over ``path`` (pure, no randomness)."""

    def __init__(
        self,
        specs: Sequence[LstSpec],
        path: PricePath,
        epoch_s: float,
        depeg: DepegModel,
        apr_pct: float | None = None,
        depeg_scale: float = 1.0,
    ) -> None:
        if not (math.isfinite(epoch_s) and epoch_s > 0):
            raise ValueError(f"epoch_s must be > 0, got {epoch_s}")
        self.specs = {s.symbol: s for s in specs}
        self.path = path
        self.epoch_s = float(epoch_s)
        self.origin = path.start
        self.depeg = depeg
        self.depeg_scale = depeg_scale
        self._growth = {
            s.symbol: math.log1p((s.apr_pct if apr_pct is None else apr_pct) / 100.0) for s in specs
        }
        self._peaks: dict[str, FloatArray] = {}
        bars = max(1, round(depeg.window_s / path.bar_seconds))
        for underlying in {s.underlying for s in specs}:
            if underlying in path.symbols:
                self._peaks[underlying] = _trailing_max(path.bars[underlying].high, bars)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self.specs)

    def priced(self, symbol: str) -> bool:
        """True when the path has the LST's underlying (else the LST has no price)."""
        return self.specs[symbol].underlying in self._peaks

    def epoch(self, ts: float) -> int:
        """Epochs elapsed since the path's start at ``ts``."""
        return math.floor((ts - self.origin) / self.epoch_s)

    def epoch_start(self, epoch: int) -> float:
        return self.origin + epoch * self.epoch_s

    def rate(self, symbol: str, ts: float) -> float:
        """The on-chain rate (underlying per LST) in force at ``ts``."""
        spec = self.specs[symbol]
        years = self.epoch(ts) * self.epoch_s / YEAR_S
        return spec.start_rate * math.exp(self._growth[symbol] * years)

    def discount(self, symbol: str, ts: float, underlying_price: float) -> float:
        """The de-peg discount at ``ts`` given the underlying's price then (a fraction)."""
        spec = self.specs[symbol]
        scale = spec.depeg_scale * self.depeg_scale
        if scale <= 0:
            return 0.0
        peaks = self._peaks[spec.underlying]
        peak = max(float(peaks[self.path.bar_index(ts)]), underlying_price)
        drawdown = 1.0 - underlying_price / peak
        raw = self.depeg.per_drawdown * max(0.0, drawdown - self.depeg.free_drawdown)
        return min(self.depeg.max_discount, raw) * scale

    def ratio(self, symbol: str, ts: float, underlying_price: float) -> float:
        """The market ratio the LST's pools trade toward: rate times (1 - discount)."""
        discount = min(self.discount(symbol, ts, underlying_price), 0.99)
        return self.rate(symbol, ts) * (1.0 - discount)


def _trailing_max(high: FloatArray, bars: int) -> FloatArray:
    """Per bar ``i``: the highest high of bars ``i - bars .. i - 1`` (the bar's own open-time
    view of the window; bar 0 sees its own high)."""
    n = high.shape[0]
    out = np.empty(n, dtype=np.float64)
    out[0] = high[0]
    if n == 1:
        return out
    prior = np.concatenate((np.full(bars - 1, high[0]), high[:-1]))
    out[1:] = sliding_window_view(prior, bars).max(axis=1)[: n - 1]
    return out
