"""Shared by every runner of the backtester speed race (imported by scripts run in bench-only
virtual environments, so it needs nothing but numpy and the standard library).

The race (see bench/NOTES.md):

* data: 1,000,000 one-minute bars of a reproducible random walk (numpy seed 42), generated once
  by :func:`random_walk` and handed to each runner as an ``.npy`` file so every tool reads the
  very same floats whatever its numpy version;
* strategy: SMA(10)/SMA(50) crossover, long/flat, a fixed 100 units per entry, 0.1 % fee on
  every fill's traded value, starting cash 10,000,000 (never binding, so no order is ever
  refused for cash and the trade counts depend on the signals only);
* semantics (phantom's SMA engine's): the strategy wants to be long while SMA(10) > SMA(50) of
  the closes and flat otherwise (``fast <= slow``, or before bar index 49, the first bar with
  both averages); at a bar's close it buys when it wants long and holds nothing, and sells when
  it wants flat and holds; the order fills at that same close ("trade on close"), which every
  tool supports natively;
* trades: the number of entries (round trips; the last one may still be open at the end).

Each runner prints one JSON line: ``{tool, version, bars, wall_s, bars_per_s, peak_rss_mb,
trades, final_equity, data_sha}`` where ``wall_s`` covers the tool's own work (turning the
arrays into its data structures, the backtest, reading the result), not the interpreter start,
the imports or the shared data generation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FAST, SLOW = 10, 50
FEE = 0.001  # 0.1 % of each fill's traded value
SIZE = 100  # units per entry
CASH = 10_000_000.0
BARS = 1_000_000
SEED = 42
START_NS = 1_704_067_200 * 1_000_000_000  # 2024-01-01T00:00:00Z
MINUTE_NS = 60 * 1_000_000_000
COLUMNS = ("open", "high", "low", "close", "volume")


def random_walk(n: int = BARS, seed: int = SEED) -> np.ndarray:
    """``(n, 5)`` float64 bars: open, high, low, close, volume. Log-normal walk from 100 with a
    0.1 % standard deviation per minute; open is the previous close; high/low add a small
    positive wick; volume is constant."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.001, n)
    close = 100.0 * np.exp(np.cumsum(steps))
    open_ = np.empty(n)
    open_[0] = 100.0
    open_[1:] = close[:-1]
    wick = np.abs(rng.normal(0.0, 0.0005, (2, n)))
    high = np.maximum(open_, close) * (1.0 + wick[0])
    low = np.minimum(open_, close) * (1.0 - wick[1])
    volume = np.full(n, 1_000.0)
    return np.column_stack([open_, high, low, close, volume])


def data_sha(bars: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(bars).tobytes()).hexdigest()[:16]


def load(path: str | None, n: int) -> np.ndarray:
    if path is None:
        return random_walk(n)
    bars = np.load(path)
    if bars.shape != (n, 5):
        raise SystemExit(f"{path}: expected shape ({n}, 5), got {bars.shape}")
    return np.ascontiguousarray(bars, dtype=np.float64)


def want_long(close: np.ndarray) -> np.ndarray:
    """The race's regime per bar: SMA(fast) > SMA(slow), False until both exist."""
    csum = np.concatenate([[0.0], np.cumsum(close)])
    n = len(close)
    fast = np.full(n, np.nan)
    slow = np.full(n, np.nan)
    fast[FAST - 1 :] = (csum[FAST:] - csum[:-FAST]) / FAST
    slow[SLOW - 1 :] = (csum[SLOW:] - csum[:-SLOW]) / SLOW
    with np.errstate(invalid="ignore"):
        return np.asarray(fast > slow)


def reference_entries(close: np.ndarray) -> int:
    """How many entries the rule makes (vectorised, for checks)."""
    long = want_long(close)
    return int(np.count_nonzero(long[1:] & ~long[:-1]) + int(long[0]))


def peak_rss_mb() -> float:
    """The process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(
    tool: str,
    version: str,
    run: Callable[[np.ndarray], tuple[int, float]],
    warmup_bars: int = 0,
) -> None:
    """Parse ``--data PATH --bars N``, time ``run(bars) -> (trades, final_equity)``, print
    the JSON line. ``warmup_bars > 0`` first runs on that many bars, untimed (JIT compilation
    for numba-based tools); its time is reported as ``warmup_s``."""
    parser = argparse.ArgumentParser(description=f"SMA race runner: {tool}")
    parser.add_argument("--data", default=None, help=".npy file from random_walk (else generate)")
    parser.add_argument("--bars", type=int, default=BARS)
    args = parser.parse_args()
    bars = load(args.data, args.bars)
    warmup_s = None
    if warmup_bars > 0:
        started = time.perf_counter()
        run(bars[:warmup_bars])
        warmup_s = round(time.perf_counter() - started, 4)
    started = time.perf_counter()
    trades, equity = run(bars)
    wall = time.perf_counter() - started
    result: dict[str, Any] = {
        "tool": tool,
        "version": version,
        "bars": len(bars),
        "wall_s": round(wall, 4),
        "bars_per_s": round(len(bars) / wall, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "trades": int(trades),
        "final_equity": round(float(equity), 2),
        "data_sha": data_sha(bars),
    }
    if warmup_s is not None:
        result["warmup_s"] = warmup_s
    sys.stdout.write(json.dumps(result) + "\n")


def save(path: Path, n: int = BARS, seed: int = SEED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, random_walk(n, seed))
    return path
