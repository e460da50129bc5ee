"""Parameters of the SMA crossover engine."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from phantom.core.orders import Route
from phantom.core.token import Token


@dataclass(frozen=True, slots=True)
class SmaParams:
    """SMA(``fast``) / SMA(``slow``) crossover on the bar closes, long or flat.

    - ``base`` / ``quote``: the traded asset and the cash it is bought with (SOL / USDT).
    - ``position_pct``: percent of the free quote balance spent on an entry.
    - ``max_notional_usd``: cap of an entry's size (``None``: no cap).
    - ``min_notional_usd``: an entry smaller than this is not sent (the account is too small).
    - ``slippage_bps``: the slippage bound each order enforces (``min_amount_out``).
    - ``liquidity_usd``: the venue's liquidity for the paper model's dynamic slippage model,
      attached to every intent as the ``liquidity_usd=<n>`` tag (``None``: no tag).
    - ``max_retries``: after a failed execution the engine re-sends at the next bar's close,
      at most this many times per signal, then waits for the next crossover.
    """

    base: Token
    quote: Token
    fast: int = 10
    slow: int = 50
    position_pct: Decimal = Decimal(100)
    max_notional_usd: Decimal | None = None
    min_notional_usd: Decimal = Decimal(1)
    slippage_bps: int = 200
    liquidity_usd: Decimal | None = None
    max_retries: int = 3
    route: Route = Route.PUBLIC
    name: str = "sma"

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValueError(f"sma: need 1 <= fast < slow, got fast={self.fast} slow={self.slow}")
        if not Decimal(0) < self.position_pct <= Decimal(100):
            raise ValueError(f"sma: position_pct must be in (0, 100], got {self.position_pct}")
        if self.max_notional_usd is not None and self.max_notional_usd <= 0:
            raise ValueError(f"sma: max_notional_usd must be > 0, got {self.max_notional_usd}")
        if self.min_notional_usd < 0:
            raise ValueError(f"sma: min_notional_usd must be >= 0, got {self.min_notional_usd}")
        if not 0 <= self.slippage_bps <= 10_000:
            raise ValueError(f"sma: slippage_bps must be 0..10000, got {self.slippage_bps}")
        if self.liquidity_usd is not None and self.liquidity_usd <= 0:
            raise ValueError(f"sma: liquidity_usd must be > 0, got {self.liquidity_usd}")
        if self.max_retries < 0:
            raise ValueError(f"sma: max_retries must be >= 0, got {self.max_retries}")
        if self.base == self.quote:
            raise ValueError("sma: base and quote must differ")
