"""The funding engine's perp account in its ledger vault.

The ledger books fills of journaled intents; it has no perp position type. So the paper perp
venue keeps the position (size, entry, mark, unrealized PnL, margin, health), and the vault
keeps the account's **cash** as a token of its own: ``USDC`` on chain ``paper-perp`` (cash,
valued at 1 USD, like the wallet's USDC). Every change of that cash is a journaled entry, written
ahead of the venue call where there is one, and booked as a fill of that entry:

- collateral in / out (``MarginIntent``): wallet USDC -> perp USDC (or back), plus the network
  fee of one Solana transaction in SOL (gas and priority fee in the costs);
- a perp order (``PerpIntent``): the perp cash's change, i.e. realised PnL minus the taker fee
  (costs: ``fee`` = taker fee, ``slippage`` = fill price against the mark); a venue refusal
  resolves the entry as ``rejected``;
- a funding settlement with a position open (``<prefix>-funding-NNNNN``): the payment received
  (or paid), its PnL;
- a liquidation (``<prefix>-liquidation-NNNNN``, booked once the venue reports it): realised PnL
  minus the penalty.

Each entry books ``venue cash - ledger balance``, so after every entry the vault's perp USDC
equals the venue's cash exactly (checked as ``ledger_matches_venue``). Unrealized PnL is not
cash and is not booked; the summary adds it to the vault's equity.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from phantom.backtest.funding.legs import perp_order, perp_outcome
from phantom.core.costs import CostBreakdown
from phantom.core.fees import solana_fees
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, Route, SwapLeg
from phantom.core.token import Token
from phantom.engines.funding.events import MarginIntent, MarginOutcome, PerpIntent, PerpOutcome
from phantom.portfolio.models import IntentStatus
from phantom.venues.perps.base import PerpOrderStatus, PerpVenueError
from phantom.venues.perps.paper import PaperPerpVenue
from phantom.venues.perps.paper_params import Liquidation

if TYPE_CHECKING:
    from phantom.app.paper_slots import EngineSlot

PERP_CHAIN = "paper-perp"
_NO_COSTS = CostBreakdown()


def perp_cash(wallet: Token) -> Token:
    """The perp account's cash as a vault token: the wallet's stablecoin on ``paper-perp``."""
    return Token(wallet.symbol, wallet.decimals, chain=PERP_CHAIN)


class PerpAccountBook:
    """Books the perp account's cash changes in ``slot``'s vault (see the module docstring)."""

    def __init__(self, slot: EngineSlot, venue: PaperPerpVenue, market: str, wallet: Token) -> None:
        self.slot = slot
        self.venue = venue
        self.market = market
        self.wallet = wallet
        self.cash = perp_cash(wallet)
        self.account_id = f"perp:{venue.name}/{market}"
        self._seq = 0
        self.funding_earned = 0  # quote units, received - paid
        self.settlements = 0
        self.fees = 0
        self.margin_moves = 0
        self.liquidations = 0
        self.unbooked = 0  # venue cash below zero cannot be booked (never seen so far)

    # --- balances ------------------------------------------------------------------------------
    def venue_cash(self) -> int:
        return self.venue.equity() - sum(p.unrealized_pnl for p in self.venue.positions())

    def balance(self) -> int:
        run = self.slot.run
        return run.capital.available(self.slot.name, self.cash)

    def matches(self) -> bool:
        return self.balance() == max(0, self.venue_cash())

    def restore(self) -> None:
        """After a restart: the venue is new, the vault still holds the old perp cash; put it
        back (the old position itself lived in memory and is gone)."""
        held = self.balance()
        if held > 0:
            self.venue.deposit(held)

    # --- entries -------------------------------------------------------------------------------
    def margin(self, intent: MarginIntent) -> MarginOutcome:
        amount = intent.amount
        into = amount > 0
        if into and self.slot.available(self.wallet)[self.wallet] < amount:
            return MarginOutcome(intent.intent_id, False, amount, "insufficient cash")
        legs = (self.wallet, self.cash) if into else (self.cash, self.wallet)
        entry = self._journal(intent.intent_id, legs, abs(amount), intent.reason)
        try:
            if into:
                self.venue.deposit(amount)
            else:
                self.venue.withdraw(-amount)
        except PerpVenueError as exc:
            self._reject(entry, str(exc))
            return MarginOutcome(intent.intent_id, False, amount, str(exc))
        run = self.slot.run
        fees = solana_fees(run.paper.params.fee_schedule, 1, private=False, landed=True)
        native = run.native
        sol_usd = Decimal(repr(run.market.price_usd(native)))
        costs = CostBreakdown(
            gas=native.to_decimal(fees.base) * sol_usd,
            priority_fee=native.to_decimal(fees.priority) * sol_usd,
        )
        deltas = [(self.wallet, -amount), (self.cash, amount), (native, -fees.total)]
        self._record(entry, deltas, costs, -costs.network, "collateral transfer")
        self.margin_moves += 1
        return MarginOutcome(intent.intent_id, True, amount)

    def perp(self, intent: PerpIntent) -> PerpOutcome:
        notional = self.cash.to_units(intent.notional_usd)
        entry = self._journal(
            intent.intent_id,
            (self.cash, self.cash),
            max(1, notional),
            intent.reason,
            tags=(f"perp={intent.side.value}", f"size={intent.size}"),
        )
        fees0, slip0, cash0 = self.venue.fees_paid, self.venue.slippage_paid, self.balance()
        fill = self.venue.place_order(perp_order(intent))
        outcome = perp_outcome(intent, fill, self.cash)
        if fill.status is PerpOrderStatus.REJECTED:
            self._reject(entry, f"venue: {fill.reason}")
            return outcome
        fee = self.venue.fees_paid - fees0
        self.fees += fee
        costs = CostBreakdown(
            fee=self.cash.to_decimal(fee),
            slippage=self.cash.to_decimal(self.venue.slippage_paid - slip0),
        )
        target = self._target()
        pnl = self.cash.to_decimal(target - cash0)
        self._record(entry, [(self.cash, target - cash0)], costs, pnl, f"perp {fill.status.value}")
        return outcome

    def settle(self, ts: float, rate: Decimal) -> int:
        """Settle one funding print on the venue; book it when a position pays or earns."""
        if self.venue.position_size(self.market) == 0:
            return self.venue.settle_funding(self.market, ts, rate).payment
        self._seq += 1
        entry_id = f"{self.slot.prefix}-funding-{self._seq:05d}"
        units = max(1, abs(self.venue.position_size(self.market)))
        entry = self._journal(entry_id, (self.cash, self.cash), units, f"funding rate {rate}")
        cash0 = self.balance()
        payment = self.venue.settle_funding(self.market, ts, rate).payment
        self.funding_earned += payment
        self.settlements += 1
        target = self._target()
        pnl = self.cash.to_decimal(target - cash0)
        self._record(entry, [(self.cash, target - cash0)], _NO_COSTS, pnl, "funding settlement")
        return payment

    def liquidation(self, liq: Liquidation) -> None:
        self._seq += 1
        self.liquidations += 1
        entry_id = f"{self.slot.prefix}-liquidation-{self._seq:05d}"
        entry = self._journal(entry_id, (self.cash, self.cash), max(1, abs(liq.size)), "liquidated")
        cash0 = self.balance()
        target = self._target()
        costs = CostBreakdown(fee=self.cash.to_decimal(liq.penalty))
        pnl = self.cash.to_decimal(target - cash0)
        self._record(entry, [(self.cash, target - cash0)], costs, pnl, "liquidation")

    # --- journal and fills ---------------------------------------------------------------------
    def _target(self) -> int:
        cash = self.venue_cash()
        if cash < 0:
            self.unbooked = -cash
        return max(0, cash)

    def _journal(
        self,
        intent_id: str,
        tokens: tuple[Token, Token],
        amount: int,
        reason: str,
        tags: tuple[str, ...] = (),
    ) -> OrderIntent:
        run = self.slot.run
        entry = OrderIntent(
            intent_id=intent_id,
            engine=self.slot.name,
            kind=IntentKind.SWAP,
            created_at=run.clock.now(),
            legs=(SwapLeg(self.account_id, tokens[0], tokens[1]),),
            amount_in=amount,
            min_amount_out=0,
            expected_amount_out=amount,
            expected_profit_usd=Decimal(0),
            expected_costs=_NO_COSTS,
            notional_usd=self.cash.to_decimal(amount),
            slippage_bps=0,
            route=Route.PRIVATE,
            reason=reason,
            tags=("perp_account", *tags),
        )
        run.ledger.journal_intent(entry)  # write ahead, then act
        return entry

    def _reject(self, entry: OrderIntent, reason: str) -> None:
        self.slot.run.ledger.resolve_intent(entry.intent_id, IntentStatus.REJECTED, reason)

    def _record(
        self,
        entry: OrderIntent,
        changes: Sequence[tuple[Token, int]],
        costs: CostBreakdown,
        pnl: Decimal,
        note: str,
    ) -> None:
        run = self.slot.run
        now = run.clock.now()
        totals: dict[Token, int] = {}
        for token, amount in changes:
            totals[token] = totals.get(token, 0) + amount
        deltas = tuple(BalanceDelta(t, a) for t, a in totals.items() if a)
        moved = sum(a for t, a in totals.items() if t == self.cash)
        fill = Fill(
            fill_id=f"{entry.intent_id}:fill",
            intent_id=entry.intent_id,
            engine=self.slot.name,
            status=FillStatus.FILLED,
            route=entry.route,
            sent_at=now,
            arrived_at=now,
            amount_in=entry.amount_in,
            amount_out=abs(moved),
            deltas=deltas,
            costs=costs,
            pnl_usd=pnl,
            notes=(f"perp account: {note}",),
        )
        run.ledger.record_fill(fill, run.prices())
        self.slot.stats.on_entry(costs, pnl)
        run.stats.on_entry(costs, pnl)
