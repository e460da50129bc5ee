"""Backtests whose outputs are pinned: ``summary.json`` bytes and every fill the engine saw.

The fills are caught on their way into the engine (``on_fill``), after the venue fee, so they are
exactly what the book booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from phantom.backtest import BacktestSpec, Mode, run_backtest
from phantom.backtest.data import Candles
from phantom.backtest.registry import BuildInfo, get_engine
from phantom.backtest.report import summary_json
from phantom.backtest.synthetic import random_walk
from phantom.core.fills import Fill
from phantom.engines.base import BarEngine

from .serialize import digest, fill_dict

CANDLES = Path(__file__).resolve().parent.parent / "fixtures" / "candles"
FIXTURES = ("SOL_USDT-1h-ftx.feather", "SOL_USDT-1h-luna.feather", "SOL_USDT-1h-gap.feather")
WALK_BARS = 30_000


class _Tap:
    """Wraps an engine and keeps every fill handed to it."""

    def __init__(self, inner: BarEngine, fills: list[Fill]) -> None:
        self._inner = inner
        self._fills = fills

    def on_fill(self, fill: Fill) -> None:
        self._fills.append(fill)
        self._inner.on_fill(fill)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def run(spec: BacktestSpec) -> tuple[str, dict[str, list[Fill]]]:
    """``summary.json`` of ``spec`` and, per mode, the fills in the order the engine got them."""
    fills: dict[str, list[Fill]] = {}
    built: list[list[Fill]] = []

    def build(params: Mapping[str, str], info: BuildInfo) -> BarEngine:
        built.append([])
        return _Tap(get_engine(spec.engine).build(params, info), built[-1])  # type: ignore[return-value]

    result = run_backtest(spec, build=build)
    for mode, tapped in zip(result.runs, built, strict=True):
        fills[mode.value] = tapped
    return summary_json(result), fills


def fixture_spec(name: str) -> BacktestSpec:
    return BacktestSpec(
        engine="sma",
        data={"price": CANDLES / name},
        modes=(Mode.REALISTIC, Mode.NAIVE),
        seed=7,
        params={"fast": 5, "slow": 20},
    )


def walk_spec(data: Candles | None = None) -> BacktestSpec:
    """The speed benchmark's settings on a shorter walk (1-minute bars, entries of 10k USD)."""
    return BacktestSpec(
        engine="sma",
        data={"price": data if data is not None else random_walk(WALK_BARS, 42)},
        params={"fast": 10, "slow": 50, "max_notional_usd": Decimal(10_000)},
        modes=(Mode.REALISTIC, Mode.NAIVE),
        seed=42,
        fee_pct=Decimal("0.1"),
        initial_usd=Decimal(10_000_000),
    )


def fills_record(fills: dict[str, list[Fill]]) -> dict[str, list[dict[str, Any]]]:
    return {mode: [fill_dict(f) for f in seq] for mode, seq in fills.items()}


def fills_digest(fills: dict[str, list[Fill]]) -> dict[str, Any]:
    return {
        mode: {"fills": len(seq), "sha256": digest([fill_dict(f) for f in seq])}
        for mode, seq in fills.items()
    }
