"""Market events an engine reacts to."""

from __future__ import annotations

from dataclasses import dataclass

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
