"""Benchmark: phantom's backtester on the speed race's workload, naive and realistic.

The workload of ``bench/backtesters/phantom_runner.py``: the ``sma`` engine (SMA(10)/SMA(50),
long/flat, entries capped at 10,000 USD out of 10,000,000 USD of cash), a 0.1 % venue fee, seed
42, over ``phantom.backtest.synthetic.random_walk(1_000_000, 42)`` (one-minute bars). Each mode
runs ``run_backtest`` once to warm up, then 3 times in this process; figures are medians of
``time.perf_counter`` around ``run_backtest`` (loading aside: the bars are already in memory).

``run()`` returns:

- ``naive_bars_per_s`` / ``realistic_bars_per_s``: bars / median wall time;
- ``realistic_us_per_order``: median realistic wall time / intents sent, in µs (all-in: the bar
  work, the engine, the risk gates, the paper realism model, the venue fee and the book);
- ``peak_rss_mb``: the process's peak resident set (``getrusage``), data and runs included.

Every timed run of a mode must give the same metrics (the determinism the speed-ups keep).
Target (issue 3, item 8): >= 1,000,000 bars/s realistic, <= 0.5 GB. Checked here, never in tests.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from decimal import Decimal

from phantom.backtest import BacktestSpec, Mode, run_backtest
from phantom.backtest.data import Candles
from phantom.backtest.synthetic import random_walk

BARS = 1_000_000
SEED = 42
REPEATS = 3


def spec_for(candles: Candles, mode: Mode) -> BacktestSpec:
    return BacktestSpec(
        engine="sma",
        data={"price": candles},
        params={"fast": 10, "slow": 50, "max_notional_usd": Decimal(10_000)},
        modes=(mode,),
        seed=SEED,
        fee_pct=Decimal("0.1"),
        initial_usd=Decimal(10_000_000),
    )


def time_mode(candles: Candles, mode: Mode, repeats: int = REPEATS) -> tuple[float, int]:
    """Median wall seconds of ``repeats`` runs after a warm-up, and the intents sent per run."""
    spec = spec_for(candles, mode)
    first = run_backtest(spec).runs[mode].metrics
    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        metrics = run_backtest(spec).runs[mode].metrics
        walls.append(time.perf_counter() - t0)
        if metrics != first:
            raise RuntimeError(f"{mode.value}: two runs of the same spec differ")
    return statistics.median(walls), first.intents


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def run(bars: int = BARS, repeats: int = REPEATS) -> dict[str, float]:
    candles = random_walk(bars, SEED)
    naive_s, _ = time_mode(candles, Mode.NAIVE, repeats)
    realistic_s, orders = time_mode(candles, Mode.REALISTIC, repeats)
    return {
        "naive_bars_per_s": bars / naive_s,
        "realistic_bars_per_s": bars / realistic_s,
        "realistic_us_per_order": realistic_s / max(orders, 1) * 1e6,
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:28s} {value:14,.1f}")
