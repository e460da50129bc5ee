"""What the funding engine reacts to and what it asks for.

Spot legs are plain :class:`phantom.core.orders.OrderIntent` swaps. The perp leg and collateral
moves have no core type yet, so they are defined here in core's style (frozen, slotted, exact
integer amounts with their token): :class:`PerpIntent` and :class:`MarginIntent`, resolved by
:class:`PerpOutcome` and :class:`MarginOutcome`. They are candidates for ``phantom.core``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from phantom.core.orders import OrderIntent
from phantom.core.token import Token

# --- market events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FundingRatePrint:
    """A funding rate settled (or published) for ``market`` at ``ts``: ``rate`` per interval,
    positive when longs pay shorts. Open interest and 24 h volume feed the funding table."""

    ts: float
    market: str
    rate: float
    interval_s: float
    open_interest_usd: float | None = None
    volume_24h_usd: float | None = None


@dataclass(frozen=True, slots=True)
class PriceSnapshot:
    """Spot and perp mark prices of the engine's instrument at ``ts`` (quote per base)."""

    ts: float
    market: str
    spot: float
    mark: float


@dataclass(frozen=True, slots=True)
class PerpAccountState:
    """The perp margin account as the venue reports it: ``collateral`` (account value) and
    ``maintenance`` in quote base units, the signed position in base units, and health."""

    ts: float
    collateral: int
    maintenance: int
    position: int
    health: Decimal


FundingEvent = FundingRatePrint | PriceSnapshot | PerpAccountState

# --- intents -----------------------------------------------------------------------------------


class PerpSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class PerpIntent:
    """A market order on the perp leg: ``size`` base units of ``base``; ``reduce_only`` never
    opens or flips a position. ``expected_*`` are the engine's estimates at signal time."""

    intent_id: str
    engine: str
    created_at: float
    market: str
    base: Token
    side: PerpSide
    size: int
    reduce_only: bool
    expected_price: Decimal
    notional_usd: Decimal
    expected_fee_usd: Decimal
    reason: str = ""

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ValueError(f"perp intent {self.intent_id}: size must be > 0")
        if self.expected_price <= 0:
            raise ValueError(f"perp intent {self.intent_id}: expected_price must be > 0")


@dataclass(frozen=True, slots=True)
class MarginIntent:
    """Move collateral: ``amount`` base units of ``token`` into the perp account (> 0) or out
    of it back to the engine's vault (< 0)."""

    intent_id: str
    engine: str
    created_at: float
    market: str
    token: Token
    amount: int
    reason: str = ""

    def __post_init__(self) -> None:
        if self.amount == 0:
            raise ValueError(f"margin intent {self.intent_id}: amount must not be 0")


FundingIntent = OrderIntent | PerpIntent | MarginIntent

# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PerpOutcome:
    """How a :class:`PerpIntent` ended: ``filled`` base units (0 when refused) at ``avg_price``."""

    intent_id: str
    filled: int
    avg_price: Decimal
    fee_usd: Decimal
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.filled > 0


@dataclass(frozen=True, slots=True)
class MarginOutcome:
    intent_id: str
    ok: bool
    amount: int
    reason: str = ""
