"""The backtest's vault, in memory: exact integer balances, reservations, round-trip trades.

It books what the ledger books (a fill's netted balance deltas, in integer base units, and its
cost breakdown by kind) without SQLite, so a million-bar run does not pay a disk transaction per
fill. Cost totals are exact ``Decimal`` sums.

Network fees: the paper model books them as a debit of the chain's native token (SOL). A candle
backtest has no gas wallet to refuel, so the book hands that debit back and takes its USD value
(the fill's ``gas + priority_fee + tip``, rounded up to a quote unit) from the cash instead: as
if the gas wallet were topped up at the market price with no extra cost. The position therefore
holds exactly what the strategy bought, even when the traded asset is the native token.

A *trade* is a round trip from flat to flat; its PnL is the change of cash over it, every fee,
slippage, MEV loss and network cost of its fills (failed attempts included) counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import TypeVar, overload

from phantom.core.construct import fast_constructor
from phantom.core.costs import COST_KINDS, CostBreakdown
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.portfolio.accounting import ACCOUNTING
from phantom.portfolio.errors import InsufficientCapital

_ZERO = Decimal(0)
_FAILED = FillStatus.FAILED
_STATUS = {s: s.value for s in FillStatus}  # the plain string each status is counted under
_T = TypeVar("_T")


@dataclass(slots=True)
class Trade:
    """One round trip, flat to flat (``exit_ts`` is ``None`` while it is still open)."""

    entry_ts: float
    entry_cash: int  # cash (quote units) before the first entry fill
    bought: int = 0  # base units
    spent: int = 0  # quote units
    sold: int = 0
    received: int = 0
    fills: int = 0
    exit_ts: float | None = None
    pnl_units: int = 0  # quote units, set at the exit


def _native_trade(
    entry_ts: float,
    entry_cash: int,
    bought: int,
    spent: int,
    sold: int,
    received: int,
    fills: int,
    exit_ts: float | None,
    pnl_units: int,
) -> Trade:
    o = Trade.__new__(Trade)
    o.entry_ts = entry_ts
    o.entry_cash = entry_cash
    o.bought = bought
    o.spent = spent
    o.sold = sold
    o.received = received
    o.fills = fills
    o.exit_ts = exit_ts
    o.pnl_units = pnl_units
    return o


# every field of Trade, in order (positional: see ``phantom.core.construct``)
_new_trade: Callable[[float, int, int, int, int, int, int, float | None, int], Trade] = (
    fast_constructor(Trade, _native_trade)
)


@dataclass(frozen=True, slots=True)
class Marker:
    """A landed fill for the price chart: when, at what effective price, buy or sell."""

    ts: float
    price: float
    buy: bool


def _native_marker(ts: float, price: float, buy: bool) -> Marker:
    o = Marker.__new__(Marker)
    o.ts = ts  # type: ignore[misc]
    o.price = price  # type: ignore[misc]
    o.buy = buy  # type: ignore[misc]
    return o


_new_marker: Callable[[float, float, bool], Marker] = fast_constructor(Marker, _native_marker)


class Book:
    def __init__(
        self, engine: str, base: Token, quote: Token, native: Token, cash: int, gas_buffer: int = 0
    ) -> None:
        self.engine = engine
        self.base, self.quote, self.native = base, quote, native
        self.cash = self.initial_cash = cash
        self.gas_buffer = gas_buffer  # quote units entries may not spend (fees come from cash)
        self.holding = 0
        self.fills_by_status: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.trades: list[Trade] = []
        self.markers: list[Marker] = []
        self.times: list[float] = []  # the state after each fill, for the equity curve
        self.cash_after: list[int] = []
        self.holding_after: list[int] = []
        self._costs = dict.fromkeys(COST_KINDS, _ZERO)
        self._reserved: dict[str, tuple[bool, int]] = {}  # intent id -> (is quote, amount)
        self._held_quote = 0
        self._held_base = 0
        self._open: Trade | None = None
        self._qscale = 10.0**quote.decimals
        self._bscale = 10.0**base.decimals
        self.balances = _Balances(self)
        self._native_bucket = "base" if native == base else "quote" if native == quote else ""
        # cost totals are summed in the accounting context (a private copy: its flags are ours)
        self._add = ACCOUNTING.copy().add

    # --- capital ------------------------------------------------------------------------------
    def available(self, token: Token) -> int:
        if token is self.quote or token == self.quote:
            return max(0, self.cash - self.gas_buffer - self._held_quote)
        if token is self.base or token == self.base:
            return max(0, self.holding - self._held_base)
        return 0

    def reserve(self, intent: OrderIntent) -> None:
        token = intent.legs[0].token_in
        amount = intent.amount_in
        quote = self.quote
        is_quote = token is quote or (token.symbol == quote.symbol and token == quote)
        if is_quote:
            free = max(0, self.cash - self.gas_buffer - self._held_quote)
        else:
            free = self.available(token)
        if amount > free:
            raise InsufficientCapital(
                f"intent {intent.intent_id}: needs {amount} {token.symbol} base units, {free} free"
            )
        self._reserved[intent.intent_id] = (is_quote, amount)
        if is_quote:
            self._held_quote += amount
        else:
            self._held_base += amount

    def release(self, intent_id: str) -> None:
        held = self._reserved.pop(intent_id, None)
        if held is not None:
            if held[0]:
                self._held_quote -= held[1]
            else:
                self._held_base -= held[1]

    # --- booking ------------------------------------------------------------------------------
    def record(self, fill: Fill, native_fee_units: int) -> None:
        """Book ``fill``; ``native_fee_units`` is the network fee inside its native delta."""
        quote, base = self.quote, self.base
        cash0, hold0 = self.cash, self.holding
        d_cash = d_base = d_other = 0
        for delta in fill.deltas:
            token = delta.token
            if token is quote:
                d_cash += delta.amount
            elif token is base:
                d_base += delta.amount
            elif token == quote:
                d_cash += delta.amount
            elif token == base:
                d_base += delta.amount
            elif token == self.native:
                d_other += delta.amount
            elif delta.amount:
                raise ValueError(f"fill {fill.fill_id}: unexpected token {token.key}")
        # hand the network fee back to the native token's bucket (it is paid from cash below)
        bucket = self._native_bucket
        if bucket == "base":
            d_base += native_fee_units
        elif bucket == "quote":
            d_cash += native_fee_units
        elif d_other + native_fee_units:
            raise ValueError(f"fill {fill.fill_id}: native delta {d_other} is not its fee")
        costs = fill.costs
        network = costs.gas + costs.priority_fee + costs.tip
        if network:
            scaled = network.scaleb(quote.decimals)
            d_cash -= int(scaled.to_integral_value(ROUND_CEILING))
        if hold0 + d_base < 0:
            raise ValueError(f"fill {fill.fill_id}: would leave {base.symbol} negative")
        # cost totals (zero kinds skipped, so a total's exponent depends on non-zero amounts only)
        c, add = self._costs, self._add
        if costs.fee:
            c["fee"] = add(c["fee"], costs.fee)
        if costs.slippage:
            c["slippage"] = add(c["slippage"], costs.slippage)
        if costs.mev:
            c["mev"] = add(c["mev"], costs.mev)
        if costs.gas:
            c["gas"] = add(c["gas"], costs.gas)
        if costs.priority_fee:
            c["priority_fee"] = add(c["priority_fee"], costs.priority_fee)
        if costs.tip:
            c["tip"] = add(c["tip"], costs.tip)
        cash = self.cash = cash0 + d_cash
        holding = self.holding = hold0 + d_base
        status = fill.status
        self.fills_by_status[_STATUS[status]] += 1
        if status is _FAILED:
            self.failures[_reason_code(fill.failure_reason)] += 1
        ts = fill.arrived_at
        self.times.append(ts)
        self.cash_after.append(cash)
        self.holding_after.append(holding)
        if d_base:
            price = (abs(d_cash) / self._qscale) / (abs(d_base) / self._bscale)
            self.markers.append(_new_marker(ts, price, d_base > 0))
            self._track_trade(ts, cash0, hold0, d_cash, d_base)
        elif self._open is not None:
            self._open.fills += 1

    def _track_trade(self, ts: float, cash0: int, hold0: int, d_cash: int, d_base: int) -> None:
        trade = self._open
        if trade is None:
            if hold0 != 0 or d_base <= 0:
                return
            trade = self._open = _new_trade(ts, cash0, 0, 0, 0, 0, 0, None, 0)
            self.trades.append(trade)
        trade.fills += 1
        if d_base > 0:
            trade.bought += d_base
            trade.spent -= d_cash
        else:
            trade.sold -= d_base
            trade.received += d_cash
        if self.holding == 0:
            trade.exit_ts = ts
            trade.pnl_units = self.cash - trade.entry_cash
            self._open = None

    @property
    def costs(self) -> CostBreakdown:
        with localcontext(ACCOUNTING):
            return CostBreakdown(**{k: +v for k, v in self._costs.items()})

    @property
    def open_trade(self) -> Trade | None:
        return self._open


class _Balances(Mapping[Token, int]):
    """A live view of the free balances, for ``EngineContext.available``."""

    def __init__(self, book: Book) -> None:
        self._book = book

    def __getitem__(self, token: Token) -> int:
        book = self._book
        if token is book.quote or token is book.base or token == book.quote or token == book.base:
            return book.available(token)
        raise KeyError(token)

    @overload
    def get(self, key: Token, /) -> int | None: ...

    @overload
    def get(self, key: Token, /, default: int | _T) -> int | _T: ...

    def get(self, key: Token, /, default: object = None) -> object:
        """``Mapping.get`` without the ``KeyError`` round trip (engines call it per order)."""
        book = self._book
        if key is book.quote:
            return max(0, book.cash - book.gas_buffer - book._held_quote)
        if key is book.base:
            return max(0, book.holding - book._held_base)
        if key == book.quote or key == book.base:
            return book.available(key)
        return default

    def __iter__(self) -> Iterator[Token]:
        return iter((self._book.quote, self._book.base))

    def __len__(self) -> int:
        return 2


def _reason_code(reason: str) -> str:
    """A stable code for counting failures: the text before the first ':' (``slippage``...)."""
    head = reason.split(":", 1)[0].strip()
    return head or "unknown"
