"""The live funding run's perp leg: what the venue reports (settled prints, the account's funding
payments, its position), restart reconciliation of journaled perp-account entries, and the
engine's state rebuilt after a restart.

**Payments.** Each funding payment the venue lists (``funding_payments``) is booked once, by its
venue id. Payments the venue made before the vault was opened are part of the opening deposit:
the first start journals a marker entry (``<engine>-perp-opening``, resolved without a fill) whose
``paid_at`` tag is the last payment already in the deposit; nothing at or before it is booked.

**Restart** (before anything new is sent), for each pending perp-account entry: an order
(``perp=`` tag) is looked up by its client id (``order_status``): filled -> booked from the
account's cash now; refused or unknown to the venue -> rejected / abandoned. A funding payment or
venue change entry is booked from the cash now; a collateral allocation (a ledger move, nothing
at the venue) is abandoned. Booking is exactly once: the ledger refuses a second fill.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from decimal import Decimal

from phantom.app.perp_book import NO_COSTS, PerpAccountBook
from phantom.core.costs import CostBreakdown
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.engines.funding.engine import FundingEngine
from phantom.engines.funding.events import FundingRatePrint, PerpIntent, PerpOutcome
from phantom.portfolio.errors import DuplicateFill
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.venues.perps.base import PerpAccount, PerpOrderStatus, PerpVenueError


def tags_of(intent: OrderIntent) -> dict[str, str]:
    return dict(t.split("=", 1) for t in intent.tags if "=" in t)


class PerpLeg:
    """The venue side of one live funding run (see the module docstring)."""

    def __init__(self, book: PerpAccountBook, engine_name: str, interval_s: float) -> None:
        self.book, self.perp, self.market = book, book.venue, book.market
        self.ledger: Ledger = book.host.ledger
        self.engine_name, self.interval_s = engine_name, interval_s
        self.last_print_ts = -math.inf
        self.opening_ts = -math.inf  # payments at or before this are in the opening deposit
        self.paid_since = -math.inf  # the latest payment booked (the next fetch starts there)
        self.unresolved: dict[str, PerpIntent] = {}
        self.reconciled: Counter[str] = Counter()
        self.external_changes = 0

    # --- start -------------------------------------------------------------------------------
    def mark_opening(self, last: float) -> None:
        """First start: payments up to ``last`` are in the opening deposit."""
        entry = self.book.journal_marker(f"{self.engine_name}-perp-opening", f"paid_at={last!r}")
        self.ledger.resolve_intent(
            entry, IntentStatus.ABANDONED, "marker: earlier funding payments are in the deposit"
        )

    def load_since(self) -> None:
        """The opening marker's time and the latest payment booked (from the journal)."""
        for j in self.ledger.intents(self.engine_name):
            paid = tags_of(j.intent).get("paid_at")
            if "perp_account" not in j.intent.tags or paid is None:
                continue
            if j.intent_id == f"{self.engine_name}-perp-opening":
                self.opening_ts = float(paid)
            self.paid_since = max(self.paid_since, float(paid))

    def reconcile(self, pending: list[OrderIntent]) -> None:
        """Decide every pending perp-account entry (see the module docstring)."""
        for intent in pending:
            tags = tags_of(intent)
            action, reason = "abandon", "restart: a collateral allocation not booked; nothing moved"
            with contextlib.suppress(DuplicateFill):
                if "perp" in tags:
                    action, reason = self._reconcile_order(intent)
                elif "payment" in tags or "-venue-" in intent.intent_id:
                    self.book.book_change(intent.intent_id, NO_COSTS, "booked after a restart",
                                          intent.amount_in)  # fmt: skip
                    action, reason = "book", "restart: booked from the venue's cash"
                    self.book.funding_earned += int(tags.get("payment", "0"))
                else:
                    self.ledger.resolve_intent(intent.intent_id, IntentStatus.ABANDONED, reason)
            self.reconciled[action] += 1

    def _reconcile_order(self, intent: OrderIntent) -> tuple[str, str]:
        found = self.perp.order_status(self.market, intent.intent_id)
        if found is None:
            why = "restart: the venue has no order with this client id; never sent"
            self.ledger.resolve_intent(intent.intent_id, IntentStatus.ABANDONED, why)
            return "abandon", why
        if found.status is PerpOrderStatus.REJECTED or found.filled == 0:
            why = f"restart: the venue did not fill it ({found.status.value})"
            self.ledger.resolve_intent(intent.intent_id, IntentStatus.REJECTED, why)
            return "abandon", why
        costs = CostBreakdown(fee=self.book.cash.to_decimal(found.fee))
        note = f"perp {found.status.value} (order {found.order_id}, booked after a restart)"
        self.book.book_change(intent.intent_id, costs, note, intent.amount_in)
        return "book", "restart: filled at the venue, booked from the account's cash"

    # --- running -----------------------------------------------------------------------------
    def _print(self, ts: float, rate: Decimal) -> FundingRatePrint:
        return FundingRatePrint(ts, self.market, float(rate), self.interval_s)

    def lookback(self, limit: int) -> list[FundingRatePrint]:
        """The venue's last ``limit`` settled prints (the engine's look-back)."""
        prints = self.perp.funding_history(self.market, limit=limit)[-limit:]
        if prints:
            self.last_print_ts = prints[-1].ts
        return [self._print(p.ts, p.rate) for p in prints]

    def new_prints(self) -> list[FundingRatePrint]:
        since = None if math.isinf(self.last_print_ts) else self.last_print_ts
        fresh = [p for p in self.perp.funding_history(self.market, since=since)
                 if p.ts > self.last_print_ts]  # fmt: skip
        if fresh:
            self.last_print_ts = fresh[-1].ts
        return [self._print(p.ts, p.rate) for p in fresh]

    def sync_payments(self) -> int:
        """Book every payment the venue reports that is not booked yet; how many were."""
        since = None if math.isinf(self.paid_since) else self.paid_since
        booked = 0
        for p in self.perp.funding_payments(self.market, since=since):
            if p.ts <= self.opening_ts:
                continue
            if self.book.funding_payment(p):
                booked += 1
            self.paid_since = max(self.paid_since, p.ts)
        return booked

    def check_external(self, acct: PerpAccount) -> bool:
        """With nothing in flight, a position the book did not see change is the venue's doing
        (a liquidation): book the cash it moved."""
        pos = acct.position(self.market)
        size = 0 if pos is None else pos.size
        if size == self.book.position or self.unresolved:
            return False
        self.external_changes += 1
        if size == 0:
            self.book.liquidations += 1
        self.book.external(f"venue position {self.book.position} -> {size} (not ours)")
        return True

    def retry_unresolved(self) -> list[PerpOutcome]:
        """Ask the venue about orders whose sending failed; book or reject them."""
        out: list[PerpOutcome] = []
        for intent_id, intent in list(self.unresolved.items()):
            try:
                found = self.perp.order_status(self.market, intent_id)
                if found is None:
                    self.book.reject(intent_id, "the venue never accepted the order")
                    outcome = PerpOutcome(intent_id, 0, Decimal(0), Decimal(0), "never accepted")
                else:
                    outcome = self.book.book_order(intent, found)
            except PerpVenueError:
                continue  # asked again at the next poll
            del self.unresolved[intent_id]
            out.append(outcome)
        return out


def restore_engine(engine: FundingEngine, ledger: Ledger, base: Token, position: int) -> None:
    """After a restart: the spot leg is what the engine's own swaps left in the vault (its fills'
    ``base`` deltas; the opening deposit is not the engine's), the perp leg is the venue's
    position; the engine holds on only if both legs are there (else it closes what is left)."""
    spot = 0
    for fill in ledger.fills(engine.name):
        spot += sum(d.amount for d in fill.deltas if d.token == base)
    engine.spot_units = max(0, spot)
    engine.perp_units = position
    engine.want_open = position < 0 and engine.spot_units > 0
