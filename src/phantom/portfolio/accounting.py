"""Position accounting: pure functions shared by the ledger (booking) and ``verify`` (replay).

Conventions (one vault per engine):

- **Cash** is the balance of USD-stable tokens (by symbol; USDC, USDT and USD unless the ledger
  is told otherwise). Cash is valued at 1 USD per whole token and has no position.
- **Positions** exist for every other token, the chain's native gas token included. A position
  holds a quantity (int base units), an average entry price (``Decimal`` USD per whole token)
  and the realized PnL (``Decimal`` USD).
- A **positive** change (a buy, a deposit) moves the average entry to the quantity-weighted mean of
  the old average and the price of the change.
- A **negative** change (a sell) realizes ``(price - avg_entry) * quantity`` at the price of the
  change; the average entry is unchanged, and resets to 0 when the position is closed.
- The price of a fill's change is the USD price per whole token the caller passes with the fill
  (``prices_usd`` by symbol): the market price at execution, not the effective price paid. What an
  execution lost against the market (slippage, MEV, LP fees) therefore does not show up in
  realized PnL; it shows up in the fill's ``CostBreakdown`` (kept as per-vault totals) and in
  equity, since the vault simply holds less.
- **Network fees** paid in the native token are negative deltas of that token like any other: they
  reduce the native position and realize ``(price - avg_entry) * fee`` at the fill's price. The
  USD value of the fee itself is not a realized loss; it is in the fill's ``gas`` /
  ``priority_fee`` / ``tip`` costs and in equity. The one complete PnL figure is
  ``equity(marks) - deposited_usd``.
- A fill's deltas are **netted per token** (in order of first appearance) before they are booked:
  a transaction is atomic, so a swap into SOL that also pays a SOL fee is one buy of the net
  amount. Booking a fill that would leave any balance negative is refused.

All arithmetic runs in one fixed decimal context (``ACCOUNTING``), independent of the caller's
thread context, so a replay from the journal reproduces the stored figures exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, FillStatus
from phantom.core.token import Token
from phantom.portfolio.codec import dec_dec, dec_int
from phantom.portfolio.errors import InsufficientBalance, TokenConflict

ACCOUNTING = Context(
    prec=40,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Holding:
    """The accounting state of one token in one vault."""

    quantity: int
    avg_entry_usd: Decimal
    realized_pnl_usd: Decimal


EMPTY_HOLDING = Holding(0, ZERO, ZERO)


def apply_change(holding: Holding, token: Token, amount: int, price_usd: Decimal) -> Holding:
    """Book a signed change of ``amount`` base units at ``price_usd`` per whole token."""
    if amount == 0:
        return holding
    with localcontext(ACCOUNTING):
        if amount > 0:
            quantity = holding.quantity + amount
            if holding.quantity == 0:
                avg = +price_usd
            else:
                weighted = holding.avg_entry_usd * holding.quantity + price_usd * amount
                avg = weighted / quantity
            return Holding(quantity, avg, holding.realized_pnl_usd)
        sold = -amount
        if sold > holding.quantity:
            raise InsufficientBalance(
                f"{token.key}: cannot remove {sold} base units from {holding.quantity}"
            )
        gain = ((price_usd - holding.avg_entry_usd) * sold).scaleb(-token.decimals)
        realized = holding.realized_pnl_usd + gain
        quantity = holding.quantity - sold
        avg = holding.avg_entry_usd if quantity else ZERO
        return Holding(quantity, avg, realized)


def net_deltas(deltas: Iterable[BalanceDelta]) -> list[tuple[Token, int]]:
    """Sum deltas per token, in order of first appearance, dropping tokens that net to zero."""
    tokens: dict[str, Token] = {}
    sums: dict[str, int] = {}
    for delta in deltas:
        key = delta.token.key
        known = tokens.setdefault(key, delta.token)
        if known != delta.token:
            raise TokenConflict(
                f"{key}: deltas disagree on the token: {known!r} vs {delta.token!r}"
            )
        sums[key] = sums.get(key, 0) + delta.amount
    return [(tokens[key], total) for key, total in sums.items() if total != 0]


def add_costs(total: CostBreakdown, costs: CostBreakdown) -> CostBreakdown:
    with localcontext(ACCOUNTING):
        return total + costs


def usd_value(token: Token, units: int, price_usd: Decimal) -> Decimal:
    """USD value of ``units`` base units at ``price_usd`` per whole token."""
    with localcontext(ACCOUNTING):
        return (price_usd * units).scaleb(-token.decimals)


def add_usd(a: Decimal, b: Decimal) -> Decimal:
    with localcontext(ACCOUNTING):
        return a + b


def sub_usd(a: Decimal, b: Decimal) -> Decimal:
    with localcontext(ACCOUNTING):
        return a - b


def check_price(symbol: str, price: Decimal) -> Decimal:
    """A price must be a finite, non-negative Decimal."""
    if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
        raise ValueError(f"price of {symbol} must be a finite Decimal >= 0, got {price!r}")
    return price


def fills_counter(status: FillStatus) -> str:
    return f"fills.{status.value}"


def costs_counter(kind: str) -> str:
    return f"costs.{kind}"


def count_fill(
    counters: Mapping[str, str], status: FillStatus, costs: CostBreakdown
) -> dict[str, str]:
    """The per-vault counters a fill changes: one more fill of its status, its costs by kind."""
    name = fills_counter(status)
    updated = {name: str(dec_int(counters.get(name, "0"), name) + 1)}
    with localcontext(ACCOUNTING):
        for kind, value in costs.as_dict().items():
            name = costs_counter(kind)
            updated[name] = str(dec_dec(counters.get(name, "0"), name) + value)
    return updated


def check_engine(engine: str) -> None:
    if not isinstance(engine, str) or not engine:
        raise ValueError(f"engine must be a non-empty string, got {engine!r}")


def check_deposit(token: Token, amount: int, price: Decimal) -> tuple[Token, int, Decimal]:
    if not isinstance(token, Token):
        raise ValueError(f"deposit token must be a Token, got {token!r}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"deposit of {token.symbol}: amount must be an int > 0, got {amount!r}")
    return token, amount, check_price(token.symbol, price)
