"""The funding engine's perp account in a paper run: :class:`PerpAccountBook` on the paper perp
venue, plus what only a simulator has (see :mod:`phantom.app.perp_book` for the booking rules).

- the vault's perp cash is ``USDC`` on chain ``paper-perp`` (:func:`perp_cash`);
- collateral moves are transfers between the wallet's USDC and the perp cash, each paying the
  network fee of one Solana transaction in SOL (gas and priority fee in the costs);
- funding settles when the run says so (``settle``: ``<prefix>-funding-NNNNN`` when a position
  pays or earns) and a liquidation is booked as the venue reports it
  (``<prefix>-liquidation-NNNNN``, realised PnL minus the penalty);
- after a restart the venue is new: ``restore`` puts the vault's perp cash back into it (the old
  position lived in memory and is gone).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from phantom.app.perp_book import NO_COSTS, PerpAccountBook
from phantom.core.costs import CostBreakdown
from phantom.core.fees import solana_fees
from phantom.core.token import Token
from phantom.portfolio.ledger import Ledger
from phantom.venues.perps.paper import PaperPerpVenue
from phantom.venues.perps.paper_params import Liquidation

if TYPE_CHECKING:
    from phantom.app.paper_slots import EngineSlot

PERP_CHAIN = "paper-perp"


def perp_cash(wallet: Token) -> Token:
    """The perp account's cash as a vault token: the wallet's stablecoin on ``paper-perp``."""
    return Token(wallet.symbol, wallet.decimals, chain=PERP_CHAIN)


class SlotHost:
    """A paper run's engine slot as the book's host."""

    def __init__(self, slot: EngineSlot) -> None:
        self.slot = slot
        self.name, self.prefix = slot.name, slot.prefix
        self.ledger: Ledger = slot.run.ledger

    def now(self) -> float:
        return self.slot.run.clock.now()

    def available(self, token: Token) -> int:
        return self.slot.run.capital.available(self.slot.name, token)

    def prices(self) -> dict[str, Decimal]:
        return self.slot.run.prices()

    def on_entry(self, costs: CostBreakdown, pnl: Decimal) -> None:
        self.slot.stats.on_entry(costs, pnl)
        self.slot.run.stats.on_entry(costs, pnl)

    def transfer_costs(self) -> tuple[list[tuple[Token, int]], CostBreakdown]:
        run = self.slot.run
        fees = solana_fees(run.paper.params.fee_schedule, 1, private=False, landed=True)
        native = run.native
        sol_usd = Decimal(repr(run.market.price_usd(native)))
        costs = CostBreakdown(
            gas=native.to_decimal(fees.base) * sol_usd,
            priority_fee=native.to_decimal(fees.priority) * sol_usd,
        )
        return [(native, -fees.total)], costs


class PaperPerpBook(PerpAccountBook):
    """The book on a :class:`PaperPerpVenue` (see the module docstring)."""

    def __init__(self, slot: EngineSlot, venue: PaperPerpVenue, market: str, wallet: Token):
        super().__init__(SlotHost(slot), venue, market, wallet, perp_cash(wallet))
        self.paper = venue

    def restore(self) -> None:
        """After a restart: the venue is new, the vault still holds the old perp cash; put it
        back (the old position itself lived in memory and is gone)."""
        held = self.balance()
        if held > 0:
            self.paper.deposit(held)

    def settle(self, ts: float, rate: Decimal) -> int:
        """Settle one funding print on the venue; book it when a position pays or earns."""
        if self.paper.position_size(self.market) == 0:
            return self.paper.settle_funding(self.market, ts, rate).payment
        entry_id = self._next_id("funding")
        units = max(1, abs(self.paper.position_size(self.market)))
        self._journal(entry_id, (self.cash, self.cash), units, f"funding rate {rate}")
        payment = self.paper.settle_funding(self.market, ts, rate).payment
        self.funding_earned += payment
        self.settlements += 1
        self.book_change(entry_id, NO_COSTS, "funding settlement", units)
        return payment

    def liquidation(self, liq: Liquidation) -> None:
        self.liquidations += 1
        entry_id = self._next_id("liquidation")
        units = max(1, abs(liq.size))
        self._journal(entry_id, (self.cash, self.cash), units, "liquidated")
        costs = CostBreakdown(fee=self.cash.to_decimal(liq.penalty))
        self.book_change(entry_id, costs, "liquidation", units)

    def _next_id(self, kind: str) -> str:
        self._seq += 1
        return f"{self.host.prefix}-{kind}-{self._seq:05d}"
