"""The paper perp venue: a deterministic cross-margin simulator fed with recorded or live marks
and funding rates (see ``docs/perp-venues.md``).

Model, per market:

- **Prices**: ``update_mark`` sets the mark; ``set_trade_price`` the last traded perp price,
  which market orders fill against (the mark when none was given), worse by ``slippage_bps``.
- **Fees**: a taker fee of ``taker_fee_bps`` of the filled notional, rounded up to a quote unit.
- **Funding**: ``settle_funding(rate)`` pays ``-size * mark * rate``: longs pay shorts when the
  rate is positive, shorts pay longs when it is negative.
- **Margin**: initial margin ``|size| * mark * initial_margin_ratio`` must be covered by the
  account value after an order that adds exposure (else the order is rejected); maintenance
  margin uses ``maintenance_margin_ratio``. Health = ``1 - maintenance / collateral``.
- **Liquidation**: when the account value falls below the maintenance margin, checked at the
  bar's worst price (``high`` for a short, ``low`` for a long) on each ``update_mark`` and after
  each funding settlement, the whole position is closed at that price and a penalty of
  ``liquidation_penalty_ratio`` of the closed notional is taken from what collateral remains
  (never below zero; a shortfall is recorded as bad debt).

No randomness and no clock: time is the ``ts`` of the last feed call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from phantom.core.token import Token
from phantom.venues.perps.base import (
    FundingPayment,
    FundingPrint,
    FundingRow,
    OrderType,
    PerpAccount,
    PerpFill,
    PerpMarket,
    PerpOrder,
    PerpOrderStatus,
    PerpPosition,
    PerpSide,
    PerpVenueError,
    units_value,
)
from phantom.venues.perps.paper_params import (
    BPS,
    FundingSettlement,
    Liquidation,
    PaperPerpParams,
)


@dataclass(slots=True)
class _Book:
    market: PerpMarket
    size: int = 0
    entry: Decimal = Decimal(0)
    mark: Decimal | None = None
    trade_price: Decimal | None = None
    open_interest_usd: Decimal | None = None
    volume_24h_usd: Decimal | None = None
    history: list[FundingPrint] = field(default_factory=list)


def _ceil_units(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


class PaperPerpVenue:
    """Implements :class:`phantom.venues.perps.base.PerpVenue` (every optional method too)."""

    name = "paper"

    def __init__(self, markets: Sequence[PerpMarket], params: PaperPerpParams) -> None:
        if not markets:
            raise ValueError("paper perp: at least one market")
        quotes = {m.quote for m in markets}
        if len(quotes) != 1:
            raise ValueError("paper perp: every market must settle in the same quote token")
        self.params = params
        self.quote: Token = markets[0].quote
        self._books = {m.symbol: _Book(m) for m in markets}
        self._cash = 0  # deposits - withdrawals + realised PnL + funding - fees - penalties
        self._now = 0.0
        self._seq = 0
        self.settlements: list[FundingSettlement] = []
        self.liquidations: list[Liquidation] = []
        self.fees_paid = 0
        self.slippage_paid = 0  # fill price against the reference price, quote units
        self._orders: dict[str, PerpFill] = {}  # client id -> fill (accepted orders only)

    # --- feeds ---------------------------------------------------------------------------------
    def update_mark(
        self,
        market: str,
        ts: float,
        price: Decimal,
        high: Decimal | None = None,
        low: Decimal | None = None,
    ) -> Liquidation | None:
        """Move the mark to ``price``; liquidate first if the bar's worst price breached."""
        book = self._book(market)
        if price <= 0:
            raise ValueError(f"{market}: mark must be > 0, got {price}")
        self._now = max(self._now, ts)
        liquidation = None
        if book.size != 0:
            worst = high if book.size < 0 else low
            if worst is not None and worst > 0:
                book.mark = worst
                liquidation = self._check_liquidation(book)
        book.mark = price
        if liquidation is None and book.size != 0:
            liquidation = self._check_liquidation(book)
        return liquidation

    def set_trade_price(self, market: str, price: Decimal) -> None:
        if price <= 0:
            raise ValueError(f"{market}: trade price must be > 0, got {price}")
        self._book(market).trade_price = price

    def set_stats(
        self, market: str, open_interest_usd: Decimal | None, volume_24h_usd: Decimal | None
    ) -> None:
        book = self._book(market)
        book.open_interest_usd, book.volume_24h_usd = open_interest_usd, volume_24h_usd

    def settle_funding(self, market: str, ts: float, rate: Decimal) -> FundingSettlement:
        """Settle one funding interval at the current mark."""
        book = self._book(market)
        mark = self._mark(book)
        self._now = max(self._now, ts)
        book.history.append(FundingPrint(market, ts, rate, book.market.funding_interval_s))
        value = Decimal(book.size).scaleb(-book.market.base.decimals) * mark * rate
        payment = -_ceil_units(value.scaleb(self.quote.decimals))  # what we pay rounds up
        self._cash += payment
        settlement = FundingSettlement(ts, market, rate, mark, book.size, payment)
        self.settlements.append(settlement)
        if book.size != 0:
            self._check_liquidation(book)
        return settlement

    def position_size(self, market: str) -> int:
        """The signed position in base units (cheaper than ``positions()``)."""
        return self._book(market).size

    # --- PerpVenue -----------------------------------------------------------------------------
    def markets(self) -> Sequence[PerpMarket]:
        return [b.market for b in self._books.values()]

    def funding_table(self, markets: Sequence[str] | None = None) -> list[FundingRow]:
        rows: list[FundingRow] = []
        for symbol in markets if markets is not None else list(self._books):
            book = self._book(symbol)
            if not book.history:
                continue
            last = book.history[-1]
            rows.append(
                FundingRow(
                    market=symbol,
                    rate=last.rate,
                    interval_s=last.interval_s,
                    mark_price=book.mark,
                    open_interest_usd=book.open_interest_usd,
                    volume_24h_usd=book.volume_24h_usd,
                    ts=last.ts,
                )
            )
        return rows

    def funding_history(
        self,
        market: str,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[FundingPrint]:
        rows = [
            p
            for p in self._book(market).history
            if (since is None or p.ts >= since) and (until is None or p.ts <= until)
        ]
        return rows[-limit:] if limit is not None else rows

    def mark_price(self, market: str) -> Decimal:
        return self._mark(self._book(market))

    def positions(self) -> list[PerpPosition]:
        out: list[PerpPosition] = []
        for book in self._books.values():
            if book.size == 0:
                continue
            out.append(
                PerpPosition(
                    market=book.market.symbol,
                    size=book.size,
                    entry_price=book.entry,
                    mark_price=book.mark,
                    unrealized_pnl=self._unrealized(book),
                    liquidation_price=None,
                )
            )
        return out

    def account(self) -> PerpAccount:
        return PerpAccount(
            quote=self.quote,
            collateral=self.equity(),
            maintenance_margin=self._margin(self.params.maintenance_margin_ratio),
            initial_margin=self._margin(self.params.initial_margin_ratio),
            positions=tuple(self.positions()),
            ts=self._now,
        )

    def place_order(self, order: PerpOrder) -> PerpFill:
        book = self._book(order.market)
        size = order.size
        if order.reduce_only:
            if book.size == 0 or book.size * order.side.sign > 0:
                return self._rejected(order, "reduce-only order with no position to reduce")
            size = min(size, abs(book.size))
        size = book.market.round_size(size)
        if size <= 0:
            return self._rejected(order, "size below the market's size step")
        ref = book.trade_price if book.trade_price is not None else self._mark(book)
        slip = self.params.slippage_bps / BPS
        price = ref * (1 + slip) if order.side is PerpSide.BUY else ref * (1 - slip)
        if order.order_type is OrderType.LIMIT:
            assert order.limit_price is not None
            marketable = (
                price <= order.limit_price
                if order.side is PerpSide.BUY
                else price >= order.limit_price
            )
            if not marketable:
                return self._rejected(order, "paper: resting limit orders are not simulated")
        base, quote = book.market.base, self.quote
        notional = Decimal(size).scaleb(-base.decimals) * price
        fee = _ceil_units((notional * self.params.taker_fee_bps / BPS).scaleb(quote.decimals))
        signed = order.side.sign * size
        if not order.reduce_only and abs(book.size + signed) > abs(book.size):
            realized = self._realized(book, signed, price)
            saved = (book.size, book.entry)
            self._apply(book, signed, price)
            ok = self.equity() + realized - fee >= self._margin(self.params.initial_margin_ratio)
            book.size, book.entry = saved
            if not ok:
                return self._rejected(order, "insufficient margin for the order")
        self._cash += self._realized(book, signed, price) - fee
        self._apply(book, signed, price)
        self.fees_paid += fee
        self.slippage_paid += abs(units_value(size, base, price - ref, quote))
        self._seq += 1
        fill = PerpFill(
            client_id=order.client_id,
            order_id=f"paper-{self._seq}",
            market=order.market,
            side=order.side,
            status=PerpOrderStatus.FILLED,
            requested=order.size,
            filled=size,
            avg_price=price,
            fee=fee,
            ts=self._now,
        )
        self._orders[order.client_id] = fill
        return fill

    def cancel_order(self, market: str, order_id: str) -> bool:
        self._book(market)
        return False  # market orders fill at once; nothing rests

    def order_status(self, market: str, client_id: str) -> PerpFill | None:
        self._book(market)
        fill = self._orders.get(client_id)
        return fill if fill is not None and fill.market == market else None

    def funding_payments(self, market: str, since: float | None = None) -> list[FundingPayment]:
        """Settlements that paid or charged the account (a position was open), with their
        index in ``settlements`` as the id."""
        self._book(market)
        return [
            FundingPayment(f"paper-funding-{i}", market, s.ts, s.payment)
            for i, s in enumerate(self.settlements)
            if s.market == market and s.size != 0 and (since is None or s.ts >= since)
        ]

    def deposit(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"deposit must be > 0, got {amount}")
        self._cash += amount

    def withdraw(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"withdraw must be > 0, got {amount}")
        free = self.equity() - self._margin(self.params.initial_margin_ratio)
        if amount > min(free, self._cash):
            raise PerpVenueError(
                f"withdraw {amount}: only {max(0, min(free, self._cash))} quote units are free"
            )
        self._cash -= amount

    # --- accounting ----------------------------------------------------------------------------
    def equity(self) -> int:
        return self._cash + sum(self._unrealized(b) for b in self._books.values())

    def _book(self, market: str) -> _Book:
        try:
            return self._books[market]
        except KeyError:
            raise PerpVenueError(f"paper perp: unknown market {market!r}") from None

    def _mark(self, book: _Book) -> Decimal:
        if book.mark is None:
            raise PerpVenueError(f"paper perp: no mark price yet for {book.market.symbol}")
        return book.mark

    def _unrealized(self, book: _Book) -> int:
        if book.size == 0:
            return 0
        return units_value(book.size, book.market.base, self._mark(book) - book.entry, self.quote)

    def _margin(self, ratio: Decimal) -> int:
        total = Decimal(0)
        for b in self._books.values():
            if b.size != 0:
                total += Decimal(abs(b.size)).scaleb(-b.market.base.decimals) * self._mark(b)
        return _ceil_units((total * ratio).scaleb(self.quote.decimals))

    def _realized(self, book: _Book, signed: int, price: Decimal) -> int:
        """PnL realised by trading ``signed`` units at ``price`` against the open position."""
        if book.size == 0 or book.size * signed > 0:
            return 0
        closing = min(abs(signed), abs(book.size))
        direction = 1 if book.size > 0 else -1
        return units_value(direction * closing, book.market.base, price - book.entry, self.quote)

    @staticmethod
    def _apply(book: _Book, signed: int, price: Decimal) -> None:
        old = book.size
        new = old + signed
        if old == 0 or old * signed > 0:  # open or add: volume-weighted entry
            book.entry = (book.entry * abs(old) + price * abs(signed)) / abs(new)
        elif new == 0:
            book.entry = Decimal(0)
        elif old * new < 0:  # flipped: the remainder opens at the fill price
            book.entry = price
        book.size = new

    def _check_liquidation(self, book: _Book) -> Liquidation | None:
        if book.size == 0:
            return None
        if self.equity() >= self._margin(self.params.maintenance_margin_ratio):
            return None
        price = self._mark(book)
        closed = book.size
        realized = self._realized(book, -closed, price)
        self._cash += realized
        self._apply(book, -closed, price)
        notional = Decimal(abs(closed)).scaleb(-book.market.base.decimals) * price
        due = _ceil_units(
            (notional * self.params.liquidation_penalty_ratio).scaleb(self.quote.decimals)
        )
        penalty = min(due, max(0, self._cash))
        self._cash -= penalty
        bad_debt = 0
        if self._cash < 0:
            bad_debt, self._cash = -self._cash, 0
        liquidation = Liquidation(
            self._now, book.market.symbol, closed, price, realized, penalty, bad_debt
        )
        self.liquidations.append(liquidation)
        return liquidation

    def _rejected(self, order: PerpOrder, reason: str) -> PerpFill:
        return PerpFill(
            client_id=order.client_id,
            order_id="",
            market=order.market,
            side=order.side,
            status=PerpOrderStatus.REJECTED,
            requested=order.size,
            filled=0,
            avg_price=Decimal(0),
            fee=0,
            ts=self._now,
            reason=reason,
        )
