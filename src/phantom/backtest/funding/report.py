"""What a funding backtest records, its ``summary.json`` figures, and parameter parsing.

Figures (all USD unless named otherwise):

- ``funding_earned_usd``: the sum of every settlement on the perp venue (received - paid);
  ``apr_on_capital_pct``: that over the initial capital, annualised (simple, 365.25-day years);
- ``pnl_usd`` / ``total_return_pct``: final equity (cash, spot at the last close, the perp
  account's value, gas tokens) against the initial capital;
- ``max_abs_delta_drift_pct``: the largest ``|spot + perp| / hedge`` seen at a step close,
  ``max_abs_delta_usd`` the largest ``|spot + perp|`` in USD; ``min_health_pct``: lowest
  ``1 - maintenance / collateral`` while a perp position was open;
- ``costs_usd``: spot legs by the paper model's kinds, perp taker fees and fill slippage,
  collateral transfer network fees, liquidation penalties.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from phantom.backtest.funding.data import FloatArray, Series
from phantom.core.costs import CostBreakdown
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import Route
from phantom.core.token import Token
from phantom.engines.funding.params import FundingCosts, FundingParams
from phantom.venues.perps.base import PerpFill, PerpOrderStatus
from phantom.venues.perps.paper_params import FundingSettlement, Liquidation

if TYPE_CHECKING:
    from phantom.backtest.funding.run import FundingBacktest

YEAR_S = 365.25 * 86_400.0
_COST_FIELDS = {f.name for f in fields(FundingCosts)}
_SKIP = {"base", "quote", "market", "costs"}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _usd(x: Decimal | float) -> str:
    return str(round(Decimal(repr(x)) if isinstance(x, float) else x, 2))


def _convert(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, Route):
            return Route(raw)
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Decimal) or default is None:
            return None if raw.lower() == "none" else Decimal(raw)
        return raw
    except (ValueError, ArithmeticError):
        raise ValueError(f"funding parameter {name}: bad value {raw!r}") from None


def params_from(
    base: Token, quote: Token, market: str, overrides: dict[str, str] | Any
) -> FundingParams:
    """:class:`FundingParams` with ``overrides`` (name -> string) applied; cost fields
    (``spot_slippage_bps``, ...) go to :class:`FundingCosts`. Unknown names are an error."""
    template = FundingParams(base=base, quote=quote, market=market)
    known = {f.name for f in fields(FundingParams)} - _SKIP
    unknown = sorted(set(overrides) - known - _COST_FIELDS)
    if unknown:
        raise ValueError(
            f"funding: unknown parameter(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known | _COST_FIELDS))})"
        )
    top = {k: _convert(k, str(v), getattr(template, k)) for k, v in overrides.items() if k in known}
    cost = {
        k: _convert(k, str(v), getattr(template.costs, k))
        for k, v in overrides.items()
        if k in _COST_FIELDS
    }
    return FundingParams(base=base, quote=quote, market=market, costs=FundingCosts(**cost), **top)


@dataclass(slots=True)
class RunRecord:
    initial_usd: Decimal
    equity: FloatArray = field(default_factory=lambda: np.zeros(0))
    settlements: list[FundingSettlement] = field(default_factory=list)
    liquidations: list[Liquidation] = field(default_factory=list)
    rejections: Counter[str] = field(default_factory=Counter)
    spot_costs: CostBreakdown = field(default_factory=CostBreakdown)
    spot_fills: int = 0
    spot_failed: int = 0
    spot_partial: int = 0
    perp_fills: int = 0
    perp_rejected: int = 0
    margin_moves: int = 0
    margin_network_usd: Decimal = Decimal(0)
    max_drift_pct: float = 0.0
    max_delta_usd: Decimal = Decimal(0)
    min_health_pct: float | None = None
    min_health_ts: float = 0.0
    steps: int = 0
    steps_in_market: int = 0
    first_ts: float = 0.0
    last_ts: float = 0.0
    final_equity_usd: Decimal = Decimal(0)
    was_open: bool = False
    actions: Counter[str] = field(default_factory=Counter)
    log: list[dict[str, Any]] = field(default_factory=list)

    def add_spot_fill(self, fill: Fill) -> None:
        self.spot_costs = self.spot_costs + fill.costs
        if fill.status is FillStatus.FAILED:
            self.spot_failed += 1
            return
        self.spot_fills += 1
        if fill.status is FillStatus.PARTIAL:
            self.spot_partial += 1

    def add_perp_fill(self, fill: PerpFill) -> None:
        if fill.status is PerpOrderStatus.REJECTED:
            self.perp_rejected += 1
        else:
            self.perp_fills += 1

    def observe_delta(self, drift_pct: float, delta_usd: Decimal) -> None:
        self.max_drift_pct = max(self.max_drift_pct, drift_pct)
        self.max_delta_usd = max(self.max_delta_usd, delta_usd)

    def observe_health(self, health_pct: float, ts: float) -> None:
        if self.min_health_pct is None or health_pct < self.min_health_pct:
            self.min_health_pct, self.min_health_ts = health_pct, ts


def _max_drawdown_pct(equity: FloatArray) -> float:
    if equity.shape[0] == 0:
        return 0.0
    peak = np.maximum.accumulate(equity)
    return float(np.min(equity / peak - 1.0) * 100.0)


def build_summary(
    bt: FundingBacktest, rec: RunRecord, files: dict[str, str | None]
) -> dict[str, Any]:
    venue, engine, q = bt.venue, bt.engine, bt.quote
    years = max(rec.last_ts - rec.first_ts, 1.0) / YEAR_S
    funding = q.to_decimal(sum(s.payment for s in rec.settlements))
    received = q.to_decimal(sum(s.payment for s in rec.settlements if s.payment > 0))
    paid = q.to_decimal(-sum(s.payment for s in rec.settlements if s.payment < 0))
    pnl = rec.final_equity_usd - rec.initial_usd
    c = rec.spot_costs
    costs = {
        "spot_fee": c.fee,
        "spot_slippage": c.slippage,
        "spot_mev": c.mev,
        "spot_gas": c.gas,
        "spot_priority_fee": c.priority_fee,
        "spot_tip": c.tip,
        "perp_fee": q.to_decimal(venue.fees_paid),
        "perp_slippage": q.to_decimal(venue.slippage_paid),
        "margin_transfer_network": rec.margin_network_usd,
        "liquidation_penalty": q.to_decimal(sum(x.penalty for x in rec.liquidations)),
    }
    costs["total"] = sum(costs.values(), Decimal(0))
    spot0, spot1 = float(bt.spot.open[0]), float(bt.spot.close[-1])
    p = engine.params
    results = {
        "initial_usd": _usd(rec.initial_usd),
        "final_equity_usd": _usd(rec.final_equity_usd),
        "pnl_usd": _usd(pnl),
        "total_return_pct": round(float(pnl / rec.initial_usd) * 100.0, 4),
        "funding_earned_usd": _usd(funding),
        "funding_received_usd": _usd(received),
        "funding_paid_usd": _usd(paid),
        "apr_on_capital_pct": round(float(funding / rec.initial_usd) / years * 100.0, 4),
        "return_apr_pct": round(float(pnl / rec.initial_usd) / years * 100.0, 4),
        "max_abs_delta_drift_pct": round(rec.max_drift_pct, 4),
        "max_abs_delta_usd": _usd(rec.max_delta_usd),
        "min_health_pct": None if rec.min_health_pct is None else round(rec.min_health_pct, 2),
        "min_health_at": None if rec.min_health_pct is None else iso(rec.min_health_ts),
        "entries": engine.stats.entries,
        "entries_aborted": engine.stats.entries_aborted,
        "exits": {
            "funding_negative": engine.stats.exits_funding_negative,
            "funding_spike": engine.stats.exits_funding_spike,
            "health": engine.stats.exits_health,
            "requested": engine.stats.exits_requested,
            "liquidated": engine.stats.exits_liquidated,
        },
        "rebalances": engine.stats.rebalances,
        "reduces": engine.stats.reduces,
        "relevers": engine.stats.relevers,
        "gate_refusals": engine.stats.gate_refusals,
        "trades": {"spot": rec.spot_fills, "perp": rec.perp_fills, "margin": rec.margin_moves},
        "spot_failed": rec.spot_failed,
        "spot_partial": rec.spot_partial,
        "perp_rejected": rec.perp_rejected,
        "liquidations": [
            {"at": iso(x.ts), "size": x.size, "price": str(x.price), "penalty_units": x.penalty}
            for x in rec.liquidations
        ],
        "rejections": dict(sorted(rec.rejections.items())),
        "costs_usd": {k: _usd(v) for k, v in costs.items()},
        "time_in_market_pct": round(rec.steps_in_market * 100.0 / max(rec.steps, 1), 2),
        "max_drawdown_pct": round(_max_drawdown_pct(rec.equity), 4),
        "spot_buy_and_hold_return_pct": round((spot1 / spot0 - 1.0) * 100.0, 4),
        "positions_log": rec.log,
        "open_at_end": engine.want_open or engine.spot_units > 0 or engine.perp_units != 0,
    }
    params = {k: str(v) for k, v in asdict(p).items() if k not in ("base", "quote", "costs")}
    params.update({f"costs.{k}": str(v) for k, v in asdict(p.costs).items()})
    return {
        "engine": "funding",
        "seed": bt.seed,
        "instrument": {"base": bt.base.symbol, "quote": q.symbol, "market": bt.market.symbol},
        "range": {"from": iso(rec.first_ts), "to": iso(rec.last_ts), "steps": rec.steps},
        "data": files,
        "funding_interval_h": bt.interval_s / 3600.0,
        "params": params,
        "perp_venue": {k: str(v) for k, v in asdict(bt.config.perp).items()},
        "realism": {f.name: str(getattr(bt.realism, f.name)) for f in fields(bt.realism)},
        "results": results,
        "engine_stats": asdict(engine.stats),
        "funding_table": engine.funding_table().as_dict(),
    }


def write_outputs(out_dir: Path, summary: dict[str, Any], rec: RunRecord, spot: Series) -> None:
    """``summary.json`` (deterministic bytes) and ``equity.csv`` (one row per hour)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2, sort_keys=True, default=str)
    (out_dir / "summary.json").write_text(text + "\n", encoding="utf-8")
    close_t = spot.close_ts
    with (out_dir / "equity.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["time", "spot_close", "equity_usd"])
        last_hour = -1
        for i in range(rec.equity.shape[0]):
            hour = int(close_t[i] // 3600)
            if hour != last_hour or i == rec.equity.shape[0] - 1:
                writer.writerow(
                    [iso(float(close_t[i])), f"{spot.close[i]:.6f}", f"{rec.equity[i]:.2f}"]
                )
                last_hour = hour
