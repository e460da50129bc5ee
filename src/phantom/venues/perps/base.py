"""The perpetual-futures venue interface: one shape for the paper simulator and real venues.

Amounts are exact integers: a position or order size is in base units of the market's ``base``
token (``Token.decimals`` says how to show it), collateral, fees, PnL and funding payments are in
base units of the market's ``quote`` (settlement) token. Prices are ``Decimal`` quote per whole
base token; funding rates are fractions per funding interval (``0.0001`` is 0.01 %), positive
when longs pay shorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Protocol

from phantom.core.token import Token

YEAR_S = Decimal(365 * 24 * 3600)  # APR uses a 365-day year, simple (not compounded)


class PerpVenueError(Exception):
    """A venue call failed (transport, authentication, an unexpected payload). Messages never
    carry credentials."""


class NotSupported(PerpVenueError):
    """The venue does not offer this optional method."""


class PerpSide(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is PerpSide.BUY else -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class PerpOrderStatus(StrEnum):
    FILLED = "filled"
    PARTIAL = "partial"
    OPEN = "open"  # accepted, resting (limit orders on a real venue)
    REJECTED = "rejected"  # refused by the venue (margin, size, reduce-only with no position)


def funding_apr(rate: Decimal, interval_s: float) -> Decimal:
    """Simple annualised rate of a funding ``rate`` paid every ``interval_s`` seconds."""
    if interval_s <= 0:
        raise ValueError(f"funding interval must be > 0 s, got {interval_s}")
    return rate * YEAR_S / Decimal(repr(float(interval_s)))


def units_value(units: int, base: Token, price: Decimal, quote: Token) -> int:
    """Quote base units worth ``units`` of ``base`` at ``price``, rounded toward minus infinity."""
    value = Decimal(units).scaleb(-base.decimals) * price
    return int(value.scaleb(quote.decimals).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True, slots=True)
class PerpMarket:
    """One perpetual market. ``symbol`` is the venue's unified name (ccxt: ``SOL/USDT:USDT``)."""

    symbol: str
    base: Token
    quote: Token
    funding_interval_s: float = 8 * 3600.0
    size_step: int = 1  # smallest size increment, base units
    max_leverage: Decimal | None = None

    def __post_init__(self) -> None:
        if self.funding_interval_s <= 0:
            raise ValueError(f"market {self.symbol}: funding_interval_s must be > 0")
        if self.size_step < 1:
            raise ValueError(f"market {self.symbol}: size_step must be >= 1")

    def round_size(self, units: int) -> int:
        """``units`` rounded down to the market's size step."""
        return units - units % self.size_step


@dataclass(frozen=True, slots=True)
class FundingRow:
    """One line of a venue's funding table."""

    market: str
    rate: Decimal  # per interval; > 0: longs pay shorts
    interval_s: float
    mark_price: Decimal | None = None
    open_interest_usd: Decimal | None = None
    volume_24h_usd: Decimal | None = None
    ts: float | None = None  # when the rate was read or settled (seconds)

    @property
    def apr(self) -> Decimal:
        return funding_apr(self.rate, self.interval_s)


@dataclass(frozen=True, slots=True)
class FundingPrint:
    """One settled funding rate (funding history)."""

    market: str
    ts: float
    rate: Decimal
    interval_s: float


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """One funding payment on the account (the venue's record of it): ``amount`` in quote base
    units, > 0 received, < 0 paid. ``payment_id`` is the venue's id, unique per account."""

    payment_id: str
    market: str
    ts: float
    amount: int


@dataclass(frozen=True, slots=True)
class PerpOrder:
    """A typed order. ``size`` > 0 in base units; ``side`` gives the direction."""

    client_id: str
    market: str
    side: PerpSide
    size: int
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    reduce_only: bool = False

    def __post_init__(self) -> None:
        if not self.client_id:
            raise ValueError("perp order: client_id must not be empty")
        if self.size <= 0:
            raise ValueError(f"perp order {self.client_id}: size must be > 0, got {self.size}")
        if self.order_type is OrderType.LIMIT and (
            self.limit_price is None or self.limit_price <= 0
        ):
            raise ValueError(f"perp order {self.client_id}: a limit order needs a price > 0")


@dataclass(frozen=True, slots=True)
class PerpFill:
    """What the venue did with an order. ``fee`` is in quote base units (> 0: paid)."""

    client_id: str
    order_id: str
    market: str
    side: PerpSide
    status: PerpOrderStatus
    requested: int
    filled: int
    avg_price: Decimal
    fee: int
    ts: float
    reason: str = ""

    @property
    def signed_filled(self) -> int:
        return self.side.sign * self.filled


@dataclass(frozen=True, slots=True)
class PerpPosition:
    """An open position; ``size`` is signed (negative: short), in base units."""

    market: str
    size: int
    entry_price: Decimal
    mark_price: Decimal | None
    unrealized_pnl: int  # quote base units
    liquidation_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PerpAccount:
    """The margin account. ``collateral`` is the account value in quote base units: deposits,
    realised and unrealised PnL, funding, less fees (what liquidation compares against)."""

    quote: Token
    collateral: int
    maintenance_margin: int
    initial_margin: int
    positions: tuple[PerpPosition, ...]
    ts: float

    @property
    def health(self) -> Decimal:
        """``1 - maintenance / collateral`` clamped to [0, 1]; 1 without a position, 0 at or
        below liquidation."""
        if self.maintenance_margin <= 0:
            return Decimal(1)
        if self.collateral <= 0:
            return Decimal(0)
        h = 1 - Decimal(self.maintenance_margin) / Decimal(self.collateral)
        return min(Decimal(1), max(Decimal(0), h))

    @property
    def health_pct(self) -> Decimal:
        return self.health * 100

    @property
    def free_collateral(self) -> int:
        return max(0, self.collateral - self.initial_margin)

    def position(self, market: str) -> PerpPosition | None:
        for p in self.positions:
            if p.market == market:
                return p
        return None


class PerpVenue(Protocol):
    """A perpetual-futures venue (the NautilusTrader adapter shape: each method says whether a
    venue must provide it).

    Required:

    - ``name`` (attribute): the venue's id (``paper``, ``hyperliquid``, ``binanceusdm``...).
    - ``markets() -> Sequence[PerpMarket]``: the markets this venue is configured to trade.
    - ``funding_table(markets=None) -> list[FundingRow]``: per market the current funding rate
      per interval, its interval, APR, mark price, open interest and 24 h volume in USD (the
      last three ``None`` when the venue does not publish them).
    - ``mark_price(market) -> Decimal``: the current mark price.
    - ``account() -> PerpAccount``: collateral, maintenance and initial margin, positions; its
      ``health`` is ``1 - maintenance / collateral``.
    - ``positions() -> list[PerpPosition]``: open positions (signed sizes).
    - ``place_order(order) -> PerpFill``: send a typed order; a venue refusal (margin, size,
      reduce-only without a position) comes back as a ``REJECTED`` fill with a reason, a
      transport or authentication failure raises :class:`PerpVenueError`.

    Optional (raise :class:`NotSupported` when absent):

    - ``funding_history(market, since=None, until=None, limit=None) -> list[FundingPrint]``:
      settled rates, oldest first.
    - ``cancel_order(market, order_id) -> bool``: cancel a resting order; ``False`` when
      there was nothing to cancel.
    - ``order_status(market, client_id) -> PerpFill | None``: what became of the order sent
      with ``client_id`` (``None``: the venue never accepted it), to reconcile after a crash.
    - ``funding_payments(market, since=None) -> list[FundingPayment]``: the account's own
      funding payments (received or paid), oldest first.
    - ``deposit(amount) -> None`` / ``withdraw(amount) -> None``: move collateral (quote base
      units) between the engine's wallet and the margin account.
    """

    name: str

    def markets(self) -> Sequence[PerpMarket]: ...

    def funding_table(self, markets: Sequence[str] | None = None) -> list[FundingRow]: ...

    def mark_price(self, market: str) -> Decimal: ...

    def account(self) -> PerpAccount: ...

    def positions(self) -> list[PerpPosition]: ...

    def place_order(self, order: PerpOrder) -> PerpFill: ...

    def funding_history(
        self,
        market: str,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[FundingPrint]: ...

    def cancel_order(self, market: str, order_id: str) -> bool: ...

    def order_status(self, market: str, client_id: str) -> PerpFill | None: ...

    def funding_payments(self, market: str, since: float | None = None) -> list[FundingPayment]: ...

    def deposit(self, amount: int) -> None: ...

    def withdraw(self, amount: int) -> None: ...
