"""The funding engine's counters and the status it shows the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(slots=True)
class FundingStats:
    funding_prints: int = 0
    entries: int = 0
    entries_aborted: int = 0
    exits: int = 0
    exits_funding_negative: int = 0
    exits_funding_spike: int = 0
    exits_health: int = 0
    exits_requested: int = 0
    exits_liquidated: int = 0
    reconciled: int = 0
    gate_refusals: int = 0
    skipped_small: int = 0
    rebalances: int = 0
    reduces: int = 0
    relevers: int = 0
    spot_orders: int = 0
    perp_orders: int = 0
    margin_moves: int = 0
    failed: int = 0
    rejected: int = 0


@dataclass(frozen=True, slots=True)
class FundingStatus:
    """What the dashboard shows about the engine's position."""

    open: bool
    spot_units: int
    perp_units: int
    delta_units: int
    delta_pct: float
    health_pct: float | None
    last_rate: float | None
    expected_rate: float | None
    funding_estimate_usd: Decimal
    last_gate: str
    exit_reason: str
