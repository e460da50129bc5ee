"""The multi-pod scalp engine: momentum entries, take-profit / stop-loss / time-stop exits.

Long-only spot. Each pod (see :class:`~phantom.engines.scalp.params.PodParams`) owns a share of
the capital, taken from the quote balance the first time the engine sees the market, and keeps
its own book (:mod:`phantom.engines.scalp.pods`): it holds at most one position and sends at
most one order at a time. Several pods may act at the same bar close; each sends its own order.

Built for the batched bar API (``phantom.engines.base.BarEngine``): once per batch it computes
every pod's entry signal with numpy (carrying the last bars across batches, so the batch size
never changes a decision); ``on_bars`` then finds, per pod, the next bar where it must act (a
signal while flat, an exit condition while holding) with a bisect or a chunked numpy scan.

Every decision uses a bar's close, known at its close time: the order is sent then and the
execution model fills it later (paper: after its latency, at the market then). Stop, target and
time stop are checked on closes, against the effective price of the entry fill: a stop on a spot
DEX is a market order sent once the price is seen past it, never a resting order.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.core.costs import CostBreakdown
from phantom.core.events import MarketEvent, PriceTick
from phantom.core.fills import Fill
from phantom.core.orders import IntentKind, OrderIntent, SwapLeg
from phantom.engines.base import BarBatch, BarDecision, EngineContext
from phantom.engines.scalp.params import ScalpParams
from phantom.engines.scalp.pods import PodState
from phantom.engines.scalp.signals import pod_signal

FloatArray = npt.NDArray[np.float64]
_NO_COSTS = CostBreakdown()
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_FIRST_CHUNK = 256


@dataclass(slots=True)
class ScalpStats:
    bars: int = 0
    entries: int = 0
    exits: int = 0
    take_profits: int = 0
    stop_losses: int = 0
    time_stops: int = 0
    exit_retries: int = 0
    failed: int = 0
    rejected: int = 0
    skipped_small: int = 0


class ScalpEngine:
    """Implements :class:`phantom.engines.base.BarEngine`."""

    data_roles: Mapping[str, str] = {
        "price": "candles of the traded token (date, open, high, low, close, volume)",
    }

    def __init__(self, params: ScalpParams, id_prefix: str | None = None) -> None:
        self.params = params
        self.name = params.name
        self.stats = ScalpStats()
        self.pods = [PodState(p) for p in params.pods]
        self._prefix = id_prefix or params.name
        self._seq = 0
        self._funded = False
        self._warm = max(p.warmup_bars for p in params.pods)
        self._tails: tuple[FloatArray, FloatArray, FloatArray] | None = None
        self._bars: BarBatch | None = None
        self._close: FloatArray = np.empty(0)
        self._close_ts: FloatArray = np.empty(0)
        self._signals: list[list[int]] = [[] for _ in params.pods]
        self._by_intent: dict[str, int] = {}
        self._tag = (
            (f"liquidity_usd={params.liquidity_usd}",) if params.liquidity_usd is not None else ()
        )
        pool = f"cex:{params.base.symbol}/{params.quote.symbol}"
        self._buy = (SwapLeg(pool, params.quote, params.base),)
        self._sell = (SwapLeg(pool, params.base, params.quote),)
        self._quote_usd = Decimal(1)

    # --- indicators ---------------------------------------------------------------------------
    def _prepare(self, bars: BarBatch) -> None:
        close = np.asarray(bars.close, dtype=np.float64)
        high = np.asarray(bars.high, dtype=np.float64)
        volume = np.asarray(bars.volume, dtype=np.float64)
        if self._tails is not None:
            tc, th, tv = self._tails
            close, high, volume = (
                np.concatenate((tc, close)),
                np.concatenate((th, high)),
                np.concatenate((tv, volume)),
            )
        n = len(bars)
        offset = close.shape[0] - n
        self._signals = [
            np.flatnonzero(pod_signal(p, close, high, volume, offset)).tolist()
            for p in self.params.pods
        ]
        keep = self._warm
        self._tails = (close[-keep:].copy(), high[-keep:].copy(), volume[-keep:].copy())
        self._bars = bars
        self._close = close[offset:]
        self._close_ts = np.asarray(bars.ts, dtype=np.float64) + bars.timeframe_s
        self.stats.bars += n

    # --- the bar API --------------------------------------------------------------------------
    def on_bars(self, bars: BarBatch, start: int, stop: int, ctx: EngineContext) -> BarDecision:
        if bars is not self._bars:
            self._prepare(bars)
        if not self._funded:
            self._fund(ctx)
        self._quote_usd = Decimal(repr(ctx.market.price_usd(self.params.quote)))
        pos = start
        while pos < stop:
            nexts = [self._next_action(k, pos, stop) for k in range(len(self.pods))]
            index = min(nexts)
            if index >= stop:
                break
            avail = {
                self.params.quote: ctx.available.get(self.params.quote, 0),
                self.params.base: ctx.available.get(self.params.base, 0),
            }
            intents = []
            for k, at in enumerate(nexts):
                if at == index:
                    intent = self._order(k, bars, index, avail)
                    if intent is not None:
                        intents.append(intent)
            if intents:
                return BarDecision(index, tuple(intents))
            pos = index + 1
        return BarDecision(stop)

    def _fund(self, ctx: EngineContext) -> None:
        """Split the quote balance into the pods' shares (once, at the first bar)."""
        total = ctx.available.get(self.params.quote, 0)
        for pod in self.pods:
            ppm = int(pod.params.share_pct * 10_000)
            pod.cash = pod.capital_start = total * ppm // 1_000_000
        self._funded = True

    def _next_action(self, k: int, pos: int, stop: int) -> int:
        """The first bar in ``[pos, stop)`` where pod ``k`` must act, else ``stop``."""
        pod = self.pods[k]
        if pod.pending is not None or pos >= stop:
            return stop
        if pod.flat:
            lo = pos
            if pod.cooldown_until > 0:
                lo = max(lo, int(np.searchsorted(self._close_ts, pod.cooldown_until, "left")))
            sig = self._signals[k]
            j = bisect.bisect_left(sig, lo)
            return sig[j] if j < len(sig) and sig[j] < stop else stop
        if pod.retry_exit:
            return pos
        p = pod.params
        deadline = pod.entry_ts + p.max_hold_s
        time_at = int(np.searchsorted(self._close_ts, deadline, "left"))
        hi = min(stop, time_at)
        sl = pod.entry_price * (1.0 - p.stop_loss_pct / 100.0)
        tp = pod.entry_price * (1.0 + p.take_profit_pct / 100.0)
        close = self._close
        lo, chunk = pos, _FIRST_CHUNK
        while lo < hi:
            end = min(hi, lo + chunk)
            c = close[lo:end]
            hit = np.flatnonzero((c <= sl) | (c >= tp))
            if hit.shape[0]:
                return lo + int(hit[0])
            lo, chunk = end, chunk * 4
        return max(pos, min(stop, time_at))

    # --- orders -------------------------------------------------------------------------------
    def _order(self, k: int, bars: BarBatch, i: int, avail: dict[Any, int]) -> OrderIntent | None:
        pod, prm = self.pods[k], self.params
        price = float(bars.close[i])
        price_dec = Decimal(repr(price))
        created = float(self._close_ts[i])
        if pod.flat:
            pod.signals += 1
            p = pod.params
            by_risk = int(Decimal(pod.cash) * p.risk_pct / Decimal(repr(p.stop_loss_pct)))
            amount_in = min(pod.cash, by_risk, avail[prm.quote])
            if prm.max_notional_usd is not None:
                cap = prm.quote.to_units(prm.max_notional_usd / self._quote_usd)
                amount_in = min(amount_in, cap)
            notional = prm.quote.to_decimal(amount_in) * self._quote_usd
            if amount_in <= 0 or notional < prm.min_notional_usd:
                pod.skipped_small += 1
                self.stats.skipped_small += 1
                return None
            avail[prm.quote] -= amount_in
            expected = prm.base.to_units(prm.quote.to_decimal(amount_in) / price_dec)
            self.stats.entries += 1
            reason = f"pod {p.name}: momentum entry at {price_dec}"
            return self._intent(k, created, True, amount_in, expected, notional, reason)
        if not pod.retry_exit:
            pod.exit_reason = self._exit_reason(pod, price, created)
        else:
            self.stats.exit_retries += 1
        amount_in = min(pod.holding, avail[prm.base])
        if amount_in <= 0:
            return None
        avail[prm.base] -= amount_in
        value = prm.base.to_decimal(amount_in) * price_dec
        expected = prm.quote.to_units(value)
        reason = f"pod {pod.params.name}: {pod.exit_reason} at {price_dec}"
        return self._intent(k, created, False, amount_in, expected, value * self._quote_usd, reason)

    @staticmethod
    def _exit_reason(pod: PodState, price: float, now: float) -> str:
        p = pod.params
        if price <= pod.entry_price * (1.0 - p.stop_loss_pct / 100.0):
            return "stop_loss"
        if price >= pod.entry_price * (1.0 + p.take_profit_pct / 100.0):
            return "take_profit"
        return "time_stop"

    def _intent(
        self,
        k: int,
        created: float,
        entry: bool,
        amount_in: int,
        expected: int,
        notional: Decimal,
        reason: str,
    ) -> OrderIntent:
        prm, pod = self.params, self.pods[k]
        self._seq += 1
        intent_id = f"{self._prefix}-{pod.params.name}-{self._seq:07d}"
        self._by_intent[intent_id] = k
        pod.pending, pod.pending_entry = intent_id, entry
        return OrderIntent(
            intent_id=intent_id,
            engine=self.name,
            kind=IntentKind.SWAP,
            created_at=created,
            legs=self._buy if entry else self._sell,
            amount_in=amount_in,
            min_amount_out=expected - expected * prm.slippage_bps // 10_000,
            expected_amount_out=expected,
            expected_profit_usd=_ZERO,
            expected_costs=_NO_COSTS,
            notional_usd=notional,
            slippage_bps=prm.slippage_bps,
            route=prm.route,
            reason=reason,
            tags=(*self._tag, f"pod={pod.params.name}"),
        )

    # --- the event API (a price tick is a batch of one bar) -----------------------------------
    def on_event(self, event: MarketEvent, ctx: EngineContext) -> list[OrderIntent]:
        if not isinstance(event, PriceTick) or event.symbol != self.params.base.symbol:
            return []
        one = np.array([event.price], dtype=np.float64)
        ts = np.array([event.ts], dtype=np.float64)
        bars = BarBatch(event.symbol, 0.0, ts, one, one, one, one, np.zeros(1))
        return list(self.on_bars(bars, 0, 1, ctx).intents)

    # --- outcomes -----------------------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        k = self._by_intent.pop(fill.intent_id, None)
        if k is None:
            return
        pod, prm = self.pods[k], self.params
        entry = pod.pending_entry
        pod.pending = None
        network = fill.costs.network
        if not fill.succeeded:
            pod.failed += 1
            self.stats.failed += 1
            if entry and pod.flat:
                pod.stray_network_usd += network
            else:
                pod.network_usd += network
                pod.retry_exit = True
            return
        if entry:
            if pod.flat:
                pod.open_trade(fill.arrived_at)
            pod.network_usd += network
            pod.cash -= fill.amount_in
            pod.spent += fill.amount_in
            pod.holding += fill.amount_out
            pod.bought += fill.amount_out
            if pod.bought > 0:
                pod.entry_price = float(
                    prm.quote.to_decimal(pod.spent) / prm.base.to_decimal(pod.bought)
                )
            return
        pod.network_usd += network
        pod.holding = max(0, pod.holding - fill.amount_in)
        pod.cash += fill.amount_out
        pod.received += fill.amount_out
        if pod.flat:
            trade = pod.close_trade(fill.arrived_at, prm.base, prm.quote)
            self.stats.exits += 1
            if trade.reason == "take_profit":
                self.stats.take_profits += 1
            elif trade.reason == "stop_loss":
                self.stats.stop_losses += 1
            else:
                self.stats.time_stops += 1
        else:
            pod.retry_exit = True  # partial exit: sell the rest at the next bar

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        k = self._by_intent.pop(intent.intent_id, None)
        if k is None:
            return
        pod = self.pods[k]
        pod.pending = None
        pod.rejected += 1
        self.stats.rejected += 1
        if not pod.pending_entry:
            pod.retry_exit = True

    # --- reporting ----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Per pod: trades, win rate, PnL (USD), exits by reason."""
        base, quote = self.params.base, self.params.quote
        return {p.params.name: p.summary(base, quote, self._quote_usd) for p in self.pods}
