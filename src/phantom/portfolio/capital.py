"""The capital manager: a read model of the vaults for engines and the orchestrator.

It adds one thing to the ledger: **reservations**. An intent in flight has promised its
``amount_in`` of ``token_in``; until its fill is booked (or it is resolved) that amount is not
free. Use: check ``available``, ``journal_intent``, ``reserve`` (raises ``InsufficientCapital``:
resolve the intent as rejected, it was not sent), send; after ``record_fill`` or
``resolve_intent``, ``release``. Reservations live in memory: after a restart, ``restore``
re-reserves the journal's pending intents (or abandon them first, as paper does).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.fills import FillStatus
from phantom.core.orders import IntentKind, OrderIntent
from phantom.core.token import Token
from phantom.portfolio.accounting import ZERO, add_usd, sub_usd
from phantom.portfolio.errors import InsufficientCapital
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import Position, mark_of


@dataclass(frozen=True, slots=True)
class Reservation:
    intent_id: str
    engine: str
    token: Token
    amount: int
    kind: IntentKind
    token_out: Token


@dataclass(frozen=True, slots=True)
class PositionView:
    """An open position marked to market."""

    position: Position
    mark_usd: Decimal
    market_value_usd: Decimal
    unrealized_pnl_usd: Decimal


@dataclass(frozen=True, slots=True)
class VaultSnapshot:
    engine: str
    cash_usd: Decimal
    gas: dict[Token, int]
    positions: tuple[PositionView, ...]
    realized_pnl_usd: Decimal
    unrealized_pnl_usd: Decimal
    equity_usd: Decimal
    deposited_usd: Decimal
    reserved: dict[Token, int]
    fills_by_status: dict[FillStatus, int]
    costs: CostBreakdown

    @property
    def total_pnl_usd(self) -> Decimal:
        """Equity minus deposits: realized, unrealized and every cost."""
        return sub_usd(self.equity_usd, self.deposited_usd)


class CapitalManager:
    """Free balances, gas and marked snapshots of the vaults of ``engines``."""

    def __init__(self, ledger: Ledger, engines: Iterable[str]) -> None:
        self.ledger = ledger
        self.engines: tuple[str, ...] = tuple(dict.fromkeys(engines))
        self._reservations: dict[str, Reservation] = {}
        self._lock = threading.Lock()

    def _check(self, engine: str) -> None:
        if engine not in self.engines:
            raise ValueError(f"engine {engine!r} is not managed here (managed: {self.engines})")

    def _balance(self, engine: str, token: Token) -> int:
        self._check(engine)
        for held, units in self.ledger.balances(engine).items():
            if held.key == token.key:
                return units
        return 0

    # --- reservations -------------------------------------------------------------------------

    def reserved(self, engine: str, token: Token) -> int:
        self._check(engine)
        with self._lock:
            return sum(
                r.amount
                for r in self._reservations.values()
                if r.engine == engine and r.token.key == token.key
            )

    def available(self, engine: str, token: Token) -> int:
        """Balance minus what in-flight intents reserved, never below 0."""
        return max(0, self._balance(engine, token) - self.reserved(engine, token))

    def reserve(self, intent: OrderIntent, *, check: bool = True) -> None:
        """Hold ``intent.amount_in`` of its input token until ``release(intent.intent_id)``."""
        self._check(intent.engine)
        free = self.available(intent.engine, intent.token_in) if check else intent.amount_in
        with self._lock:
            if intent.intent_id in self._reservations:
                raise ValueError(f"intent {intent.intent_id} is already reserved")
            if intent.amount_in > free:
                raise InsufficientCapital(
                    f"intent {intent.intent_id}: needs {intent.amount_in} "
                    f"{intent.token_in.symbol} base units, {intent.engine} has {free} free"
                )
            self._reservations[intent.intent_id] = Reservation(
                intent.intent_id,
                intent.engine,
                intent.token_in,
                intent.amount_in,
                intent.kind,
                intent.token_out,
            )

    def release(self, intent_id: str) -> bool:
        """Drop an intent's reservation; False if it had none."""
        with self._lock:
            return self._reservations.pop(intent_id, None) is not None

    def in_flight(self, engine: str | None = None) -> list[Reservation]:
        with self._lock:
            return [r for r in self._reservations.values() if engine in (None, r.engine)]

    def restore(self) -> int:
        """Reserve the ledger's pending intents of the managed engines (after a restart)."""
        restored = 0
        for journaled in self.ledger.pending_intents():
            intent = journaled.intent
            if intent.engine in self.engines and intent.intent_id not in self._reservations:
                self.reserve(intent, check=False)
                restored += 1
        return restored

    # --- gas ----------------------------------------------------------------------------------

    def gas_balance(self, engine: str, native: Token) -> int:
        self._check(engine)
        return self._balance(engine, native)

    def needs_refuel(self, engine: str, native: Token, critical_units: int) -> bool:
        """Gas is below ``critical_units`` and no refuel into ``native`` is already in flight."""
        if self.gas_balance(engine, native) >= critical_units:
            return False
        return not any(
            r.kind is IntentKind.REFUEL and r.token_out.key == native.key
            for r in self.in_flight(engine)
        )

    # --- snapshot -----------------------------------------------------------------------------

    def snapshot(self, engine: str, marks: Mapping[str, Decimal]) -> VaultSnapshot:
        """The vault marked at ``marks`` (USD per whole token by symbol; one per open position)."""
        self._check(engine)
        summary = self.ledger.summary(engine)
        views: list[PositionView] = []
        unrealized = ZERO
        value = ZERO
        for pos in summary.positions:
            if not pos.is_open:
                continue
            mark = mark_of(marks, pos.token)
            view = PositionView(pos, mark, pos.market_value_usd(mark), pos.unrealized_pnl_usd(mark))
            views.append(view)
            unrealized = add_usd(unrealized, view.unrealized_pnl_usd)
            value = add_usd(value, view.market_value_usd)
        reserved: dict[Token, int] = {}
        for r in self.in_flight(engine):
            reserved[r.token] = reserved.get(r.token, 0) + r.amount
        return VaultSnapshot(
            engine=engine,
            cash_usd=summary.cash_usd,
            gas=summary.gas,
            positions=tuple(views),
            realized_pnl_usd=summary.realized_pnl_usd,
            unrealized_pnl_usd=unrealized,
            equity_usd=add_usd(summary.cash_usd, value),
            deposited_usd=summary.deposited_usd,
            reserved=reserved,
            fills_by_status=summary.fills_by_status,
            costs=summary.costs,
        )
