"""What to backtest (:class:`BacktestSpec`) and what came out (:class:`BacktestResult`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.backtest.book import Marker, Trade
from phantom.backtest.data import Candles, GapPolicy
from phantom.backtest.events import EventPnl
from phantom.backtest.metrics import Metrics
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.token import Token
from phantom.execution.params import RealismParams

FloatArray = npt.NDArray[np.float64]
SOL = Token("SOL", 9)


class Mode(StrEnum):
    REALISTIC = "realistic"  # the paper realism model plus the venue fee
    NAIVE = "naive"  # instant, full, at the signal price, no costs


def default_realism(native: Token = SOL) -> RealismParams:
    """The settings' defaults (``phantom config show``); the CLI passes the effective settings."""
    return RealismParams(
        execution_delay_min_ms=200.0,
        execution_delay_max_ms=1200.0,
        transaction_failure_rate_pct=5.0,
        slippage_base_pct=0.3,
        slippage_impact_multiplier=0.05,
        slippage_volatility_multiplier=3.0,
        mev_risk_rate_pct=20.0,
        mev_penalty_max_pct=1.0,
        mev_attacker_min_profit_usd=Decimal("0.05"),
        partial_fill_rate_pct=10.0,
        min_fill_pct=80.0,
        fee_schedule=SolanaFeeSchedule(),
        native=native,
    )


@dataclass(frozen=True, slots=True)
class BacktestSpec:
    """A backtest. ``data`` maps each of the engine's data roles to a file (or loaded candles).

    - ``start`` / ``end``: bar open times kept, epoch seconds, both included (``None``: all).
    - ``modes``: realistic, naive, or both (``--compare``), run on the same data and seed.
    - ``realism``: the paper model's parameters (``None``: :func:`default_realism`).
    - ``fee_pct``: the venue's taker fee, percent of what each order receives (realistic only).
    - ``liquidity_usd``: the venue liquidity the dynamic slippage model divides the size by.
    - ``initial_usd``: starting cash; ``gas_buffer_usd``: cash entries leave for network fees.
    - ``max_trade_usd``: the size gate (``None``: no cap); ``max_concurrent``, breaker: gates.
    - ``gaps``: ``report`` keeps gaps as they are and lists them, ``fill`` forward-fills,
      ``error`` refuses the file.
    - ``symbol``: ``BASE/QUOTE`` (default: from the file name, ``SOL_USDT-1h`` -> SOL/USDT).
    - ``native_usd``: USD price of the native gas token when it is not the traded asset.
    - ``volatility_window`` (bars) / ``volatility_threshold_pct`` (hourly RMS move, percent):
      when the dynamic model's volatility multiplier applies (see ``backtest/market.py``).
    - ``batch_size``: bars handed to the engine per call (never changes a result).
    """

    engine: str
    data: Mapping[str, Path | str | Candles]
    params: Mapping[str, str | int | float | Decimal] = field(default_factory=dict)
    modes: tuple[Mode, ...] = (Mode.REALISTIC,)
    start: float | None = None
    end: float | None = None
    seed: int = 0
    realism: RealismParams | None = None
    fee_pct: Decimal = Decimal("0.1")
    liquidity_usd: Decimal = Decimal(1_000_000)
    initial_usd: Decimal = Decimal(10_000)
    gas_buffer_usd: Decimal = Decimal(1)
    max_trade_usd: Decimal | None = None
    max_concurrent: int = 3
    max_consecutive_failures: int = 5
    failure_cooldown_s: float = 60.0
    gaps: GapPolicy = GapPolicy.REPORT
    symbol: str | None = None
    native_usd: Decimal = Decimal(150)
    volatility_window: int = 60
    volatility_threshold_pct: float = 2.0
    batch_size: int = 65_536

    def __post_init__(self) -> None:
        if not self.modes:
            raise ValueError("backtest: at least one mode")
        if self.initial_usd <= 0:
            raise ValueError(f"backtest: initial_usd must be > 0, got {self.initial_usd}")
        if self.liquidity_usd <= 0:
            raise ValueError(f"backtest: liquidity_usd must be > 0, got {self.liquidity_usd}")
        if not Decimal(0) <= self.fee_pct < Decimal(100):
            raise ValueError(f"backtest: fee_pct must be in [0, 100), got {self.fee_pct}")
        if self.batch_size < 1:
            raise ValueError(f"backtest: batch_size must be >= 1, got {self.batch_size}")
        if self.volatility_window < 2:
            raise ValueError("backtest: volatility_window must be >= 2")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("backtest: end is before start")


@dataclass(frozen=True, slots=True)
class ModeResult:
    """One mode's run: metrics, the per-bar equity curve and exposure, trades, crash PnL."""

    mode: Mode
    metrics: Metrics
    equity: FloatArray
    held: npt.NDArray[np.bool_]
    trades: tuple[Trade, ...]
    markers: tuple[Marker, ...]
    events: tuple[EventPnl, ...]
    engine_stats: Mapping[str, int]
    engine_figures: Mapping[str, Any]  # the engine's own summary() (per pod, per entry, ...)
    elapsed_s: float  # wall time of the event loop (not in summary.json: not deterministic)


@dataclass(frozen=True, slots=True)
class BacktestResult:
    spec: BacktestSpec
    candles: Candles  # the traded pair, as run (after the range and the gap policy)
    base: Token
    quote: Token
    runs: Mapping[Mode, ModeResult]
    buy_and_hold: FloatArray  # equity of the initial cash put in the asset at the first open
    data_report: Mapping[str, Any]

    @property
    def close_ts(self) -> FloatArray:
        return self.candles.ts + self.candles.timeframe_s
