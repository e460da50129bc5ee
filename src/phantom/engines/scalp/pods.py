"""A pod's own book: its cash, its position, its round trips and their outcome.

Amounts are exact integer base units (quote units for cash, base units for the position). A
pod's PnL is what its exits received minus what its entries spent, less the network costs (gas,
priority fee, tip) of every transaction it sent, failed ones included; the venue fee, slippage
and MEV losses are already inside the amounts the fills report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from phantom.core.token import Token
from phantom.engines.scalp.params import PodParams

EXIT_REASONS = ("stop_loss", "take_profit", "time_stop")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PodTrade:
    """One round trip of a pod, flat to flat."""

    pod: str
    entry_ts: float  # when the (first) entry fill arrived
    exit_ts: float  # when the fill that made the pod flat arrived
    entry_price: float  # effective: quote spent per base unit bought (in tokens)
    exit_price: float
    spent: int  # quote units
    received: int  # quote units
    network_usd: Decimal  # gas + priority fee + tip of the round trip's transactions
    reason: str

    def pnl_usd(self, quote: Token, quote_usd: Decimal) -> Decimal:
        return quote.to_decimal(self.received - self.spent) * quote_usd - self.network_usd


@dataclass(slots=True)
class PodState:
    """Where one pod is. ``pending`` is the id of its intent in flight, if any."""

    params: PodParams
    cash: int = 0  # quote units the pod may spend
    capital_start: int = 0
    holding: int = 0  # base units the pod bought and still holds
    spent: int = 0  # of the open round trip
    received: int = 0
    bought: int = 0
    entry_ts: float = 0.0
    entry_price: float = 0.0
    network_usd: Decimal = _ZERO  # of the open round trip
    pending: str | None = None
    pending_entry: bool = False
    exit_reason: str = ""
    retry_exit: bool = False  # re-send the exit at the next bar close
    cooldown_until: float = 0.0
    stray_network_usd: Decimal = _ZERO  # network costs of failed entries (no round trip)
    trades: list[PodTrade] = field(default_factory=list)
    signals: int = 0
    skipped_small: int = 0
    failed: int = 0
    rejected: int = 0

    @property
    def flat(self) -> bool:
        return self.holding == 0

    def open_trade(self, ts: float) -> None:
        self.entry_ts = ts
        self.spent = self.received = self.bought = 0
        self.network_usd = _ZERO

    def close_trade(self, ts: float, base: Token, quote: Token) -> PodTrade:
        exit_price = 0.0
        if self.bought:
            exit_price = float(quote.to_decimal(self.received) / base.to_decimal(self.bought))
        trade = PodTrade(
            pod=self.params.name,
            entry_ts=self.entry_ts,
            exit_ts=ts,
            entry_price=self.entry_price,
            exit_price=exit_price,
            spent=self.spent,
            received=self.received,
            network_usd=self.network_usd,
            reason=self.exit_reason,
        )
        self.trades.append(trade)
        self.exit_reason = ""
        self.retry_exit = False
        self.cooldown_until = ts + self.params.cooldown_s
        return trade

    def summary(self, base: Token, quote: Token, quote_usd: Decimal) -> dict[str, Any]:
        pnls = [t.pnl_usd(quote, quote_usd) for t in self.trades]
        wins = sum(1 for p in pnls if p > 0)
        total = sum(pnls, _ZERO) - self.stray_network_usd
        reasons = {r: sum(1 for t in self.trades if t.reason == r) for r in EXIT_REASONS}
        holds = [t.exit_ts - t.entry_ts for t in self.trades]
        return {
            "share_pct": str(self.params.share_pct),
            "capital_start_usd": round(float(quote.to_decimal(self.capital_start) * quote_usd), 2),
            "trades": len(self.trades),
            "wins": wins,
            "losses": len(self.trades) - wins,
            "win_rate_pct": round(100.0 * wins / len(self.trades), 2) if self.trades else None,
            "pnl_usd": round(float(total), 2),
            "network_costs_failed_entries_usd": round(float(self.stray_network_usd), 4),
            "exits": reasons,
            "avg_hold_s": round(sum(holds) / len(holds), 1) if holds else None,
            "open_position": self.holding > 0,
            "signals": self.signals,
            "skipped_small": self.skipped_small,
            "failed": self.failed,
            "rejected": self.rejected,
        }
