"""The local perp exchange's state: one linear perpetual, one account, a mark and a funding clock.

Positions, margin, fees, funding payments and liquidations are
:class:`~phantom.venues.perps.paper.PaperPerpVenue`'s (the same maths as paper and backtest);
this class adds what a real venue has around it: order ids and client ids (a client id is used
once), the account's income records (``FUNDING_FEE``, ``COMMISSION``, ``REALIZED_PNL``, as
Binance's ``/fapi/v1/income``), a mark that follows a price source (``mark_source() * (1 +
basis)``, refreshed every ``mark_interval_s``) and funding settled every ``funding_interval_s``
from a :class:`~phantom.localperp.schedule.FundingSchedule`. Time is compressed when the interval
is short: each settlement is one funding interval of the market (8 h on Binance).

Thread-safe: the HTTP threads and the two clock threads take ``lock``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from phantom.core.token import Token
from phantom.localperp.schedule import FundingSchedule
from phantom.venues.perps.base import PerpFill, PerpMarket, PerpOrder, PerpOrderStatus, PerpSide
from phantom.venues.perps.paper import PaperPerpVenue
from phantom.venues.perps.paper_params import PaperPerpParams

MarkSource = Callable[[], Decimal]


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """The one market: Binance's ``SOLUSDC`` (ccxt ``SOL/USDC:USDC``) by default."""

    symbol: str = "SOLUSDC"
    base: str = "SOL"
    quote: str = "USDC"
    base_decimals: int = 9
    quote_decimals: int = 6
    step: Decimal = Decimal("0.001")  # LOT_SIZE stepSize (and minQty)
    tick: Decimal = Decimal("0.01")  # PRICE_FILTER tickSize
    funding_interval_h: int = 8  # what one settlement stands for

    @property
    def step_units(self) -> int:
        return int(self.step.scaleb(self.base_decimals))


@dataclass(frozen=True, slots=True)
class Income:
    """One ``/fapi/v1/income`` record; ``amount`` in quote base units."""

    tran_id: int
    kind: str  # FUNDING_FEE | COMMISSION | REALIZED_PNL
    amount: int
    ts_ms: int
    trade_id: str = ""


@dataclass(slots=True)
class Order:
    order_id: int
    fill: PerpFill
    reduce_only: bool
    time_ms: int


@dataclass(slots=True)
class ExchangeStats:
    settlements: int = 0
    orders: int = 0
    rejected: int = 0
    marks: int = 0
    mark_errors: int = 0
    liquidations: list[str] = field(default_factory=list)


class LocalPerpExchange:
    """One account on one market (see the module docstring)."""

    def __init__(
        self,
        mark_source: MarkSource,
        schedule: FundingSchedule,
        *,
        spec: ContractSpec | None = None,
        params: PaperPerpParams | None = None,
        initial_cash: int = 0,
        basis: Decimal = Decimal(0),
        funding_interval_s: float = 10.0,
        mark_interval_s: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if funding_interval_s <= 0 or mark_interval_s <= 0:
            raise ValueError("local perp: funding_interval_s and mark_interval_s must be > 0")
        self.spec = spec or ContractSpec()
        self.params = params or PaperPerpParams()
        self.base = Token(self.spec.base, self.spec.base_decimals, chain="localperp")
        self.quote = Token(self.spec.quote, self.spec.quote_decimals, chain="localperp")
        self.market = PerpMarket(
            self.spec.symbol, self.base, self.quote, self.spec.funding_interval_h * 3600.0,
            size_step=self.spec.step_units, max_leverage=1 / self.params.initial_margin_ratio,
        )  # fmt: skip
        self.venue = PaperPerpVenue([self.market], self.params)
        self.schedule = schedule
        self.mark_source, self.basis = mark_source, basis
        self.funding_interval_s, self.mark_interval_s = funding_interval_s, mark_interval_s
        self.clock = clock
        self.lock = threading.RLock()
        self.stats = ExchangeStats()
        self.orders: dict[int, Order] = {}
        self.by_client: dict[str, int] = {}
        self.income: list[Income] = []
        self._ids = itertools.count(1_000_001)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.next_funding_ms = 0
        if initial_cash > 0:
            self.venue.deposit(initial_cash)

    # --- clocks ------------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def refresh_mark(self) -> Decimal:
        """Read the price source and move the mark (a liquidation is checked first)."""
        price = (self.mark_source() * (1 + self.basis)).quantize(self.spec.tick)
        with self.lock:
            liq = self.venue.update_mark(self.spec.symbol, self.clock(), price)
            self.venue.set_trade_price(self.spec.symbol, price)
            self.stats.marks += 1
            if liq is not None:
                self.stats.liquidations.append(f"{liq.size} at {liq.price}")
                self._income("REALIZED_PNL", liq.realized_pnl)
                self._income("INSURANCE_CLEAR", -liq.penalty)
        return price

    def settle(self, at: float | None = None) -> Decimal:
        """Settle one funding interval now (or at ``at``) at the schedule's next rate."""
        with self.lock:
            rate = self.schedule.take()
            now = self.clock() if at is None else at
            s = self.venue.settle_funding(self.spec.symbol, now, rate)
            self.stats.settlements += 1
            if s.size != 0:
                self._income("FUNDING_FEE", s.payment)
            self.next_funding_ms = int((now + self.funding_interval_s) * 1000)
            return rate

    def _income(self, kind: str, amount: int, trade_id: str = "") -> None:
        if amount:
            self.income.append(Income(next(self._ids), kind, amount, self.now_ms(), trade_id))

    def _loop(self, interval: float, tick: Callable[[], object], name: str) -> None:
        while not self._stop.wait(interval):
            try:
                tick()
            except Exception:  # a price read can fail while the chain stops: keep the last mark
                if name == "mark":
                    self.stats.mark_errors += 1
                else:
                    raise

    def start(self, history: int = 0) -> LocalPerpExchange:
        """Read the mark, settle ``history`` intervals in the past (the venue's history: no
        position pays them), then run the clocks."""
        self.refresh_mark()
        now = self.clock()
        for k in range(history, 0, -1):
            self.settle(at=now - k * self.funding_interval_s)
        self.next_funding_ms = self.now_ms() + int(self.funding_interval_s * 1000)
        for name, interval, tick in (
            ("mark", self.mark_interval_s, self.refresh_mark),
            ("funding", self.funding_interval_s, self.settle),
        ):
            thread = threading.Thread(
                target=self._loop, args=(interval, tick, name), name=f"localperp-{name}",
                daemon=True,
            )  # fmt: skip
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    # --- trading -----------------------------------------------------------------------------
    def place(
        self, client_id: str, side: PerpSide, units: int, reduce_only: bool
    ) -> tuple[Order | None, str]:
        """A market order; ``(order, "")`` or ``(None, why)`` (``margin`` or ``reduce_only``)."""
        with self.lock:
            cash0, fees0 = self.venue_cash(), self.venue.fees_paid
            fill = self.venue.place_order(
                PerpOrder(client_id, self.spec.symbol, side, units, reduce_only=reduce_only)
            )
            if fill.status is PerpOrderStatus.REJECTED:
                self.stats.rejected += 1
                return None, "reduce_only" if "reduce-only" in fill.reason else "margin"
            order_id = next(self._ids)
            fee = self.venue.fees_paid - fees0
            self._income("REALIZED_PNL", self.venue_cash() - cash0 + fee, str(order_id))
            self._income("COMMISSION", -fee, str(order_id))
            order = Order(order_id, fill, reduce_only, self.now_ms())
            self.orders[order_id] = order
            self.by_client[client_id] = order_id
            self.stats.orders += 1
            return order, ""

    def find(self, order_id: int | None, client_id: str | None) -> Order | None:
        with self.lock:
            if client_id is not None:
                found = self.by_client.get(client_id)
                return None if found is None else self.orders[found]
            return self.orders.get(order_id) if order_id is not None else None

    def venue_cash(self) -> int:
        """The wallet balance: deposits, realised PnL, funding, less fees (no unrealised PnL)."""
        with self.lock:
            return self.venue.equity() - sum(p.unrealized_pnl for p in self.venue.positions())

    def position(self) -> int:
        with self.lock:
            return self.venue.position_size(self.spec.symbol)
