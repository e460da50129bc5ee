"""What a DEX replay reports: per-mode counters, ``summary.json``, ``fills.csv`` and a table.

Every figure in ``summary.json`` comes from simulated data only (no wall time, no absolute
path beyond what the caller passed), with sorted keys and USD amounts as fixed-point strings, so
the same inputs and seed give the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from phantom.backtest.dex_config import GAS_ETH, DexReplayConfig
from phantom.backtest.dex_events import USDC, PoolEvent, PoolFile
from phantom.core.costs import COST_KINDS, CostBreakdown
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent

if TYPE_CHECKING:
    from phantom.backtest.dex_replay import ModeRun

USD = Decimal("0.000001")
BEST = 5


def _usd(value: Decimal) -> str:
    return str(value.quantize(USD))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class FillRow:
    """One intent's line in ``fills.csv``."""

    intent_id: str
    block_sent: int
    block_done: int | None
    route: str
    amount_in: int
    expected_out: int
    amount_out: int
    expected_profit_usd: Decimal
    status: str
    reason: str
    pnl_usd: Decimal
    costs_usd: Decimal
    arrived_ts: float | None

    @classmethod
    def rejected(cls, intent: OrderIntent, block: int, reason: str) -> FillRow:
        return cls(
            intent.intent_id, block, None, intent.route.value, intent.amount_in,
            intent.expected_amount_out, 0, intent.expected_profit_usd, "rejected", reason,
            Decimal(0), Decimal(0), None,
        )  # fmt: skip

    def as_row(self) -> list[str]:
        return [
            self.intent_id,
            str(self.block_sent),
            "" if self.block_done is None else str(self.block_done),
            "" if self.arrived_ts is None else _iso(self.arrived_ts),
            self.route,
            str(self.amount_in),
            str(self.expected_out),
            str(self.amount_out),
            _usd(self.expected_profit_usd),
            self.status,
            self.reason,
            _usd(self.pnl_usd),
            _usd(self.costs_usd),
        ]


CSV_HEADER = [
    "intent_id",
    "block_sent",
    "block_executed",
    "arrived",
    "route",
    "amount_in_usdc_units",
    "expected_out_usdc_units",
    "amount_out_usdc_units",
    "expected_profit_usd",
    "status",
    "reason",
    "pnl_usd",
    "costs_usd",
]


@dataclass(slots=True)
class ModeReport:
    mode: str
    pool_updates: int = 0
    updates_before_all_pools: int = 0
    engine_start_ts: float | None = None
    sent: int = 0
    sent_by_route: Counter[str] = field(default_factory=Counter)
    expected_profit_usd: Decimal = Decimal(0)
    rejections: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    fills: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    sandwiched: int = 0
    pnl_usd: Decimal = Decimal(0)
    costs: CostBreakdown = field(default_factory=CostBreakdown)
    fill_rows: list[FillRow] = field(default_factory=list)
    engine: dict[str, int] = field(default_factory=dict)
    tick_maps: dict[str, dict[str, int]] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    start_balances: dict[str, int] = field(default_factory=dict)

    def on_sent(self, intent: OrderIntent) -> None:
        self.sent += 1
        self.sent_by_route[intent.route.value] += 1
        self.expected_profit_usd += intent.expected_profit_usd

    def on_fill(
        self, fill: Fill, intent: OrderIntent, block_sent: int, block_done: int, usd: Decimal
    ) -> None:
        self.fills[fill.status.value] += 1
        reason = fill.failure_reason.split(":", 1)[0] if fill.failure_reason else ""
        if reason:
            self.failures[reason] += 1
        self.sandwiched += int(fill.sandwiched)
        self.pnl_usd += usd
        self.costs = self.costs + fill.costs
        self.fill_rows.append(
            FillRow(
                intent.intent_id, block_sent, block_done, intent.route.value, intent.amount_in,
                intent.expected_amount_out, fill.amount_out, intent.expected_profit_usd,
                fill.status.value, reason, usd, fill.costs.total, fill.arrived_at,
            )
        )  # fmt: skip

    def finish(self, run: ModeRun) -> None:
        if run.engine is not None:
            s = run.engine.stats
            self.engine = {
                "updates": s.updates,
                "opportunities_found": s.opportunities_seen,
                "unprofitable_after_gas": s.unprofitable_after_costs,
                "skipped_busy": s.skipped_busy,
                "intents": s.intents,
            }
        self.tick_maps = {
            addr: {**dict(sorted(t.stats.items())), "known_ticks": len(t.known)}
            for addr, t in sorted(run.trackers.items())
        }
        self.balances = dict(sorted(run.vault.balance.items()))
        self.start_balances = dict(sorted(run.vault.start.items()))

    def as_dict(self) -> dict[str, Any]:
        usdc_delta = self.balances.get(USDC.symbol, 0) - self.start_balances.get(USDC.symbol, 0)
        gas = self.start_balances.get(GAS_ETH.symbol, 0) - self.balances.get(GAS_ETH.symbol, 0)
        executed = [r for r in self.fill_rows if r.status != "rejected"]
        best = sorted(self.fill_rows, key=lambda r: (-r.expected_profit_usd, r.intent_id))[:BEST]
        return {
            "pool_updates": self.pool_updates,
            "updates_before_all_pools_known": self.updates_before_all_pools,
            "engine_started": None if self.engine_start_ts is None else _iso(self.engine_start_ts),
            "opportunities": self.engine,
            "gated": dict(sorted(self.rejections.items())),
            "refused_by_model": dict(sorted(self.refused.items())),
            "sent": self.sent,
            "sent_by_route": dict(sorted(self.sent_by_route.items())),
            "executed": dict(sorted(self.fills.items())),
            "failures": dict(sorted(self.failures.items())),
            "sandwiched": self.sandwiched,
            "expected_profit_usd_of_sent": _usd(self.expected_profit_usd),
            "pnl_usd": _usd(self.pnl_usd),
            "win_rate": _rate(sum(1 for r in executed if r.pnl_usd > 0), len(executed)),
            "costs_usd": {k: _usd(getattr(self.costs, k)) for k in COST_KINDS},
            "costs_total_usd": _usd(self.costs.total),
            "usdc_delta": f"{USDC.to_decimal(usdc_delta):f}",
            "gas_spent_eth": f"{GAS_ETH.to_decimal(gas):f}",
            "best_intents": [
                {
                    "intent": r.intent_id,
                    "block": r.block_sent,
                    "expected_profit_usd": _usd(r.expected_profit_usd),
                    "outcome": r.status if not r.reason else f"{r.status}: {r.reason}",
                    "pnl_usd": _usd(r.pnl_usd),
                }
                for r in best
            ],
            "tick_maps": self.tick_maps,
        }


def _rate(wins: int, total: int) -> str | None:
    return None if total == 0 else str((Decimal(wins) / Decimal(total)).quantize(USD))


def build_summary(
    data_dir: Path,
    pools: list[PoolFile],
    events: list[PoolEvent],
    config: DexReplayConfig,
    seed: int,
    reports: list[ModeReport],
) -> dict[str, Any]:
    by_pool: dict[str, Counter[str]] = {p.address: Counter() for p in pools}
    for ev in events:
        by_pool[ev.pool][ev.kind] += 1
    return {
        "engine": "arb",
        "data": {
            "dir": str(data_dir),
            "pools": [
                {
                    "address": p.address,
                    "label": p.label,
                    "fee_ppm": p.fee_ppm,
                    "tick_spacing": p.tick_spacing,
                    "file": p.path.name,
                    "events": dict(sorted(by_pool[p.address].items())),
                }
                for p in pools
            ],
            "events": len(events),
            "first_block": events[0].block if events else None,
            "last_block": events[-1].block if events else None,
            "first_event": _iso(events[0].ts) if events else None,
            "last_event": _iso(events[-1].ts) if events else None,
        },
        "seed": seed,
        "config": config.as_dict(),
        "modes": {r.mode: r.as_dict() for r in reports},
    }


Row = tuple[str, Callable[[dict[str, Any]], object]]


def table(summary: dict[str, Any]) -> str:
    """A short text table of the modes side by side."""
    modes: dict[str, dict[str, Any]] = summary["modes"]
    rows: list[Row] = [
        ("pool updates", lambda m: m["pool_updates"]),
        ("opportunities found", lambda m: m["opportunities"].get("opportunities_found", 0)),
        ("unprofitable after gas", lambda m: m["opportunities"].get("unprofitable_after_gas", 0)),
        ("sized intents", lambda m: m["opportunities"].get("intents", 0)),
        ("gated", lambda m: _fmt_counts(m["gated"])),
        ("sent", lambda m: m["sent"]),
        ("executed", lambda m: _fmt_counts(m["executed"])),
        ("failures", lambda m: _fmt_counts(m["failures"])),
        ("expected profit USD", lambda m: m["expected_profit_usd_of_sent"]),
        ("PnL USD", lambda m: m["pnl_usd"]),
        ("costs USD", lambda m: m["costs_total_usd"]),
        ("gas spent ETH", lambda m: m["gas_spent_eth"]),
    ]
    names = list(modes)
    cells = [[label, *(str(fn(modes[n])) for n in names)] for label, fn in rows]
    header = ["", *names]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]
    out = io.StringIO()
    pools = ", ".join(p["label"] for p in summary["data"]["pools"])
    out.write(f"DEX replay: {summary['data']['events']} events ({pools}), seed {summary['seed']}\n")
    for r in [header, *cells]:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    return out.getvalue().rstrip("\n")


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "-"


def write_outputs(out_dir: Path, summary: dict[str, Any], reports: list[ModeReport]) -> str:
    """Write ``summary.json`` and ``fills.csv`` (realistic mode's intents; a ``mode`` column
    when several modes ran); return the table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    (out_dir / "summary.json").write_bytes(data)
    with (out_dir / "fills.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["mode", *CSV_HEADER])
        for report in reports:
            for row in report.fill_rows:
                writer.writerow([report.mode, *row.as_row()])
    return table(summary)
