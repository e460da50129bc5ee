"""What a run did, accumulated from fills and rejections; the summary JSON comes from here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from phantom.core.costs import COST_KINDS, CostBreakdown
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import IntentKind, Route

_Q = Decimal("0.000001")


def _money(value: Decimal) -> str:
    return str(value.quantize(_Q))


@dataclass(slots=True)
class RunStats:
    opportunities_seen: int = 0
    intents: int = 0
    sent: int = 0
    trades: int = 0
    wins: int = 0
    losses: int = 0
    failed: int = 0
    partial_fills: int = 0
    sandwiched: int = 0
    refuels: int = 0
    realized_pnl_usd: Decimal = Decimal(0)
    costs: CostBreakdown = field(default_factory=CostBreakdown)
    rejections: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)

    def on_sent(self, route: Route) -> None:
        self.sent += 1
        self.routes[route.value] += 1

    def on_entry(self, costs: CostBreakdown, pnl_usd: Decimal) -> None:
        """A booked account entry that is not a trade (a perp order, funding, a margin move)."""
        self.costs = self.costs + costs
        self.realized_pnl_usd += pnl_usd

    def on_fill(self, fill: Fill, kind: IntentKind) -> None:
        self.costs = self.costs + fill.costs
        self.realized_pnl_usd += fill.pnl_usd
        if fill.sandwiched:
            self.sandwiched += 1
        if fill.status is FillStatus.FAILED:
            self.failed += 1
            self.failures[fill.failure_reason.split(":")[0] or "unknown"] += 1
            return
        if fill.status is FillStatus.PARTIAL:
            self.partial_fills += 1
        if kind is IntentKind.REFUEL:
            self.refuels += 1
            return
        self.trades += 1
        if fill.pnl_usd > 0:
            self.wins += 1
        else:
            self.losses += 1

    def summary(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        costs = self.costs.as_dict()
        out: dict[str, Any] = {
            "trades": self.trades,
            "wins": self.wins,
            "losses": self.losses,
            "realized_pnl_usd": _money(self.realized_pnl_usd),
            "costs_usd": {k: _money(costs[k]) for k in COST_KINDS},
            "costs_total_usd": _money(self.costs.total),
            "rejections": dict(sorted(self.rejections.items())),
            "failed": self.failed,
            "failures": dict(sorted(self.failures.items())),
            "partial_fills": self.partial_fills,
            "sandwiched": self.sandwiched,
            "refuels": self.refuels,
            "opportunities_seen": self.opportunities_seen,
            "intents": self.intents,
            "sent": self.sent,
            "routes": dict(sorted(self.routes.items())),
        }
        if extra:
            out.update(extra)
        return out


def vault_figures(
    deposited: Decimal, equity: Decimal, extra: Decimal, positions: dict[str, Decimal]
) -> dict[str, Any]:
    """One vault at the end of a run, marked at the reference prices: what went in, what it
    is worth (``extra``: value kept outside the ledger, e.g. a perp's unrealized PnL) and the
    one complete PnL figure, equity minus deposits."""
    total = equity + extra
    return {
        "deposited_usd": _money(deposited),
        "equity_usd": _money(total),
        "pnl_usd": _money(total - deposited),
        "positions": {k: str(v) for k, v in sorted(positions.items())},
    }
