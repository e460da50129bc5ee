"""The live funding loop (started by :func:`phantom.app.live_funding.run_live_funding`).

The same :class:`~phantom.engines.funding.engine.FundingEngine` as paper and backtest, fed the
same events in the same order as ``paper_funding``: at most once per ``step_s`` (and at every new
print) a :class:`PriceSnapshot` (the spot pool's price, the venue's mark), the new settled
prints, then the perp account as the venue reports it. Its intents:

- **spot** (``OrderIntent``, WSOL against USDC on the spot pool): risk gates -> capital
  reservation -> ledger journal (write ahead) -> ``execution/solana_live``, exactly as the
  arbitrage live loop (:mod:`phantom.app.live_funding_spot`);
- **perp** (``PerpIntent``): the kill switch and, when it adds exposure, the trade-size limit (as
  paper) -> journal -> the venue (``CcxtPerpVenue.place_order``) -> booked from the account's
  cash (:mod:`phantom.app.perp_book`);
- **collateral** (``MarginIntent``): allocated between the account's reserve and the engine's
  collateral; the account is funded beforehand and nothing moves (``perp_book``).

Funding payments are booked as the venue lists them (``live_funding_perp``). ``phantom stop`` /
SIGTERM (the kill switch): the engine is fed no more, in-flight swaps and unresolved perp orders
are resolved, the position is left as it is (a restart picks it up).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from phantom.app.live_funding_config import LiveFundingOptions
from phantom.app.live_funding_perp import PerpLeg
from phantom.app.live_funding_report import summary
from phantom.app.live_funding_spot import ENGINE, SpotLeg, log
from phantom.app.live_funding_start import start_run
from phantom.app.perp_book import PerpAccountBook
from phantom.app.session import Session
from phantom.app.settings import Settings
from phantom.app.stats import RunStats
from phantom.backtest.funding.legs import state_of
from phantom.core.costs import CostBreakdown
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.engines.base import EngineContext
from phantom.engines.funding.engine import FundingEngine
from phantom.engines.funding.events import (
    FundingEvent,
    FundingRatePrint,
    MarginIntent,
    PerpIntent,
    PerpOutcome,
    PriceSnapshot,
)
from phantom.market.solana_source import SolanaVenue
from phantom.portfolio.ledger import Ledger
from phantom.risk.breaker import KillSwitch
from phantom.venues.perps.base import PerpAccount, PerpVenue, PerpVenueError
from phantom.venues.solana.keystore import SolanaSigner


class FundingLiveRun(SpotLeg):
    """One live funding session (see the module docstring); also the perp book's host."""

    def __init__(
        self,
        settings: Settings,
        options: LiveFundingOptions,
        session: Session,
        venue: SolanaVenue,
        signer: SolanaSigner,
        perp: PerpVenue,
        kill: KillSwitch,
    ) -> None:
        ledger = Ledger(session.ledger_path)
        super().__init__(settings, options, session, venue, signer, kill, ledger, RunStats())
        self.name, self.prefix = ENGINE, f"funding-live-s{session.segment}"
        self.perp, self.market_symbol = perp, settings.perp_market
        market = next((m for m in perp.markets() if m.symbol == self.market_symbol), None)
        if market is None:
            raise ValueError(f"setting PERP_MARKET: {perp.name} has no market {self.market_symbol}")
        q, chain = market.quote, f"perp-{perp.name}"
        self.cash = Token(q.symbol, q.decimals, chain=chain)
        self.reserve = Token(q.symbol, q.decimals, chain=f"{chain}-reserve")
        self.book = PerpAccountBook(
            self, perp, self.market_symbol, self.usdc, self.cash, self.reserve
        )
        self.leg = PerpLeg(self.book, ENGINE, market.funding_interval_s)
        self.engine: FundingEngine | None = None
        self.perp_trades: list[dict[str, Any]] = []
        self.perp_orders = self.perp_rejections = self.prints_seen = self.venue_failures = 0
        self.max_drift_pct = 0.0
        self.min_health_pct: float | None = None
        self._next_poll = self._next_step = 0.0

    # --- the book's host -------------------------------------------------------------------
    def now(self) -> float:
        return time.time()

    def available(self, token: Token) -> int:
        return self.capital.available(ENGINE, token)

    def on_entry(self, costs: CostBreakdown, pnl: Decimal) -> None:
        self.stats.on_entry(costs, pnl)

    def transfer_costs(self) -> None:
        return None  # collateral is allocated inside the venue account: nothing moves

    # --- start-up and the loop -------------------------------------------------------------
    def start(self) -> None:
        self.first_snapshot()
        start_run(self)

    def context(self) -> EngineContext:
        available = {t: self.available(t) for t in (self.usdc, self.base)}
        return EngineContext(now=time.time(), market=self.market, available=available)

    def busy(self) -> bool:
        return bool(self.client.in_flight() or self.leg.unresolved)

    def finish(self) -> dict[str, Any]:
        self.leg.sync_payments()
        return summary(self)

    def step(self, timeout: float) -> None:
        self.step_spot(timeout)
        now = time.time()
        if now < self._next_poll:
            return
        self._next_poll = now + self.options.venue_poll_s
        ready = self.engine is not None and self.market.has_price(self.base)
        feed = self.feeding and not self.kill.engaged and ready
        try:
            prints, acct, mark = self._read_venue(feed, now)
        except PerpVenueError as exc:
            self._venue_failed(exc)
            return
        if mark is None:
            return
        self._next_step = now + self.options.step_s
        spot = self.market.price_usd(self.base)
        asked = self.react(PriceSnapshot(now, self.market_symbol, spot, float(mark)))
        for p in prints:
            asked += self.react(p)
        if asked:
            try:
                acct = self.perp.account()
            except PerpVenueError as exc:  # the account event waits for the next poll
                self._venue_failed(exc)
                return
        self.react(state_of(acct, self.market_symbol, now, self.book.reserve_balance()))
        self._measure(acct)

    def _read_venue(
        self, feed: bool, now: float
    ) -> tuple[list[FundingRatePrint], PerpAccount, Decimal | None]:
        """New prints, payments booked, the account, and the mark when the engine is due a
        step (``None`` otherwise). A failure leaves the prints to be read again."""
        before = self.leg.last_print_ts
        try:
            for outcome in self.leg.retry_unresolved():
                self._perp_done(outcome)
            prints = self.leg.new_prints()
            self.leg.sync_payments()
            acct = self.perp.account()
            if not self.in_flight:
                self.leg.check_external(acct)
            due = feed and (bool(prints) or now >= self._next_step)
            mark = self.perp.mark_price(self.market_symbol) if due else None
        except PerpVenueError:
            self.leg.last_print_ts = before
            raise
        self.prints_seen += len(prints)
        self.venue_failures = 0
        return prints, acct, mark

    def _venue_failed(self, exc: PerpVenueError) -> None:
        """A venue read failed: skip this poll; give up after ``max_venue_failures`` in a row."""
        self.venue_failures += 1
        log.warning("perp_venue_failed", failures=self.venue_failures, reason=str(exc))
        if self.venue_failures >= self.options.max_venue_failures:
            raise exc

    def react(self, event: FundingEvent) -> int:
        """Hand ``event`` to the engine and carry out its intents; how many it asked for."""
        assert self.engine is not None
        intents = self.engine.on_event(event, self.context())
        for intent in intents:
            self.stats.intents += 1
            if isinstance(intent, MarginIntent):
                self.engine.on_margin(self.book.margin(intent))
            elif isinstance(intent, PerpIntent):
                self._perp(intent)
            else:
                self.send(intent)
        return len(intents)

    # --- outcomes --------------------------------------------------------------------------
    def engine_fill(self, fill: Fill) -> None:
        if self.engine is not None:
            self.engine.on_fill(fill)

    def engine_rejected(self, intent: OrderIntent, reason: str) -> None:
        if self.engine is not None:
            self.engine.on_rejected(intent, reason)

    def _perp(self, intent: PerpIntent) -> None:
        reason = ""
        if self.kill.engaged:
            reason = "kill_switch"
        elif not intent.reduce_only and intent.notional_usd > self.settings.max_trade_usd:
            reason = "max_trade_size"
        if reason:
            self.stats.rejections[reason] += 1
            self._perp_done(PerpOutcome(intent.intent_id, 0, Decimal(0), Decimal(0), reason))
            return
        self.perp_orders += 1
        outcome = self.book.perp(intent)
        if outcome.reason.startswith("unresolved"):
            self.leg.unresolved[intent.intent_id] = intent
        self._perp_done(outcome, intent)

    def _perp_done(self, outcome: PerpOutcome, intent: PerpIntent | None = None) -> None:
        if not outcome.ok:
            self.perp_rejections += 1
        self.perp_trades.append({
            "intent": outcome.intent_id, "side": "" if intent is None else intent.side.value,
            "filled": str(outcome.filled), "avg_price": str(outcome.avg_price),
            "fee_usd": str(outcome.fee_usd), "reason": outcome.reason,
        })  # fmt: skip
        if self.engine is not None and not outcome.reason.startswith("unresolved"):
            self.engine.on_perp(outcome)

    def _measure(self, acct: PerpAccount) -> None:
        if self.in_flight or self.engine is None:
            return
        status = self.engine.status()
        if max(status.spot_units, -status.perp_units) > 0:
            self.max_drift_pct = max(self.max_drift_pct, status.delta_pct)
        pos = acct.position(self.market_symbol)
        if pos is not None and pos.size != 0:
            state = state_of(acct, self.market_symbol, 0.0, self.book.reserve_balance())
            health = float(state.health) * 100.0
            if self.min_health_pct is None or health < self.min_health_pct:
                self.min_health_pct = health
