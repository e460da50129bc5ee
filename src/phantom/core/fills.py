"""Fills: what an execution actually did, with its cost breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from phantom.core.costs import CostBreakdown
from phantom.core.orders import Route
from phantom.core.token import Token


class FillStatus(StrEnum):
    FILLED = "filled"
    PARTIAL = "partial"  # filled a fraction of the intent
    FAILED = "failed"  # landed and reverted, or dropped: network fees still paid


@dataclass(frozen=True, slots=True)
class BalanceDelta:
    """A signed change of one token's balance, in base units."""

    token: Token
    amount: int


@dataclass(frozen=True, slots=True)
class Fill:
    """The outcome of one intent. Realized amounts, never the quote.

    ``deltas`` lists every balance change the execution caused in the engine's vault, network
    fees in the native token included; the ledger books exactly these.
    """

    fill_id: str
    intent_id: str
    engine: str
    status: FillStatus
    route: Route
    sent_at: float
    arrived_at: float
    amount_in: int
    amount_out: int
    deltas: tuple[BalanceDelta, ...]
    costs: CostBreakdown
    pnl_usd: Decimal
    fill_fraction: Decimal = Decimal(1)
    sandwiched: bool = False
    failure_reason: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def succeeded(self) -> bool:
        return self.status is not FillStatus.FAILED
