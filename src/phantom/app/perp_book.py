"""The funding engine's perp account in its ledger vault, for any :class:`PerpVenue`.

The ledger books fills of journaled intents and has no perp position type. So the venue keeps the
position (size, entry, mark, unrealized PnL, margin, health) and the vault keeps the account's
**cash** as a token of its own: the quote (``USDC``) on a chain named after the venue
(``paper-perp`` in paper, ``perp-<exchange>`` live), cash valued at 1 USD. Every change of that
cash is a journaled entry, written ahead of the venue call where there is one, and booked as a
fill of that entry. Each entry books ``target - ledger balance``, where the target is what the
venue reports (Hummingbot-Gateway style: the venue's account, never a quote):

- **collateral** (``MarginIntent``) moves between ``source`` and the perp cash: a transfer (the
  paper venue's ``deposit`` / ``withdraw``, plus the host's network costs of one transaction)
  or, when the host allocates instead (a live venue whose account is funded beforehand), a move
  from the ``reserve`` (the account's cash not given to the engine) with no venue call;
- a perp order (``PerpIntent``): the cash's change, i.e. realised PnL minus the taker fee (costs:
  the fee the venue reports, the fill price against the engine's expected price); a venue refusal
  resolves the entry as ``rejected``; a transport failure asks the venue what became of the
  client id (``order_status``) and leaves the entry pending when it cannot tell;
- a funding payment the venue reports (``<engine>-funding-<venue id>``, once per payment id,
  across restarts);
- any other change of the venue's cash or position (a liquidation): ``<prefix>-venue-NNNNN``.

``target = venue cash - reserve balance`` where venue cash is the account value less the
positions' unrealized PnL; after every entry the vault's perp cash equals it exactly
(``matches``). Unrealized PnL is not cash and is not booked.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from phantom.backtest.funding.legs import perp_order, perp_outcome
from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, Route, SwapLeg
from phantom.core.token import Token
from phantom.engines.funding.events import MarginIntent, MarginOutcome, PerpIntent, PerpOutcome
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.venues.perps.base import (
    FundingPayment,
    PerpAccount,
    PerpFill,
    PerpOrderStatus,
    PerpVenue,
    PerpVenueError,
    units_value,
)

NO_COSTS = CostBreakdown()


class BookHost(Protocol):
    """What the book needs from the run that owns the vault."""

    name: str  # the engine (vault)
    prefix: str  # id prefix of the book's own entries
    ledger: Ledger

    def now(self) -> float: ...

    def available(self, token: Token) -> int: ...

    def prices(self) -> dict[str, Decimal]: ...

    def on_entry(self, costs: CostBreakdown, pnl: Decimal) -> None: ...

    def transfer_costs(self) -> tuple[list[tuple[Token, int]], CostBreakdown] | None:
        """Network costs of one collateral transfer; ``None``: collateral is allocated from the
        reserve, nothing moves."""
        ...


class PerpAccountBook:
    """Books the perp account's cash in ``host``'s vault (see the module docstring)."""

    def __init__(
        self,
        host: BookHost,
        venue: PerpVenue,
        market: str,
        source: Token,
        cash: Token,
        reserve: Token | None = None,
    ) -> None:
        self.host, self.venue, self.market = host, venue, market
        self.source, self.cash, self.reserve = source, cash, reserve
        self.account_id = f"perp:{venue.name}/{market}"
        self._seq = 0
        self.funding_earned = 0  # quote units, received - paid
        self.settlements = 0
        self.fees = 0
        self.margin_moves = 0
        self.liquidations = 0
        self.unbooked = 0  # venue cash below the reserve cannot be booked (never seen so far)
        self.position = 0  # the venue's position after the last entry (base units)

    # --- balances ------------------------------------------------------------------------------
    def venue_cash(self, acct: PerpAccount | None = None) -> int:
        acct = acct if acct is not None else self.venue.account()
        return acct.collateral - sum(p.unrealized_pnl for p in acct.positions)

    def balance(self) -> int:
        return self.host.available(self.cash)

    def reserve_balance(self) -> int:
        return 0 if self.reserve is None else self.host.available(self.reserve)

    def target(self, acct: PerpAccount | None = None) -> tuple[int, int]:
        """``(collateral, reserve)`` the vault should hold: the venue's cash less the reserve;
        a loss beyond the engine's collateral comes out of the reserve (the account is cross
        margin), and cash below zero cannot be booked (``unbooked``)."""
        cash, reserve = self.venue_cash(acct), self.reserve_balance()
        self.unbooked = max(0, -cash)
        if cash >= reserve:
            return cash - reserve, reserve
        return 0, max(0, cash)

    def matches(self) -> bool:
        return (self.balance(), self.reserve_balance()) == self.target()

    # --- collateral ----------------------------------------------------------------------------
    def margin(self, intent: MarginIntent) -> MarginOutcome:
        amount, into = intent.amount, intent.amount > 0
        costs = self.host.transfer_costs()
        source = self.source if costs is not None or self.reserve is None else self.reserve
        have = self.host.available(source) if into else self.balance()
        if costs is None and have < abs(amount):  # allocation: only what is there
            why = "the reserve is short" if into else "the collateral's cash is short"
            return MarginOutcome(intent.intent_id, False, amount, why)
        if into and costs is not None and have < amount:
            return MarginOutcome(intent.intent_id, False, amount, "insufficient cash")
        legs = (source, self.cash) if into else (self.cash, source)
        entry = self._journal(intent.intent_id, legs, abs(amount), intent.reason)
        deltas = [(source, -amount), (self.cash, amount)]
        if costs is None:
            self._record(entry, deltas, NO_COSTS, Decimal(0), "collateral allocated")
        else:
            try:
                self.venue.deposit(amount) if into else self.venue.withdraw(-amount)
            except PerpVenueError as exc:
                self.reject(entry.intent_id, str(exc))
                return MarginOutcome(intent.intent_id, False, amount, str(exc))
            fees, network = costs
            self._record(entry, deltas + fees, network, -network.network, "collateral transfer")
        self.margin_moves += 1
        return MarginOutcome(intent.intent_id, True, amount)

    # --- orders --------------------------------------------------------------------------------
    def perp(self, intent: PerpIntent) -> PerpOutcome:
        entry = self.journal_order(intent)
        slip0 = self._slippage_counter()
        try:
            fill = self.venue.place_order(perp_order(intent))
        except PerpVenueError as exc:  # sent or not? ask the venue by client id
            try:
                found = self.venue.order_status(intent.market, intent.intent_id)
            except PerpVenueError:
                return PerpOutcome(
                    intent.intent_id, 0, Decimal(0), Decimal(0), f"unresolved: {exc}"
                )
            if found is None:
                self.reject(entry.intent_id, f"venue: {exc}")
                return PerpOutcome(intent.intent_id, 0, Decimal(0), Decimal(0), str(exc))
            fill = found
        try:
            return self.book_order(intent, fill, slip0)
        except PerpVenueError as exc:  # sent, not booked: the entry stays pending, asked again
            return PerpOutcome(intent.intent_id, 0, Decimal(0), Decimal(0), f"unresolved: {exc}")

    def journal_order(self, intent: PerpIntent) -> OrderIntent:
        notional = self.cash.to_units(intent.notional_usd)
        tags = (f"perp={intent.side.value}", f"size={intent.size}", f"px={intent.expected_price}")
        return self._journal(intent.intent_id, (self.cash, self.cash), max(1, notional),
                             intent.reason, tags=tags)  # fmt: skip

    def book_order(
        self, intent: PerpIntent, fill: PerpFill, slip0: int | None = None
    ) -> PerpOutcome:
        """Book what the venue did with ``intent``'s order (its entry is journaled)."""
        outcome = perp_outcome(intent, fill, self.cash)
        if fill.status is PerpOrderStatus.REJECTED:
            self.reject(intent.intent_id, f"venue: {fill.reason}")
            return outcome
        slip = self._slippage_counter()
        if slip is not None and slip0 is not None:
            slippage = self.cash.to_decimal(slip - slip0)
        else:
            off = fill.avg_price - intent.expected_price if fill.filled else Decimal(0)
            slippage = abs(
                self.cash.to_decimal(units_value(fill.filled, intent.base, off, self.cash))
            )
        costs = CostBreakdown(fee=self.cash.to_decimal(fill.fee), slippage=slippage)
        notional = max(1, self.cash.to_units(intent.notional_usd))
        self.book_change(intent.intent_id, costs, f"perp {fill.status.value}", notional)
        self.fees += fill.fee
        return outcome

    def _slippage_counter(self) -> int | None:
        """The paper venue counts fill slippage against its own reference price."""
        counter = getattr(self.venue, "slippage_paid", None)
        return counter if isinstance(counter, int) else None

    # --- venue-reported changes ----------------------------------------------------------------
    def funding_payment(self, payment: FundingPayment) -> bool:
        """Book a payment the venue reports, once per payment id; False if already booked."""
        entry_id = f"{self.host.name}-funding-{payment.payment_id}"  # the same id after restarts
        if self.host.ledger.intent(entry_id) is not None:
            return False
        tags = (f"payment={payment.amount}", f"paid_at={payment.ts}")
        units = max(1, abs(payment.amount))
        acct = self.venue.account()  # read first: nothing can fail between journal and fill
        self._journal(entry_id, (self.cash, self.cash), units,
                      f"funding payment {payment.amount}", tags=tags)  # fmt: skip
        self.funding_earned += payment.amount
        self.settlements += 1
        self.book_change(entry_id, NO_COSTS, "funding settlement", units, acct)
        return True

    def external(self, reason: str, costs: CostBreakdown = NO_COSTS) -> str:
        """Book a change the engine did not cause (a liquidation)."""
        self._seq += 1
        entry_id = f"{self.host.prefix}-venue-{self._seq:05d}"
        while self.host.ledger.intent(entry_id) is not None:
            self._seq += 1
            entry_id = f"{self.host.prefix}-venue-{self._seq:05d}"
        self._journal(entry_id, (self.cash, self.cash), 1, reason)
        self.book_change(entry_id, costs, reason, 1)
        return entry_id

    def journal_marker(self, entry_id: str, tag: str) -> str:
        """A journal entry that moves nothing (resolved by the caller): a fact to keep."""
        self._journal(entry_id, (self.cash, self.cash), 1, "marker", tags=(tag,))
        return entry_id

    def book_change(
        self,
        entry_id: str,
        costs: CostBreakdown,
        note: str,
        amount_in: int,
        acct: PerpAccount | None = None,
    ) -> None:
        """Book ``target - balance`` as the fill of the journaled entry ``entry_id`` (from
        ``acct`` when the account was read already)."""
        cash0, reserve0 = self.balance(), self.reserve_balance()
        acct = acct if acct is not None else self.venue.account()
        cash, reserve = self.target(acct)
        pos = acct.position(self.market)
        self.position = 0 if pos is None else pos.size
        changes = [(self.cash, cash - cash0)]
        if self.reserve is not None:
            changes.append((self.reserve, reserve - reserve0))
        pnl = self.cash.to_decimal(cash - cash0 + reserve - reserve0)
        self._record_id(entry_id, changes, costs, pnl, note, amount_in)

    # --- journal and fills ---------------------------------------------------------------------
    def _journal(
        self,
        intent_id: str,
        tokens: tuple[Token, Token],
        amount: int,
        reason: str,
        tags: tuple[str, ...] = (),
    ) -> OrderIntent:
        entry = OrderIntent(
            intent_id=intent_id,
            engine=self.host.name,
            kind=IntentKind.SWAP,
            created_at=self.host.now(),
            legs=(SwapLeg(self.account_id, tokens[0], tokens[1]),),
            amount_in=amount,
            min_amount_out=0,
            expected_amount_out=amount,
            expected_profit_usd=Decimal(0),
            expected_costs=NO_COSTS,
            notional_usd=self.cash.to_decimal(amount),
            slippage_bps=0,
            route=Route.PRIVATE,
            reason=reason,
            tags=("perp_account", *tags),
        )
        self.host.ledger.journal_intent(entry)  # write ahead, then act
        return entry

    def reject(self, intent_id: str, reason: str) -> None:
        self.host.ledger.resolve_intent(intent_id, IntentStatus.REJECTED, reason)

    def _record(
        self,
        entry: OrderIntent,
        changes: Sequence[tuple[Token, int]],
        costs: CostBreakdown,
        pnl: Decimal,
        note: str,
    ) -> None:
        self._record_id(entry.intent_id, changes, costs, pnl, note, entry.amount_in)

    def _record_id(
        self,
        intent_id: str,
        changes: Sequence[tuple[Token, int]],
        costs: CostBreakdown,
        pnl: Decimal,
        note: str,
        amount_in: int,
    ) -> None:
        now = self.host.now()
        totals: dict[Token, int] = {}
        for token, amount in changes:
            totals[token] = totals.get(token, 0) + amount
        deltas = tuple(BalanceDelta(t, a) for t, a in totals.items() if a)
        moved = sum(a for t, a in totals.items() if t == self.cash)
        fill = Fill(
            fill_id=f"{intent_id}:fill",
            intent_id=intent_id,
            engine=self.host.name,
            status=FillStatus.FILLED,
            route=Route.PRIVATE,
            sent_at=now,
            arrived_at=now,
            amount_in=amount_in,
            amount_out=abs(moved),
            deltas=deltas,
            costs=costs,
            pnl_usd=pnl,
            notes=(f"perp account: {note}",),
        )
        self.host.ledger.record_fill(fill, self.host.prices())
        self.host.on_entry(costs, pnl)
