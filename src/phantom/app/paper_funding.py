"""The funding engine in a paper run: spot leg on a replay pool, perp leg on a paper perp venue.

- **Spot leg**: the engine's swaps (``OrderIntent``) go through the run's gates, journal and
  realism model like every other engine's, on FUNDING_SPOT_POOL (default: the deepest
  FUNDING_SYMBOL/USDC replay pool).
- **Perp leg**: a :class:`~phantom.venues.perps.paper.PaperPerpVenue` with one market,
  ``<SYMBOL>/USDC:USDC``. Its mark follows the symbol's reference price times ``1 + basis``; the
  basis is the premium the last recorded funding print implies (``rate - 0.01 %``, Binance's
  interest component; clamped to +-0.5 %). Funding settles at the recorded 8-hour prints
  (``replay.funding``, real Binance prints). The perp orders pass the kill switch and, when they
  add exposure, the trade-size limit; the venue checks margin.
- **Booking**: :mod:`phantom.app.paper_perp`.

Timeline, on each reference tick of the symbol: the mark moves (a liquidation is checked and
booked), prints due by then settle; then, at most once per PAPER_BAR_S (and at every print) the
engine sees the price snapshot, the new prints and the account, in that order. Prints before the
run's start are its look-back (no settlement).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from phantom.app import paper_params
from phantom.app.paper_bars import pool_for
from phantom.app.paper_perp import PaperPerpBook, perp_cash
from phantom.app.paper_slots import Deposit, EngineSlot
from phantom.backtest.funding.legs import account_state
from phantom.core.events import MarketEvent, PriceTick
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.engines.funding.engine import YEAR_S, FundingEngine
from phantom.engines.funding.events import (
    FundingEvent,
    FundingRatePrint,
    MarginIntent,
    PerpIntent,
    PerpOutcome,
    PriceSnapshot,
)
from phantom.market.replay.funding import load_funding
from phantom.risk.gates import exempt_sales
from phantom.venues.perps.base import PerpMarket
from phantom.venues.perps.paper import PaperPerpVenue
from phantom.venues.perps.paper_params import PaperPerpParams

if TYPE_CHECKING:
    from phantom.app.paper_run import PaperRun

INTEREST = Decimal("0.0001")  # per 8 h: Binance's interest component of funding
MAX_BASIS = Decimal("0.005")


def engine_counts(engine: FundingEngine) -> dict[str, Any]:
    """The engine's decisions for the summary (paper and live give the same figures)."""
    st = engine.stats
    return {
        "entries": st.entries,
        "exits": st.exits,
        "rebalances": st.rebalances,
        "reduces": st.reduces,
        "relevers": st.relevers,
        "gate_refusals": st.gate_refusals,
        "last_gate": "" if engine.last_gate is None else engine.last_gate.reason,
    }


def engine_status(engine: FundingEngine) -> dict[str, Any]:
    """The engine's :meth:`~FundingEngine.status`, decimals as strings."""
    return {
        k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(engine.status()).items()
    }


class FundingSlot(EngineSlot):
    def __init__(self, run: PaperRun) -> None:
        super().__init__(run, "funding")
        s, world = run.settings, run.world
        symbol = s.funding_symbol
        if symbol not in world.tokens or symbol not in world.path.symbols:
            raise ValueError(f"setting FUNDING_SYMBOL: the replay path has no {symbol} prices")
        prints = load_funding().get(symbol)
        if prints is None:
            raise ValueError(f"setting FUNDING_SYMBOL: no recorded funding prints for {symbol}")
        self.base, self.usdc = world.tokens[symbol], run.usdc
        # selling the spot leg only reduces it: never stuck behind the trade-size limit (as live)
        self.risk = exempt_sales(self.risk, self.base)
        pool = pool_for(run, "FUNDING_SPOT_POOL", s.funding_spot_pool, self.base, self.usdc)
        self.market_symbol = f"{symbol}/USDC:USDC"
        market = PerpMarket(self.market_symbol, self.base, perp_cash(self.usdc), prints.interval_s)
        self.venue = PaperPerpVenue([market], PaperPerpParams())
        self.book = PaperPerpBook(self, self.venue, self.market_symbol, self.usdc)
        params = paper_params.funding_params(
            s, self.base, self.usdc, self.market_symbol, pool, run.market, run.paper.params
        )
        self.engine = FundingEngine(params, id_prefix=self.prefix)
        self.pool_id = pool.pool_id
        self.interval_s = prints.interval_s
        start = run.world.start_ts
        history = prints.between(-math.inf, start - 1e-9)
        self._due = prints.between(start, math.inf)
        self._rate = Decimal(repr(history[-1][1])) if history else Decimal(0)
        self._history = history[-params.lookback_prints :]
        self._step_s = float(s.paper_bar_s)
        self._next_step = -math.inf
        self._mark(start, run.market.price_usd(self.base))
        self.max_drift_pct = 0.0
        self.min_health_pct: float | None = None
        self.perp_rejections = 0

    def deposits(self) -> list[Deposit]:
        s = self.run.settings
        return self.deposit(self.usdc, s.funding_initial_usd) + self.deposit(
            self.run.native, s.funding_initial_sol
        )

    def start(self) -> None:
        self.book.restore()
        for ts, rate in self._history:  # the engine's look-back: prints before the start
            self.engine.on_event(self._print(ts, rate), self.context(self.usdc, self.base))

    # --- the timeline --------------------------------------------------------------------------
    def _mark(self, ts: float, price: float) -> None:
        basis = max(-MAX_BASIS, min(MAX_BASIS, self._rate - INTEREST))
        mark = Decimal(repr(price)) * (1 + basis)
        liquidation = self.venue.update_mark(self.market_symbol, ts, mark)
        self.venue.set_trade_price(self.market_symbol, mark)
        if liquidation is not None:
            self.book.liquidation(liquidation)

    def _print(self, ts: float, rate: float) -> FundingRatePrint:
        return FundingRatePrint(ts, self.market_symbol, rate, self.interval_s)

    def on_market(self, event: MarketEvent) -> None:
        if not isinstance(event, PriceTick) or event.symbol != self.base.symbol:
            return
        now = event.ts
        self._mark(now, event.price)
        due: list[FundingRatePrint] = []
        while self._due and self._due[0][0] <= now:
            ts, rate = self._due.pop(0)
            self._rate = Decimal(repr(rate))
            self.book.settle(ts, self._rate)
            due.append(self._print(ts, rate))
        if not due and now < self._next_step:
            return
        self._next_step = math.floor(now / self._step_s) * self._step_s + self._step_s
        mark = float(self.venue.mark_price(self.market_symbol))
        self._react(PriceSnapshot(now, self.market_symbol, event.price, mark))
        for p in due:
            self._react(p)
        self._react(account_state(self.venue, self.market_symbol, now))
        self._measure()

    def _react(self, event: FundingEvent) -> None:
        intents = self.engine.on_event(event, self.context(self.usdc, self.base))
        for intent in intents:
            if isinstance(intent, MarginIntent):
                self.engine.on_margin(self.book.margin(intent))
            elif isinstance(intent, PerpIntent):
                self._perp(intent)
            else:
                self.emit([intent])

    def _perp(self, intent: PerpIntent) -> None:
        run = self.run
        reason = ""
        if run.kill.engaged:
            reason = "kill_switch"
        elif not intent.reduce_only and intent.notional_usd > run.settings.max_trade_usd:
            reason = "max_trade_size"
        if reason:
            self.perp_rejections += 1
            self.stats.rejections[reason] += 1
            run.stats.rejections[reason] += 1
            self.engine.on_perp(PerpOutcome(intent.intent_id, 0, Decimal(0), Decimal(0), reason))
            return
        outcome = self.book.perp(intent)
        if not outcome.ok:
            self.perp_rejections += 1
        self.engine.on_perp(outcome)

    def _measure(self) -> None:
        if self.in_flight:  # a spot leg is still travelling: measure once both legs are known
            return
        status = self.engine.status()
        hedge = max(status.spot_units, -status.perp_units)
        if hedge > 0:
            self.max_drift_pct = max(self.max_drift_pct, status.delta_pct)
        if self.venue.position_size(self.market_symbol) != 0:
            health = float(self.venue.account().health) * 100.0
            if self.min_health_pct is None or health < self.min_health_pct:
                self.min_health_pct = health

    # --- outcomes ------------------------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        self.engine.on_fill(fill)

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        self.engine.on_rejected(intent, reason)

    # --- reporting -----------------------------------------------------------------------------
    def unrealized(self) -> int:
        return sum(p.unrealized_pnl for p in self.venue.positions())

    def extra_equity_usd(self) -> Decimal:
        return self.book.cash.to_decimal(self.unrealized())

    def figures(self) -> dict[str, Any]:
        e, book, q = self.engine, self.book, self.book.cash
        elapsed = max(1.0, self.run.clock.now() - self.run.world.start_ts)
        earned = q.to_decimal(book.funding_earned)
        capital = self.run.settings.funding_initial_usd
        apr = float(earned / capital) * YEAR_S / elapsed * 100.0
        return {
            "market": self.market_symbol,
            "spot_pool": self.pool_id,
            "prints_settled": len(self.venue.funding_history(self.market_symbol)),
            "prints_paid_or_earned": book.settlements,
            "funding_earned_usd": str(earned),
            "apr_on_capital_pct": round(apr, 4),
            "perp_fees_usd": str(q.to_decimal(book.fees)),
            "margin_moves": book.margin_moves,
            **engine_counts(e),
            "max_abs_delta_drift_pct": round(self.max_drift_pct, 4),
            "min_health_pct": None
            if self.min_health_pct is None
            else round(self.min_health_pct, 2),
            "liquidations": book.liquidations,
            "perp_rejections": self.perp_rejections,
            "perp_account": {
                "cash_usd": str(q.to_decimal(book.venue_cash())),
                "position": self.venue.position_size(self.market_symbol),
                "unrealized_usd": str(q.to_decimal(self.unrealized())),
            },
            "ledger_matches_venue": book.matches(),
            "status": engine_status(e),
        }

    def idle_reason(self) -> str | None:
        st = self.engine.stats
        if st.entries:
            return None
        if st.gate_refusals and self.engine.last_gate is not None:
            return f"safety gate refused {st.gate_refusals} time(s): {self.engine.last_gate.reason}"
        return "no funding print since the start passed the entry rules (confirm prints > 0)"
