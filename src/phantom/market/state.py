"""The current market as engines and the paper execution client see it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from phantom.core.events import PoolUpdate, PriceTick
from phantom.core.pool import Pool
from phantom.core.token import Token


class MarketView(Protocol):
    """Read-only market access. Prices are reference USD prices (floats: signal maths only)."""

    def pool(self, pool_id: str) -> Pool: ...

    def pools(self) -> Iterator[Pool]: ...

    def price_usd(self, token: Token) -> float: ...

    def is_volatile(self) -> bool: ...


class MarketState:
    """Pools by id and the latest reference price per symbol; updated from market events."""

    def __init__(self, pools: Iterable[Pool] = (), volatile: bool = False) -> None:
        self._pools: dict[str, Pool] = {p.pool_id: p for p in pools}
        self._prices: dict[str, float] = {}
        self._volatile = volatile
        self.last_ts: float = 0.0

    # --- updates ---
    def apply(self, event: PoolUpdate | PriceTick) -> None:
        if isinstance(event, PoolUpdate):
            self._pools[event.pool.pool_id] = event.pool
        else:
            if not event.price > 0:  # also rejects NaN
                raise ValueError(
                    f"price tick for {event.symbol}: price must be > 0, got {event.price}"
                )
            self._prices[event.symbol] = event.price
        self.last_ts = max(self.last_ts, event.ts)

    def set_pool(self, pool: Pool) -> None:
        self._pools[pool.pool_id] = pool

    def set_price(self, symbol: str, price: float) -> None:
        if not price > 0:
            raise ValueError(f"price for {symbol}: must be > 0, got {price}")
        self._prices[symbol] = price

    def set_volatile(self, volatile: bool) -> None:
        self._volatile = volatile

    # --- MarketView ---
    def pool(self, pool_id: str) -> Pool:
        try:
            return self._pools[pool_id]
        except KeyError:
            raise KeyError(f"unknown pool {pool_id}") from None

    def pools(self) -> Iterator[Pool]:
        return iter(self._pools.values())

    def price_usd(self, token: Token) -> float:
        try:
            return self._prices[token.symbol]
        except KeyError:
            raise KeyError(f"no reference price for {token.symbol}") from None

    def has_price(self, token: Token) -> bool:
        return token.symbol in self._prices

    def is_volatile(self) -> bool:
        return self._volatile
