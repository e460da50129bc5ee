"""The funding table the dashboard shows: every market's latest rate, ranked by APR.

Built from :class:`~phantom.engines.funding.events.FundingRatePrint` events (one per market,
the latest); ``net_apr_pct`` is the APR left after one round trip's costs are spread over the
holding horizon, and a market is an *opportunity* when that is positive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from phantom.engines.funding.events import FundingRatePrint
from phantom.engines.funding.gate import round_trip_costs
from phantom.engines.funding.params import FundingCosts

YEAR_H = 365.0 * 24.0
_UNIT = Decimal(10_000)  # a notional of 10,000 USD: costs in bps are size-free except network


@dataclass(frozen=True, slots=True)
class FundingTableRow:
    market: str
    rate_pct: float  # per interval
    interval_h: float
    apr_pct: float
    net_apr_pct: float
    open_interest_usd: float | None
    volume_24h_usd: float | None
    ts: float

    @property
    def opportunity(self) -> bool:
        return self.net_apr_pct > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "rate_pct": round(self.rate_pct, 6),
            "interval_h": self.interval_h,
            "apr_pct": round(self.apr_pct, 4),
            "net_apr_pct": round(self.net_apr_pct, 4),
            "open_interest_usd": self.open_interest_usd,
            "volume_24h_usd": self.volume_24h_usd,
            "ts": self.ts,
            "opportunity": self.opportunity,
        }


@dataclass(frozen=True, slots=True)
class FundingTable:
    rows: tuple[FundingTableRow, ...]  # every market, highest APR first
    top: tuple[FundingTableRow, ...]  # the best opportunities (net APR > 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": [r.as_dict() for r in self.rows],
            "top": [r.market for r in self.top],
            "open_interest_usd": sum(r.open_interest_usd or 0.0 for r in self.rows),
            "volume_24h_usd": sum(r.volume_24h_usd or 0.0 for r in self.rows),
        }


def build_funding_table(
    prints: Iterable[FundingRatePrint], costs: FundingCosts, horizon_h: float, top_n: int = 3
) -> FundingTable:
    latest: dict[str, FundingRatePrint] = {}
    for p in prints:
        seen = latest.get(p.market)
        if seen is None or p.ts >= seen.ts:
            latest[p.market] = p
    cost_frac = float(round_trip_costs(_UNIT, costs).total / _UNIT)
    rows: list[FundingTableRow] = []
    for p in latest.values():
        per_year = YEAR_H * 3600.0 / p.interval_s
        apr = p.rate * per_year * 100.0
        net = apr - cost_frac * (YEAR_H / horizon_h) * 100.0
        rows.append(
            FundingTableRow(
                market=p.market,
                rate_pct=p.rate * 100.0,
                interval_h=p.interval_s / 3600.0,
                apr_pct=apr,
                net_apr_pct=net,
                open_interest_usd=p.open_interest_usd,
                volume_24h_usd=p.volume_24h_usd,
                ts=p.ts,
            )
        )
    rows.sort(key=lambda r: (-r.apr_pct, r.market))
    top = tuple(r for r in sorted(rows, key=lambda r: (-r.net_apr_pct, r.market)) if r.opportunity)
    return FundingTable(tuple(rows), top[:top_n])
