"""Benchmark: phantom's backtester on the speed race's workload, naive and realistic.

The workload of ``bench/backtesters/phantom_runner.py``: the ``sma`` engine (SMA(10)/SMA(50),
long/flat, entries capped at 10,000 USD out of 10,000,000 USD of cash), a 0.1 % venue fee, seed
42, over ``phantom.backtest.synthetic.random_walk(1_000_000, 42)`` (one-minute bars). Each mode
runs ``run_backtest`` once to warm up, then 3 times in this process; figures are medians of
``time.perf_counter`` around ``run_backtest`` (loading aside: the bars are already in memory).

``run()`` returns, for the interpreted source and (``compiled_*``) for the mypyc-compiled build
of the hot path (``bench/compiled.py``, run in a child process with ``PYTHONPATH`` on it):

- ``naive_bars_per_s`` / ``realistic_bars_per_s``: bars / median wall time;
- ``realistic_us_per_order``: median realistic wall time / intents sent, in µs (all-in: the bar
  work, the engine, the risk gates, the paper realism model with the venue fee, and the book);
- ``peak_rss_mb``: the process's peak resident set (``getrusage``), data and runs included.

Every timed run of a mode must give the same metrics (the determinism the speed-ups keep), and
the compiled build the same metrics as the interpreted source (checked through a digest).
Target (issue 3, item 8): >= 1,000,000 bars/s realistic, <= 0.5 GB. Checked here, never in tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

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


def time_mode(candles: Candles, mode: Mode, repeats: int = REPEATS) -> tuple[float, int, str]:
    """Median wall seconds of ``repeats`` runs after a warm-up, the intents sent per run and a
    digest of the metrics."""
    spec = spec_for(candles, mode)
    first = run_backtest(spec).runs[mode].metrics
    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        metrics = run_backtest(spec).runs[mode].metrics
        walls.append(time.perf_counter() - t0)
        if metrics != first:
            raise RuntimeError(f"{mode.value}: two runs of the same spec differ")
    digest = hashlib.sha256(repr(first).encode()).hexdigest()[:16]
    return statistics.median(walls), first.intents, digest


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def measure(bars: int = BARS, repeats: int = REPEATS) -> dict[str, float | str]:
    """The figures of this process (interpreted or compiled, whichever it imports)."""
    candles = random_walk(bars, SEED)
    naive_s, _, naive_digest = time_mode(candles, Mode.NAIVE, repeats)
    realistic_s, orders, realistic_digest = time_mode(candles, Mode.REALISTIC, repeats)
    return {
        "naive_bars_per_s": bars / naive_s,
        "realistic_bars_per_s": bars / realistic_s,
        "realistic_us_per_order": realistic_s / max(orders, 1) * 1e6,
        "peak_rss_mb": peak_rss_mb(),
        "digest": f"{naive_digest}/{realistic_digest}",
    }


def measure_compiled(bars: int = BARS, repeats: int = REPEATS) -> dict[str, float | str]:
    """:func:`measure` in a child process that imports the compiled build."""
    from bench.compiled import build

    tree = build()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{root}"}  # the build's phantom first
    cmd = [sys.executable, str(Path(__file__)), "--json", str(bars), str(repeats)]
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"compiled run failed: {proc.stderr.strip()[-400:]}")
    out: dict[str, float | str] = json.loads(proc.stdout.strip().splitlines()[-1])
    if out.pop("compiled", False) is not True:
        raise RuntimeError("the child process did not import the compiled build")
    return out


def run(bars: int = BARS, repeats: int = REPEATS) -> dict[str, float]:
    from bench.compiled import BuildUnavailable

    plain = measure(bars, repeats)
    figures = {k: float(v) for k, v in plain.items() if k != "digest"}
    try:
        compiled = measure_compiled(bars, repeats)
    except BuildUnavailable as exc:
        print(f"  backtest speed: compiled build unavailable: {exc}", file=sys.stderr)
        return figures
    if compiled["digest"] != plain["digest"]:
        raise RuntimeError("the compiled build's metrics differ from the interpreted source's")
    for key, value in compiled.items():
        if key != "digest":
            figures[f"compiled_{key}"] = float(value)
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--json"]:
        from bench.compiled import is_compiled

        n, r = (int(a) for a in sys.argv[2:4]) if len(sys.argv) >= 4 else (BARS, REPEATS)
        result = measure(n, r)
        print(json.dumps({**result, "compiled": is_compiled()}))
    else:
        for name, value in run().items():
            print(f"{name:36s} {value:14,.1f}")
