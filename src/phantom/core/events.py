"""Market events an engine reacts to, and execution events published on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from phantom.core.fills import Fill
from phantom.core.orders import IntentKind, OrderIntent
from phantom.core.pool import Pool


@dataclass(frozen=True, slots=True)
class PoolUpdate:
    """A pool's state changed (a swap, a mint or burn, a new block)."""

    ts: float
    pool: Pool


@dataclass(frozen=True, slots=True)
class PriceTick:
    """A reference price (CEX or oracle) for a symbol, in USD."""

    ts: float
    symbol: str
    price: float


MarketEvent = PoolUpdate | PriceTick


@dataclass(frozen=True, slots=True)
class IntentRejected:
    """A risk gate (or the capital check) stopped an intent before it was sent."""

    ts: float
    intent: OrderIntent
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class IntentSent:
    """An intent was journaled and handed to the execution client."""

    ts: float
    intent: OrderIntent
    sandwich_risk_bps: Decimal


@dataclass(frozen=True, slots=True)
class FillBooked:
    """A fill was booked in the ledger."""

    ts: float
    fill: Fill
    kind: IntentKind
