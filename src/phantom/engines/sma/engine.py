"""The SMA crossover engine: long while SMA(fast) > SMA(slow) of the closes, flat otherwise.

Built for the batched bar API (``phantom.engines.base.BarEngine``): once per batch it computes
both moving averages and the long/flat regime of every bar with numpy, carrying the last
``slow - 1`` closes across batches, and keeps the indexes where the regime flips. Between flips
there is nothing to do, so ``on_bars`` jumps from one flip to the next with a binary search.

Window sums are accumulated in a fixed order (``x[i] + x[i+1] + ...``), so a bar's averages
depend only on its window, never on where a batch starts: any batch size (one bar included, as
``on_event`` does for a price tick) gives the same decisions, bit for bit.

Orders: the engine wants to be long when the regime is long and flat otherwise. It sends an
order at the close of a bar where what it holds differs from what it wants: at a crossover, or
after an order of its own failed (at most ``max_retries`` times per signal) or only partly
filled. After a risk rejection, or when it cannot afford an entry, it waits for the next
crossover. One order at a time; it never sends anything and never reads a clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from phantom.core.costs import CostBreakdown
from phantom.core.events import MarketEvent, PriceTick
from phantom.core.fills import Fill
from phantom.core.orders import IntentKind, OrderIntent, SwapLeg, new_intent
from phantom.engines.base import BarBatch, BarDecision, EngineContext, new_decision
from phantom.engines.sma.params import SmaParams

FloatArray = npt.NDArray[np.float64]
_NO_COSTS = CostBreakdown()
_ZERO = Decimal(0)


def window_sums(x: FloatArray, w: int) -> FloatArray:
    """Sums of every window of ``w`` consecutive values, each added left to right."""
    m = x.shape[0] - w + 1
    if m <= 0:
        return np.empty(0, dtype=np.float64)
    acc = x[0:m].copy()
    for k in range(1, w):
        acc += x[k : k + m]
    return acc


@dataclass(slots=True)
class SmaStats:
    bars: int = 0
    crossovers: int = 0
    entries: int = 0
    exits: int = 0
    retries: int = 0
    rejected: int = 0
    failed: int = 0
    skipped_small: int = 0


class SmaEngine:
    """Implements :class:`phantom.engines.base.BarEngine`."""

    data_roles: ClassVar[Mapping[str, str]] = {
        "price": "candles of the traded pair (date, open, high, low, close, volume)",
    }

    def __init__(self, params: SmaParams, id_prefix: str | None = None) -> None:
        self.params = params
        self.name = params.name
        self.stats = SmaStats()
        self.holding = 0  # base units this engine bought and still holds
        self._prefix = id_prefix or params.name
        self._seq = 0
        self._tail: FloatArray = np.empty(0, dtype=np.float64)
        self._prev_long = False
        self._bars: BarBatch | None = None
        self._long: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._changes: list[int] = []
        self._pending: dict[str, bool] = {}  # intent id -> is an entry
        self._retries = 0
        self._wait_change = False
        self._tag = (
            (f"liquidity_usd={params.liquidity_usd}",) if params.liquidity_usd is not None else ()
        )
        self._pool_id = f"cex:{params.base.symbol}/{params.quote.symbol}"
        self._buy_leg = (SwapLeg(self._pool_id, params.quote, params.base),)
        self._pct_ppm = int(params.position_pct * 10_000)
        # base units per quote unit at a price of 1 quote token per base token
        self._base_per_quote_unit = Decimal(10) ** (params.base.decimals - params.quote.decimals)
        self._quote_usd_raw = 1.0
        self._quote_usd_dec = Decimal(1)
        self._max_units = self._units_for(params.max_notional_usd)
        self._sell_leg = (SwapLeg(self._pool_id, params.base, params.quote),)
        self._id_head = f"{self._prefix}-"
        self._reasons = (  # (exit, entry) reasons before the price
            f"sma {params.fast}/{params.slow} cross down: sell at ",
            f"sma {params.fast}/{params.slow} cross up: buy at ",
        )

    # --- indicators ---------------------------------------------------------------------------
    def _prepare(self, bars: BarBatch) -> None:
        """Regime of every bar of a new batch, and the bars where it flips."""
        p = self.params
        close = np.asarray(bars.close, dtype=np.float64)
        n = close.shape[0]
        ext = np.concatenate((self._tail, close)) if self._tail.shape[0] else close
        offset = ext.shape[0] - n  # index in ext of bar 0
        long = np.zeros(n, dtype=bool)
        if ext.shape[0] >= p.slow:
            slow = window_sums(ext, p.slow) / p.slow  # window k ends at ext index k + slow - 1
            fast = window_sums(ext[p.slow - p.fast :], p.fast) / p.fast
            first = p.slow - 1 - offset  # bar index of the first complete window
            skip = max(0, -first)
            long[max(0, first) :] = fast[skip:] > slow[skip:]
        if n:
            prev = np.empty(n, dtype=bool)
            prev[0] = self._prev_long
            prev[1:] = long[:-1]
            self._changes = np.flatnonzero(long != prev).tolist()
            self._prev_long = bool(long[-1])
        else:
            self._changes = []
        self._long = long
        self._tail = ext[-(p.slow - 1) :].copy()
        self._bars = bars
        self.stats.bars += n
        self.stats.crossovers += len(self._changes)

    # --- the bar API --------------------------------------------------------------------------
    def on_bars(self, bars: BarBatch, start: int, stop: int, ctx: EngineContext) -> BarDecision:
        if bars is not self._bars:
            self._prepare(bars)
        if self._pending:
            return new_decision(stop, ())
        index = self._candidate(start, stop)
        while index < stop:
            intent = self._order_at(bars, index, ctx)
            if intent is not None:
                return new_decision(index, (intent,))
            self._wait_change = True
            index = self._candidate(index + 1, stop)
        return new_decision(stop, ())

    def _candidate(self, start: int, stop: int) -> int:
        """The first bar in ``[start, stop)`` where the engine should act, else ``stop``."""
        if start >= stop:
            return stop
        have = self.holding > 0
        long, changes = self._long, self._changes
        if not self._wait_change and bool(long[start]) != have:
            return start
        find = bisect.bisect_left if self._wait_change else bisect.bisect_right
        j = find(changes, start)
        while j < len(changes):
            c = changes[j]
            if c >= stop:
                return stop
            self._wait_change = False
            self._retries = 0
            if bool(long[c]) != have:
                return c
            j += 1
        return stop

    def _order_at(self, bars: BarBatch, i: int, ctx: EngineContext) -> OrderIntent | None:
        p = self.params
        price = Decimal(repr(float(bars.close[i])))
        created = float(bars.ts[i]) + bars.timeframe_s
        quote_usd = self._quote_usd(ctx)
        if self.holding == 0:
            cash = ctx.available.get(p.quote, 0)
            amount_in = cash * self._pct_ppm // 1_000_000
            notional = Decimal(amount_in).scaleb(-p.quote.decimals) * quote_usd
            if p.max_notional_usd is not None and notional > p.max_notional_usd:
                amount_in = self._max_units
                notional = Decimal(amount_in).scaleb(-p.quote.decimals) * quote_usd
            if amount_in <= 0 or notional < p.min_notional_usd:
                self.stats.skipped_small += 1
                return None
            expected = int(Decimal(amount_in) * self._base_per_quote_unit / price)
            self.stats.entries += 1
            return self._intent(created, True, amount_in, expected, notional, price)
        amount_in = min(self.holding, ctx.available.get(p.base, self.holding))
        if amount_in <= 0:
            return None
        value = Decimal(amount_in).scaleb(-p.base.decimals) * price  # in quote tokens
        expected = int(value.scaleb(p.quote.decimals))
        self.stats.exits += 1
        return self._intent(created, False, amount_in, expected, value * quote_usd, price)

    def _quote_usd(self, ctx: EngineContext) -> Decimal:
        raw = ctx.market.price_usd(self.params.quote)
        if raw != self._quote_usd_raw:
            self._quote_usd_raw = raw
            self._quote_usd_dec = Decimal(repr(raw))
            self._max_units = self._units_for(self.params.max_notional_usd)
        return self._quote_usd_dec

    def _units_for(self, usd: Decimal | None) -> int:
        if usd is None:
            return 0
        return self.params.quote.to_units(usd / self._quote_usd_dec)

    def _intent(
        self,
        created: float,
        entry: bool,
        amount_in: int,
        expected: int,
        notional: Decimal,
        price: Decimal,
    ) -> OrderIntent:
        p = self.params
        self._seq += 1
        intent_id = self._id_head + str(self._seq).zfill(7)  # "<prefix>-0000042"
        self._pending[intent_id] = entry
        return new_intent(
            intent_id,
            self.name,
            IntentKind.SWAP,
            created,
            self._buy_leg if entry else self._sell_leg,
            amount_in,
            expected - expected * p.slippage_bps // 10_000,  # min_amount_out
            expected,
            _ZERO,  # expected_profit_usd
            _NO_COSTS,
            notional,
            p.slippage_bps,
            p.route,
            self._reasons[entry] + str(price),  # "sma 10/50 cross up: buy at 101.5"
            1,  # signatures
            self._tag,
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
        entry = self._pending.pop(fill.intent_id, None)
        if entry is None:
            return
        if not fill.succeeded:
            self.stats.failed += 1
            if self._retries < self.params.max_retries:
                self._retries += 1
                self.stats.retries += 1
            else:
                self._wait_change = True
            return
        self._retries = 0
        if entry:
            self.holding += fill.amount_out
        else:
            self.holding = max(0, self.holding - fill.amount_in)

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        if self._pending.pop(intent.intent_id, None) is not None:
            self.stats.rejected += 1
            self._wait_change = True
