"""The funding engine: hold spot long and perp short of equal size and collect funding.

Synchronous and pure: it takes :mod:`~phantom.engines.funding.events` (funding prints, price
snapshots, the perp account's state) and returns intents (spot swaps as ``OrderIntent``, perp
orders as ``PerpIntent``, collateral moves as ``MarginIntent``); outcomes come back through
``on_fill`` (spot), ``on_perp`` and ``on_margin``, refusals through ``on_rejected``. It never
reads a clock or does I/O. One decision at a time: while any intent is unresolved it waits.

Rules, in the order they are checked at each decision (``docs/engines/funding.md``):

1. exiting (funding negative for ``negative_exit_h``, a print below ``-hard_exit_apr_pct``
   APR, health below ``health_exit_pct``, an entry leg that failed, the venue reporting the
   short gone, ``request_exit``): close both legs, then withdraw the collateral;
2. flat: after each new print, open if the safety gate passes (``gate.safety_gate``);
3. open: move a reduction's spot proceeds into the collateral; if health is below
   ``health_reduce_pct``, shrink both legs back to ``perp_leverage``; if ``|delta|`` drifted past
   ``rebalance_threshold_pct``, trade the perp leg back to the spot holding.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from decimal import Decimal

from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.engines.base import EngineContext
from phantom.engines.funding.events import (
    FundingEvent,
    FundingIntent,
    FundingRatePrint,
    MarginIntent,
    MarginOutcome,
    PerpAccountState,
    PerpIntent,
    PerpOutcome,
    PerpSide,
    PriceSnapshot,
)
from phantom.engines.funding.gate import BPS, GateDecision, safety_gate
from phantom.engines.funding.orders import IntentFactory
from phantom.engines.funding.params import FundingParams
from phantom.engines.funding.stats import FundingStats, FundingStatus
from phantom.engines.funding.table import FundingTable, build_funding_table

YEAR_S = 365.0 * 24.0 * 3600.0
ENTRY_ROLES = frozenset({"spot_buy", "perp_open", "margin_in"})


class FundingEngine:
    """The delta-neutral funding engine (per-event API; see the module docstring)."""

    def __init__(self, params: FundingParams, id_prefix: str | None = None) -> None:
        self.params = params
        self.name = params.name
        self.stats = FundingStats()
        self.spot_units = 0  # base units held through this engine's spot fills
        self.perp_units = 0  # signed perp position, base units (negative: short)
        self.want_open = False
        self.exit_reason = ""
        self.funding_estimate_usd = Decimal(0)  # the engine's own tally: -position * mark * rate
        self._orders = IntentFactory(params, id_prefix or params.name)
        self._pending: dict[str, tuple[str, int]] = {}  # intent id -> (role, sign)
        self._rates: deque[float] = deque(maxlen=params.lookback_prints)
        self._interval_s = 8 * 3600.0
        self._neg_since: float | None = None
        self._last_exit: float | None = None
        self._entry_dirty = False
        self._relever_dirty = False
        self._prints: dict[str, FundingRatePrint] = {}
        self._ts = 0.0
        self._spot: Decimal | None = None
        self._mark: Decimal | None = None
        self._account: PerpAccountState | None = None
        self._proceeds = 0  # quote units a reduction's spot sale brought, still to deposit
        self.last_gate: GateDecision | None = None

    # --- events -------------------------------------------------------------------------------
    def on_event(self, event: FundingEvent, ctx: EngineContext) -> list[FundingIntent]:
        if isinstance(event, FundingRatePrint):
            self._prints[event.market] = event
            if event.market != self.params.market:
                return []
            self._on_print(event)
        elif isinstance(event, PriceSnapshot):
            if event.market != self.params.market:
                return []
            self._spot, self._mark = Decimal(repr(event.spot)), Decimal(repr(event.mark))
        else:
            self._account = event
            self._reconcile(event)
        self._ts = max(self._ts, event.ts)
        return self._decide(ctx)

    def _on_print(self, p: FundingRatePrint) -> None:
        self.stats.funding_prints += 1
        self._rates.append(p.rate)
        self._interval_s = p.interval_s
        self._entry_dirty = self._relever_dirty = True
        if self._mark is not None and self.perp_units:
            value = -Decimal(self.perp_units).scaleb(-self.params.base.decimals) * self._mark
            self.funding_estimate_usd += value * Decimal(repr(p.rate))
        self._neg_since = (self._neg_since or p.ts) if p.rate < 0 else None
        if not self.want_open:
            return
        apr_pct = p.rate * YEAR_S / p.interval_s * 100.0
        if apr_pct < -float(self.params.hard_exit_apr_pct):
            self._exit("funding_spike", p.ts)
        elif (
            self._neg_since is not None
            and p.ts - self._neg_since >= self.params.negative_exit_h * 3600
        ):
            self._exit("funding_negative", p.ts)

    def _reconcile(self, acct: PerpAccountState) -> None:
        """The venue is the truth about the perp position once nothing is in flight: a
        liquidation (or a manual trade) shows up here; a lost short is an exit."""
        if self._pending or acct.position == self.perp_units:
            return
        self.stats.reconciled += 1
        lost = acct.position == 0
        self.perp_units = acct.position
        if lost and self.want_open:
            self._exit("liquidated", acct.ts)

    def request_exit(self) -> None:
        """Close the position at the next decision (the dashboard's "leave position")."""
        if self.want_open:
            self._exit("requested", self._ts)

    def _exit(self, reason: str, ts: float) -> None:
        self.want_open = False
        self.exit_reason = reason
        self._last_exit = ts
        if reason == "entry_aborted":
            self.stats.entries_aborted += 1
            return
        self.stats.exits += 1
        counter = f"exits_{reason}"
        setattr(self.stats, counter, getattr(self.stats, counter) + 1)

    # --- decisions ----------------------------------------------------------------------------
    def _decide(self, ctx: EngineContext) -> list[FundingIntent]:
        if self._pending or self._spot is None or self._mark is None:
            return []
        if not self.want_open:
            if self.spot_units > 0 or self.perp_units != 0:
                return self._close_all(ctx)
            acct = self._account
            if acct is not None and acct.position == 0 and acct.collateral > 0:
                return [self._margin(-acct.collateral, "margin_out", "sweep collateral")]
            return self._try_entry(ctx)
        acct = self._account
        health = None if acct is None or acct.position == 0 else float(acct.health) * 100.0
        if health is not None and health < float(self.params.health_exit_pct):
            self._exit("health", self._ts)
            return self._close_all(ctx)
        if self._proceeds > 0:
            amount, self._proceeds = self._proceeds, 0
            return [self._margin(amount, "margin_reduce", "reduction proceeds to collateral")]
        if health is not None and health < float(self.params.health_reduce_pct):
            reduced = self._reduce(ctx)
            if reduced:
                return reduced
        return self._relever(ctx) or self._rebalance()

    def _try_entry(self, ctx: EngineContext) -> list[FundingIntent]:
        p = self.params
        if not self._entry_dirty:
            return []
        if self._last_exit is not None and self._ts - self._last_exit < p.reentry_cooldown_h * 3600:
            return []
        self._entry_dirty = False
        assert self._spot is not None and self._mark is not None
        quote_usd = self._quote_usd(ctx)
        cash = ctx.available.get(p.quote, 0) * int(p.capital_pct * 100) // 10_000
        capital = p.quote.to_decimal(cash) * quote_usd
        notional = capital / (1 + 1 / p.perp_leverage)
        if p.max_notional_usd is not None:
            notional = min(notional, p.max_notional_usd)
        if notional < p.min_notional_usd:
            self.stats.skipped_small += 1
            return []
        gate = safety_gate(notional, list(self._rates), self._interval_s, p)
        self.last_gate = gate
        if not gate.ok:
            self.stats.gate_refusals += 1
            return []
        spot_in = p.quote.to_units(notional / quote_usd)
        collateral = p.quote.to_units(notional / p.perp_leverage / quote_usd)
        size = self._orders.base_units(notional / self._spot)
        keep = 1 - (p.costs.spot_fee_bps + p.costs.spot_slippage_bps) / BPS
        short = self._orders.base_units(notional * keep / self._spot)
        if short <= 0 or spot_in <= 0 or collateral <= 0:
            self.stats.skipped_small += 1
            return []
        self.want_open, self.exit_reason = True, ""
        self._relever_dirty = False
        self.stats.entries += 1
        why = f"open: {gate.reason}"
        return [
            self._margin(collateral, "margin_in", "entry collateral"),
            self._spot_buy(spot_in, size, notional, gate.net_usd, why),
            self._perp(PerpSide.SELL, short, False, "perp_open", why),
        ]

    def _close_all(self, ctx: EngineContext) -> list[FundingIntent]:
        out: list[FundingIntent] = []
        why = f"close: {self.exit_reason or 'flatten'}"
        units = min(self.spot_units, ctx.available.get(self.params.base, self.spot_units))
        if units < self.spot_units:  # the vault holds less than we counted: sell what is there
            self.stats.reconciled += 1
            self.spot_units = units
        if units > 0:
            out.append(self._spot_sell(units, "spot_sell", why))
        if self.perp_units < 0:
            out.append(self._perp(PerpSide.BUY, -self.perp_units, True, "perp_close", why))
        elif self.perp_units > 0:
            out.append(self._perp(PerpSide.SELL, self.perp_units, True, "perp_close", why))
        return out

    def _reduce(self, ctx: EngineContext) -> list[FundingIntent]:
        """Shrink both legs so the collateral, with the spot proceeds, is back at leverage."""
        acct, p = self._account, self.params
        assert acct is not None and self._mark is not None
        hedge = min(self.spot_units, -self.perp_units)
        if hedge <= 0:
            return []
        quote_usd = self._quote_usd(ctx)
        notional = Decimal(hedge).scaleb(-p.base.decimals) * self._mark
        collateral = p.quote.to_decimal(acct.collateral) * quote_usd
        cut_usd = (notional / p.perp_leverage - collateral) / (1 + 1 / p.perp_leverage)
        if cut_usd < p.min_perp_order_usd:
            return []
        units = min(hedge, self._orders.base_units(cut_usd / self._mark))
        units = min(units, ctx.available.get(p.base, units))
        if units <= 0:
            return []
        self.stats.reduces += 1
        why = f"reduce: health {float(acct.health) * 100:.1f} % < {p.health_reduce_pct} %"
        return [
            self._spot_sell(units, "spot_reduce", why),
            self._perp(PerpSide.BUY, units, True, "perp_reduce", why),
        ]

    def _relever(self, ctx: EngineContext) -> list[FundingIntent]:
        """After the price fell, move excess collateral back into a bigger hedge (after a new
        print, and only if the safety gate passes for the added notional)."""
        p, acct = self.params, self._account
        if p.relever_min_pct is None or not self._relever_dirty or acct is None:
            return []
        self._relever_dirty = False
        assert self._spot is not None and self._mark is not None
        hedge = min(self.spot_units, -self.perp_units)
        if hedge <= 0 or acct.position == 0:
            return []
        quote_usd = self._quote_usd(ctx)
        notional = self._orders.value(hedge, self._mark)
        collateral = p.quote.to_decimal(acct.collateral) * quote_usd
        add = (collateral - notional / p.perp_leverage) / (1 + 1 / p.perp_leverage)
        if p.max_notional_usd is not None:
            add = min(add, p.max_notional_usd - notional)
        if add < max(p.min_notional_usd, notional * p.relever_min_pct / 100):
            return []
        gate = safety_gate(add, list(self._rates), self._interval_s, p)
        if not gate.ok:
            return []
        self.stats.relevers += 1
        keep = 1 - (p.costs.spot_fee_bps + p.costs.spot_slippage_bps) / BPS
        cash = p.quote.to_units(add / quote_usd)
        size = self._orders.base_units(add / self._spot)
        short = self._orders.base_units(add * keep / self._spot)
        why = f"relever: {add:.2f} USD of excess collateral back into the hedge"
        return [
            self._margin(-cash, "margin_relever", why),
            self._spot_buy(cash, size, add, gate.net_usd, why, "spot_relever"),
            self._perp(PerpSide.SELL, short, False, "perp_relever", why),
        ]

    def _rebalance(self) -> list[FundingIntent]:
        hedge = max(self.spot_units, -self.perp_units)
        delta = self.spot_units + self.perp_units
        if hedge <= 0 or delta == 0:
            return []
        assert self._mark is not None
        drift_pct = Decimal(abs(delta)) * 100 / hedge
        usd = Decimal(abs(delta)).scaleb(-self.params.base.decimals) * self._mark
        if drift_pct <= self.params.rebalance_threshold_pct or usd < self.params.min_perp_order_usd:
            return []
        self.stats.rebalances += 1
        why = f"rebalance: delta {delta} units ({drift_pct:.2f} % of the hedge)"
        if delta > 0:
            return [self._perp(PerpSide.SELL, delta, False, "perp_rebalance", why)]
        return [self._perp(PerpSide.BUY, -delta, True, "perp_rebalance", why)]

    # --- intents ------------------------------------------------------------------------------
    def _register(self, role: str, sign: int = 0) -> str:
        intent_id = self._orders.next_id()
        self._pending[intent_id] = (role, sign)
        return intent_id

    def _quote_usd(self, ctx: EngineContext) -> Decimal:
        try:
            return Decimal(repr(ctx.market.price_usd(self.params.quote)))
        except KeyError:
            return Decimal(1)

    def _spot_buy(
        self,
        amount_in: int,
        expected: int,
        notional: Decimal,
        profit: Decimal,
        why: str,
        role: str = "spot_buy",
    ) -> OrderIntent:
        self.stats.spot_orders += 1
        intent_id = self._register(role)
        return self._orders.spot_buy(
            intent_id, self._ts, amount_in, expected, notional, profit, why
        )

    def _spot_sell(self, units: int, role: str, why: str) -> OrderIntent:
        assert self._spot is not None
        self.stats.spot_orders += 1
        return self._orders.spot_sell(self._register(role), self._ts, units, self._spot, why)

    def _perp(self, side: PerpSide, size: int, reduce: bool, role: str, why: str) -> PerpIntent:
        assert self._mark is not None
        self.stats.perp_orders += 1
        intent_id = self._register(role, 1 if side is PerpSide.BUY else -1)
        return self._orders.perp(intent_id, self._ts, side, size, reduce, self._mark, why)

    def _margin(self, amount: int, role: str, why: str) -> MarginIntent:
        self.stats.margin_moves += 1
        return self._orders.margin(self._register(role), self._ts, amount, why)

    # --- outcomes -----------------------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        """A spot swap of this engine resolved."""
        entry = self._pending.pop(fill.intent_id, None)
        if entry is None:
            return
        role = entry[0]
        if not fill.succeeded:
            self.stats.failed += 1
            if role in ENTRY_ROLES and self.want_open:
                self._exit("entry_aborted", self._ts)
            return
        if role in ("spot_buy", "spot_relever"):
            self.spot_units += fill.amount_out
        else:
            self.spot_units = max(0, self.spot_units - fill.amount_in)
            if role == "spot_reduce":
                self._proceeds += fill.amount_out

    def on_perp(self, outcome: PerpOutcome) -> None:
        entry = self._pending.pop(outcome.intent_id, None)
        if entry is None:
            return
        role, sign = entry
        if not outcome.ok:
            self.stats.failed += 1
            if role in ENTRY_ROLES and self.want_open:
                self._exit("entry_aborted", self._ts)
            return
        self.perp_units += sign * outcome.filled

    def on_margin(self, outcome: MarginOutcome) -> None:
        entry = self._pending.pop(outcome.intent_id, None)
        if entry is not None and outcome.ok and self._account is not None:
            acct = self._account  # until the venue reports again, count the move ourselves
            self._account = replace(acct, collateral=acct.collateral + outcome.amount)
        if entry is not None and not outcome.ok:
            self.stats.failed += 1
            if entry[0] in ENTRY_ROLES and self.want_open:
                self._exit("entry_aborted", self._ts)

    def on_rejected(self, intent: FundingIntent, reason: str) -> None:
        entry = self._pending.pop(intent.intent_id, None)
        if entry is None:
            return
        self.stats.rejected += 1
        if entry[0] in ENTRY_ROLES and self.want_open:
            self._exit("entry_aborted", self._ts)

    # --- views --------------------------------------------------------------------------------
    def funding_table(self, top_n: int = 3) -> FundingTable:
        p = self.params
        return build_funding_table(self._prints.values(), p.costs, p.horizon_h, top_n)

    def status(self) -> FundingStatus:
        hedge = max(self.spot_units, -self.perp_units)
        delta = self.spot_units + self.perp_units
        acct = self._account
        return FundingStatus(
            open=self.want_open,
            spot_units=self.spot_units,
            perp_units=self.perp_units,
            delta_units=delta,
            delta_pct=abs(delta) * 100.0 / hedge if hedge else 0.0,
            health_pct=None if acct is None else float(acct.health) * 100.0,
            last_rate=self._rates[-1] if self._rates else None,
            expected_rate=sum(self._rates) / len(self._rates) if self._rates else None,
            funding_estimate_usd=self.funding_estimate_usd,
            last_gate="" if self.last_gate is None else self.last_gate.reason,
            exit_reason=self.exit_reason,
        )
