"""Race runner: phantom's own backtester (the project's ``.venv``).

``run_backtest`` with the ``sma`` engine (fast 10, slow 50) over the shared bars, through the real
engine API and event loop: ``--mode realistic`` (the paper realism model: latency, failures,
dynamic slippage, MEV, partial fills, network fees, plus the 0.1 % venue fee) or ``--mode naive``
(instant, full, at the signal price, no costs). Entries are capped at 10,000 USD
(``max_notional_usd``, about the race's 100 units at the walk's starting price of 100) out of
10,000,000 USD of cash, so, as for every other tool, cash never binds.

``trades`` counts entries (the book's round trips, the last one possibly open). The naive run
must match the other tools exactly; the realistic run can differ a little when a modelled
failure makes an entry late or lost (its ``crossovers`` field is the engine's signal count).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal

import numpy as np
from _common import BARS, MINUTE_NS, START_NS, data_sha, load, peak_rss_mb

from phantom.backtest import BacktestSpec, Candles, Mode, run_backtest
from phantom.core.construct import is_native
from phantom.execution.paper import PaperExecutionClient


def candles_of(bars: np.ndarray) -> Candles:
    n = len(bars)
    return Candles(
        path=f"bench random walk ({n} bars, seed 42)",
        symbol="SOL/USDT",
        timeframe_s=60.0,
        ts=START_NS / 1e9 + np.arange(n, dtype=np.float64) * 60.0,
        open=np.ascontiguousarray(bars[:, 0]),
        high=np.ascontiguousarray(bars[:, 1]),
        low=np.ascontiguousarray(bars[:, 2]),
        close=np.ascontiguousarray(bars[:, 3]),
        volume=np.ascontiguousarray(bars[:, 4]),
    )


def compiled() -> bool:
    """Whether this process runs phantom's mypyc-compiled build (``bench/compiled.py``)."""
    return is_native(PaperExecutionClient)


def main() -> None:
    parser = argparse.ArgumentParser(description="SMA race runner: phantom")
    parser.add_argument("--data", default=None)
    parser.add_argument("--bars", type=int, default=BARS)
    parser.add_argument("--mode", choices=[m.value for m in Mode], default="realistic")
    args = parser.parse_args()
    assert MINUTE_NS == 60 * 1_000_000_000
    bars = load(args.data, args.bars)
    mode = Mode(args.mode)
    started = time.perf_counter()
    spec = BacktestSpec(
        engine="sma",
        data={"price": candles_of(bars)},
        params={"fast": 10, "slow": 50, "max_notional_usd": Decimal(10_000)},
        modes=(mode,),
        seed=42,
        fee_pct=Decimal("0.1"),
        initial_usd=Decimal(10_000_000),
    )
    result = run_backtest(spec)
    run = result.runs[mode]
    wall = time.perf_counter() - started
    metrics = run.metrics
    out = {
        "tool": f"phantom ({mode.value}{', mypyc-compiled' if compiled() else ''})",
        "version": "0.1.0",
        "bars": len(bars),
        "wall_s": round(wall, 4),
        "loop_s": round(run.elapsed_s, 4),
        "bars_per_s": round(len(bars) / wall, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "trades": len(run.trades),
        "crossovers": int(run.engine_stats.get("crossovers", -1)),
        "final_equity": float(run.equity[-1]) if len(run.equity) else 0.0,
        "data_sha": data_sha(bars),
        "metrics_trades": getattr(metrics, "trades", None),
    }
    sys.stdout.write(json.dumps(out, default=str) + "\n")


if __name__ == "__main__":
    main()
