"""The LST de-peg engine: buy a liquid staking token below fair value, sell on the re-peg.

The traded instrument is the LST priced in its underlying (jitoSOL/SOL; WBETH/ETH in the
candle backtest): the bar's close is the market ratio. Fair value is the stake pool's on-chain
rate when the mode supplies one (:class:`StakeRate`, decoded by ``venues/solana_accounts``),
otherwise the past-only accrual trend of :class:`~phantom.engines.lst.fair.TrendFairValue`.

Built for the batched bar API (``phantom.engines.base.BarEngine``): once per batch it computes
every bar's fair value and discount with numpy; while flat the size (and so the cost hurdle)
is fixed for the scanned range, so the next entry is the first bar whose discount beats it;
while holding, the next exit is the first bar back at the peg or past the maximum hold. One
order at a time; a failed or partial exit is re-sent at the next bar's close.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.core.costs import CostBreakdown
from phantom.core.fills import Fill
from phantom.core.orders import IntentKind, OrderIntent, SwapLeg
from phantom.core.token import Token
from phantom.engines.base import BarBatch, BarDecision, EngineContext
from phantom.engines.lst.fair import TrendFairValue
from phantom.engines.lst.params import LstParams

FloatArray = npt.NDArray[np.float64]
_ZERO = Decimal(0)
_NO_COSTS = CostBreakdown()
_BPS = Decimal(10_000)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class StakeRate:
    """The on-chain exchange rate of an LST (underlying per LST) as of ``ts``; ``stale`` when
    the pool was last updated in an earlier epoch than the current one."""

    ts: float
    symbol: str
    rate: float
    stale: bool = False


@dataclass(slots=True)
class LstStats:
    bars: int = 0
    bars_without_fair_value: int = 0
    entries: int = 0
    exits_repeg: int = 0
    exits_max_hold: int = 0
    exit_retries: int = 0
    depth_gated_bars: int = 0
    skipped_small: int = 0
    failed: int = 0
    rejected: int = 0


@dataclass(slots=True)
class LstTrade:
    """One position, entry to exit (``exit_ts`` is ``None`` while open)."""

    signal_ts: float  # close time of the bar that triggered the entry
    ratio: float  # market ratio then
    fair: float  # fair value then
    discount_bps: float
    hurdle_bps: float  # costs plus threshold the discount beat
    entry_ts: float = 0.0  # when the entry filled
    spent: int = 0  # underlying units
    bought: int = 0  # LST units
    received: int = 0  # underlying units, from the exit(s)
    network_usd: Decimal = _ZERO
    exit_ts: float | None = None
    exit_reason: str = ""

    def as_dict(self, lst: Token, underlying: Token) -> dict[str, Any]:
        hold = None if self.exit_ts is None else round(self.exit_ts - self.entry_ts, 1)
        return {
            "signal_time": iso(self.signal_ts),
            "entry_time": iso(self.entry_ts),
            "ratio": round(self.ratio, 6),
            "fair_value": round(self.fair, 6),
            "discount_bps": round(self.discount_bps, 2),
            "hurdle_bps": round(self.hurdle_bps, 2),
            "spent": str(underlying.to_decimal(self.spent)),
            "bought": str(lst.to_decimal(self.bought)),
            "received": str(underlying.to_decimal(self.received)),
            "pnl": str(underlying.to_decimal(self.received - self.spent)),
            "network_usd": str(self.network_usd),
            "exit_time": None if self.exit_ts is None else iso(self.exit_ts),
            "holding_s": hold,
            "exit_reason": self.exit_reason or None,
        }


class LstEngine:
    """Implements :class:`phantom.engines.base.BarEngine`."""

    data_roles: Mapping[str, str] = {
        "lst": "candles of the LST (date, open, high, low, close, volume)",
        "underlying": "candles of its underlying; market ratio = lst close / underlying close",
    }

    def __init__(self, params: LstParams, id_prefix: str | None = None) -> None:
        self.params = params
        self.name = params.name
        self.stats = LstStats()
        self.trades: list[LstTrade] = []
        self.holding = 0
        self.onchain: StakeRate | None = None
        self._prefix = id_prefix or params.name
        self._seq = 0
        self._model = TrendFairValue(params.trend_window_s, params.min_history_s, params.refit_s)
        self._bars: BarBatch | None = None
        self._close_ts: FloatArray = np.empty(0)
        self._fair: FloatArray = np.empty(0)
        self._trend: FloatArray = np.empty(0)
        self._disc: FloatArray = np.empty(0)
        self._pending: str | None = None
        self._pending_entry = False
        self._retry_exit = False
        pool = f"lst:{params.lst.symbol}/{params.underlying.symbol}"
        self._buy = (SwapLeg(pool, params.underlying, params.lst),)
        self._sell = (SwapLeg(pool, params.lst, params.underlying),)

    # --- fair value ---------------------------------------------------------------------------
    def _prepare(self, bars: BarBatch) -> None:
        close = np.asarray(bars.close, dtype=np.float64)
        self._close_ts = np.asarray(bars.ts, dtype=np.float64) + bars.timeframe_s
        self._trend = self._model.update(self._close_ts, close)
        self._bars = bars
        self._refresh_fair()
        self.stats.bars += len(bars)
        self.stats.bars_without_fair_value += int(np.isnan(self._fair).sum())

    def _refresh_fair(self) -> None:
        if self._bars is None:
            return
        close = np.asarray(self._bars.close, dtype=np.float64)
        if self.onchain is not None:
            self._fair = np.full(close.shape[0], self.onchain.rate, dtype=np.float64)
        else:
            self._fair = self._trend
        with np.errstate(invalid="ignore", divide="ignore"):
            self._disc = 1.0 - close / self._fair

    def on_stake_rate(self, rate: StakeRate) -> None:
        """The mode read the pool's on-chain rate: from now on it is the fair value."""
        if rate.symbol == self.params.lst.symbol and rate.rate > 0:
            self.onchain = rate
            self._refresh_fair()

    # --- costs --------------------------------------------------------------------------------
    def hurdle(self, size: Decimal) -> tuple[Decimal, CostBreakdown]:
        """The discount (fraction) an entry of ``size`` underlying tokens must beat, and its
        expected round-trip costs in underlying tokens (fee, slippage, network)."""
        p = self.params
        fee = Decimal(2 * p.fee_bps) / _BPS
        slip_one = (
            p.slippage_base_bps / _BPS + p.impact_multiplier * size / p.pool_depth
        ) * p.stress_multiplier
        network = 2 * p.network_cost / size
        hurdle = fee + 2 * slip_one + network + Decimal(p.threshold_bps) / _BPS
        costs = CostBreakdown(fee=fee * size, slippage=2 * slip_one * size, gas=2 * p.network_cost)
        return hurdle, costs

    # --- the bar API --------------------------------------------------------------------------
    def on_bars(self, bars: BarBatch, start: int, stop: int, ctx: EngineContext) -> BarDecision:
        if bars is not self._bars:
            self._prepare(bars)
        if self._pending is not None or start >= stop:
            return BarDecision(stop)
        if self.holding > 0:
            return self._scan_exit(bars, start, stop, ctx)
        return self._scan_entry(bars, start, stop, ctx)

    def _scan_entry(self, bars: BarBatch, start: int, stop: int, ctx: EngineContext) -> BarDecision:
        p = self.params
        cash = ctx.available.get(p.underlying, 0)
        size_units = cash * int(p.position_pct * 10_000) // 1_000_000
        if p.max_size is not None:
            size_units = min(size_units, p.underlying.to_units(p.max_size))
        size = p.underlying.to_decimal(size_units)
        if size_units <= 0 or size < p.min_size:
            return BarDecision(stop)
        hurdle, costs = self.hurdle(size)
        disc = self._disc[start:stop]
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(disc > float(hurdle))
        if hits.shape[0] == 0:
            return BarDecision(stop)
        if size > p.pool_depth * p.max_depth_pct / 100:
            self.stats.depth_gated_bars += int(hits.shape[0])  # too thin for the size
            return BarDecision(stop)
        i = start + int(hits[0])
        ratio = Decimal(repr(float(bars.close[i])))
        expected = p.lst.to_units(size / ratio)
        usd = Decimal(repr(ctx.market.price_usd(p.underlying)))
        discount = Decimal(repr(float(self._disc[i])))
        trade = LstTrade(
            signal_ts=float(self._close_ts[i]),
            ratio=float(bars.close[i]),
            fair=float(self._fair[i]),
            discount_bps=float(discount * _BPS),
            hurdle_bps=float(hurdle * _BPS),
        )
        self.trades.append(trade)
        self.stats.entries += 1
        reason = (
            f"lst: discount {trade.discount_bps:.1f} bps > hurdle {trade.hurdle_bps:.1f} bps "
            f"(ratio {ratio}, fair {trade.fair:.6f})"
        )
        profit = (discount - hurdle + Decimal(p.threshold_bps) / _BPS) * size * usd
        usd_costs = CostBreakdown(
            fee=costs.fee * usd, slippage=costs.slippage * usd, gas=costs.gas * usd
        )
        intent = self._intent(
            i, True, size_units, expected, usd, size * usd, reason, profit, usd_costs
        )
        return BarDecision(i, (intent,))

    def _scan_exit(self, bars: BarBatch, start: int, stop: int, ctx: EngineContext) -> BarDecision:
        p = self.params
        trade = self.trades[-1]
        if self._retry_exit:
            i, reason = start, trade.exit_reason
            self.stats.exit_retries += 1
        else:
            deadline = trade.entry_ts + p.max_hold_s
            late = int(np.searchsorted(self._close_ts, deadline, side="left"))
            with np.errstate(invalid="ignore"):
                back = np.flatnonzero(self._disc[start:stop] <= p.repeg_bps / 10_000)
            repeg = start + int(back[0]) if back.shape[0] else stop
            i = min(repeg, max(start, late))
            if i >= stop:
                return BarDecision(stop)
            reason = "repeg" if i == repeg else "max_hold"
            trade.exit_reason = reason
        amount = min(self.holding, ctx.available.get(p.lst, self.holding))
        if amount <= 0:
            return BarDecision(stop)
        ratio = Decimal(repr(float(bars.close[i])))
        value = p.lst.to_decimal(amount) * ratio
        usd = Decimal(repr(ctx.market.price_usd(p.underlying)))
        text = f"lst: {reason} exit at ratio {ratio}"
        expected = p.underlying.to_units(value)
        intent = self._intent(i, False, amount, expected, usd, value * usd, text, _ZERO, _NO_COSTS)
        return BarDecision(i, (intent,))

    def _intent(
        self,
        i: int,
        entry: bool,
        amount_in: int,
        expected: int,
        usd: Decimal,
        notional_usd: Decimal,
        reason: str,
        profit: Decimal,
        costs: CostBreakdown,
    ) -> OrderIntent:
        p = self.params
        self._seq += 1
        intent_id = f"{self._prefix}-{self._seq:07d}"
        self._pending, self._pending_entry = intent_id, entry
        depth_usd = (p.pool_depth * usd).quantize(Decimal(1))
        return OrderIntent(
            intent_id=intent_id,
            engine=self.name,
            kind=IntentKind.SWAP,
            created_at=float(self._close_ts[i]),
            legs=self._buy if entry else self._sell,
            amount_in=amount_in,
            min_amount_out=expected - expected * p.slippage_bps // 10_000,
            expected_amount_out=expected,
            expected_profit_usd=profit,
            expected_costs=costs,
            notional_usd=notional_usd,
            slippage_bps=p.slippage_bps,
            route=p.route,
            reason=reason,
            tags=(f"liquidity_usd={depth_usd}",),
        )

    # --- outcomes -----------------------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        if fill.intent_id != self._pending:
            return
        self._pending = None
        trade = self.trades[-1]
        trade.network_usd += fill.costs.network
        if not fill.succeeded:
            self.stats.failed += 1
            if self._pending_entry:
                self.trades.pop()  # nothing bought: the signal is scanned again
            else:
                self._retry_exit = True
            return
        if self._pending_entry:
            trade.entry_ts = fill.arrived_at
            trade.spent += fill.amount_in
            trade.bought += fill.amount_out
            self.holding += fill.amount_out
            return
        trade.received += fill.amount_out
        self.holding = max(0, self.holding - fill.amount_in)
        if self.holding > 0:
            self._retry_exit = True  # partial: sell the rest at the next bar
            return
        self._retry_exit = False
        trade.exit_ts = fill.arrived_at
        if trade.exit_reason == "repeg":
            self.stats.exits_repeg += 1
        else:
            self.stats.exits_max_hold += 1

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        if intent.intent_id != self._pending:
            return
        self._pending = None
        self.stats.rejected += 1
        if self._pending_entry:
            self.trades.pop()
        else:
            self._retry_exit = True

    def on_event(self, event: object, ctx: EngineContext) -> list[OrderIntent]:
        """Events: :class:`StakeRate` sets the on-chain fair value; bars come through
        :meth:`on_bars` (a live mode hands the ratio as one-bar batches)."""
        if isinstance(event, StakeRate):
            self.on_stake_rate(event)
        return []

    # --- reporting ----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        p = self.params
        return {
            "fair_value": "onchain" if self.onchain is not None else "trend",
            "entries": [t.as_dict(p.lst, p.underlying) for t in self.trades],
        }
