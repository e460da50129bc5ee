"""Read models the ledger returns: journaled intents, positions, vault summaries, verify reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from phantom.core.costs import CostBreakdown
from phantom.core.fills import FillStatus
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.portfolio.accounting import ZERO, add_usd, sub_usd, usd_value
from phantom.portfolio.errors import MissingPrice


class IntentStatus(StrEnum):
    """Where a journaled intent stands. Only ``PENDING`` is open."""

    PENDING = "pending"  # journaled, outcome unknown (may be in flight)
    FILLED = "filled"  # outcome: a fill with FillStatus.FILLED
    PARTIAL = "partial"  # outcome: a fill with FillStatus.PARTIAL
    FAILED = "failed"  # outcome: a fill with FillStatus.FAILED (network fees paid)
    REJECTED = "rejected"  # never sent (e.g. a risk gate said no after journaling)
    ABANDONED = "abandoned"  # no outcome will come (e.g. paper intent in flight at a crash)

    @property
    def is_fill_outcome(self) -> bool:
        return self in FILL_OUTCOMES


FILL_OUTCOMES = frozenset({IntentStatus.FILLED, IntentStatus.PARTIAL, IntentStatus.FAILED})
RESOLUTIONS = frozenset({IntentStatus.REJECTED, IntentStatus.ABANDONED})


def intent_status_of(status: FillStatus) -> IntentStatus:
    return IntentStatus(status.value)


@dataclass(frozen=True, slots=True)
class JournaledIntent:
    intent: OrderIntent
    status: IntentStatus
    journaled_at: float
    resolved_at: float | None = None
    reason: str = ""  # why it was rejected or abandoned

    @property
    def intent_id(self) -> str:
        return self.intent.intent_id


@dataclass(frozen=True, slots=True)
class Deposit:
    """Capital put into a vault from outside (a ledger entry like a fill)."""

    seq: int
    engine: str
    token: Token
    amount: int
    price_usd: Decimal

    @property
    def value_usd(self) -> Decimal:
        return usd_value(self.token, self.amount, self.price_usd)


def mark_of(marks: Mapping[str, Decimal], token: Token) -> Decimal:
    try:
        return marks[token.symbol]
    except KeyError:
        raise MissingPrice(f"no mark for {token.symbol}") from None


@dataclass(frozen=True, slots=True)
class Position:
    """A non-cash token held by a vault. Closed positions (quantity 0) keep their realized PnL."""

    token: Token
    quantity: int
    avg_entry_usd: Decimal
    realized_pnl_usd: Decimal

    @property
    def is_open(self) -> bool:
        return self.quantity != 0

    @property
    def cost_basis_usd(self) -> Decimal:
        return usd_value(self.token, self.quantity, self.avg_entry_usd)

    def market_value_usd(self, mark: Decimal) -> Decimal:
        return usd_value(self.token, self.quantity, mark)

    def unrealized_pnl_usd(self, mark: Decimal) -> Decimal:
        return sub_usd(self.market_value_usd(mark), self.cost_basis_usd)


@dataclass(frozen=True, slots=True)
class VaultSummary:
    """One engine's vault: cash, gas, positions, PnL and counters for a status view.

    Marks are USD prices per whole token by symbol; a mark is needed for every open position.
    """

    engine: str
    cash: dict[Token, int]
    cash_usd: Decimal
    gas: dict[Token, int]
    positions: tuple[Position, ...]
    realized_pnl_usd: Decimal
    deposited_usd: Decimal
    fills_by_status: dict[FillStatus, int]
    intents_by_status: dict[IntentStatus, int]
    costs: CostBreakdown

    @property
    def fills_total(self) -> int:
        return sum(self.fills_by_status.values())

    def unrealized_pnl_usd(self, marks: Mapping[str, Decimal]) -> Decimal:
        total = ZERO
        for pos in self.positions:
            if pos.is_open:
                total = add_usd(total, pos.unrealized_pnl_usd(mark_of(marks, pos.token)))
        return total

    def positions_value_usd(self, marks: Mapping[str, Decimal]) -> Decimal:
        total = ZERO
        for pos in self.positions:
            if pos.is_open:
                total = add_usd(total, pos.market_value_usd(mark_of(marks, pos.token)))
        return total

    def equity_usd(self, marks: Mapping[str, Decimal]) -> Decimal:
        return add_usd(self.cash_usd, self.positions_value_usd(marks))

    def total_pnl_usd(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Equity minus the USD value of the deposits: every cost included."""
        return sub_usd(self.equity_usd(marks), self.deposited_usd)

    def render(self) -> str:
        """A plain-text block for a terminal (no marks needed)."""
        cash = ", ".join(f"{t.symbol} {t.to_decimal(u)}" for t, u in self.cash.items()) or "none"
        gas = ", ".join(f"{t.symbol} {t.to_decimal(u)}" for t, u in self.gas.items()) or "none"
        lines = [
            f"vault {self.engine}: cash {self.cash_usd} USD ({cash}); gas {gas}",
            f"  deposited {self.deposited_usd} USD; realized PnL {self.realized_pnl_usd} USD",
        ]
        for p in self.positions:
            qty = p.token.to_decimal(p.quantity)
            lines.append(
                f"  position {p.token.symbol} ({p.token.chain}): qty {qty}"
                f" avg entry {p.avg_entry_usd} USD realized {p.realized_pnl_usd} USD"
            )
        fills = ", ".join(f"{s.value} {n}" for s, n in self.fills_by_status.items())
        intents = ", ".join(f"{s.value} {n}" for s, n in sorted(self.intents_by_status.items()))
        costs = ", ".join(f"{k} {v}" for k, v in self.costs.as_dict().items())
        lines.append(f"  fills: {fills}; intents: {intents or 'none'}")
        lines.append(f"  costs USD: {costs}; total {self.costs.total}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Problem:
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


@dataclass(slots=True)
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    fills_checked: int = 0
    intents_checked: int = 0
    vaults_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def invariants_broken(self) -> set[str]:
        return {p.invariant for p in self.problems}

    def summary_line(self) -> str:
        return (
            f"{self.vaults_checked} vaults, {self.intents_checked} intents, "
            f"{self.fills_checked} fills, {len(self.problems)} problems"
        )

    def add(self, invariant: str, detail: str) -> None:
        self.problems.append(Problem(invariant, detail))

    def __str__(self) -> str:
        head = f"ledger {'ok' if self.ok else 'BROKEN'}: {self.summary_line()}"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])
