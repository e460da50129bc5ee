"""``run_backtest``: load the data, run each mode through the same loop, measure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.backtest.book import Book
from phantom.backtest.clients import NaiveExecutionClient
from phantom.backtest.crash_events import events_between
from phantom.backtest.data import (
    Candles,
    GapPolicy,
    fill_gaps,
    find_gaps,
    gap_error,
    load_candles,
)
from phantom.backtest.errors import iso
from phantom.backtest.events import events_pnl
from phantom.backtest.market import BarMarket, hourly_volatility_pct
from phantom.backtest.metrics import compute_metrics
from phantom.backtest.registry import BuildInfo, EngineConfigError, get_engine, token_for
from phantom.backtest.runner import FeeUnits, LoopResult, NetworkFeeUnits, Runner, engine_stats
from phantom.backtest.spec import BacktestResult, BacktestSpec, Mode, ModeResult, default_realism
from phantom.core.fills import FillStatus
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.engines.base import BarEngine
from phantom.execution.client import ExecutionClient
from phantom.execution.paper import PaperExecutionClient
from phantom.execution.params import RealismParams
from phantom.risk.breaker import CircuitBreaker
from phantom.risk.gate import RiskChain, RiskGate
from phantom.risk.gates import MaxConcurrentGate, MaxTradeSizeGate

GAPS_LISTED = 20
FAILED = FillStatus.FAILED

EngineBuilder = Callable[[Mapping[str, str], BuildInfo], BarEngine]


def select(candles: Candles, start: float | None, end: float | None) -> Candles:
    """Candles already in memory, cut to ``[start, end]`` (bar open times)."""
    i0 = 0 if start is None else int(np.searchsorted(candles.ts, start, side="left"))
    i1 = len(candles) if end is None else int(np.searchsorted(candles.ts, end, side="right"))
    if i0 == 0 and i1 == len(candles):
        return candles
    s = slice(i0, i1)
    return replace(
        candles,
        ts=candles.ts[s],
        open=candles.open[s],
        high=candles.high[s],
        low=candles.low[s],
        close=candles.close[s],
        volume=candles.volume[s],
        gaps=find_gaps(candles.ts[s], candles.timeframe_s, candles.first_row + i0),
        first_row=candles.first_row + i0,
    )


def load_price(spec: BacktestSpec, role: str) -> Candles:
    source = spec.data[role]
    if isinstance(source, Candles):
        candles = select(source, spec.start, spec.end)
        if len(candles) == 0:
            raise ValueError(f"data {role}=: no bar in the selected range")
        if candles.gaps and spec.gaps is GapPolicy.ERROR:
            raise gap_error(candles.path, candles.gaps, candles.timeframe_s)
        return fill_gaps(candles) if spec.gaps is GapPolicy.FILL else candles
    return load_candles(
        Path(source), gaps=spec.gaps, start=spec.start, end=spec.end, symbol=spec.symbol
    )


def instrument(spec: BacktestSpec, candles: Candles) -> tuple[Token, Token]:
    symbol = spec.symbol or candles.symbol
    if "/" not in symbol:
        raise ValueError(f"symbol {symbol!r}: expected BASE/QUOTE (pass --symbol)")
    base, quote = symbol.split("/", 1)
    return token_for(base), token_for(quote)


def _gates(spec: BacktestSpec) -> RiskChain:
    gates: list[RiskGate] = [
        CircuitBreaker(spec.max_consecutive_failures, spec.failure_cooldown_s),
        MaxConcurrentGate(spec.max_concurrent),
    ]
    if spec.max_trade_usd is not None:
        gates.append(MaxTradeSizeGate(spec.max_trade_usd))
    return RiskChain(gates)


def _client(spec: BacktestSpec, mode: Mode, realism: RealismParams) -> ExecutionClient:
    if mode is Mode.NAIVE:
        return NaiveExecutionClient()
    with_fee = replace(realism, venue_fee_pct=spec.fee_pct)  # the venue's taker fee
    return PaperExecutionClient(with_fee, SeededRng(spec.seed).stream("backtest"))


def _fee_units(mode: Mode, realism: RealismParams) -> FeeUnits:
    """The network fee (native base units) inside a fill's native delta; 0 for naive fills."""
    if mode is Mode.NAIVE:
        return lambda fill, intent: 0
    return NetworkFeeUnits(realism.fee_schedule)


def run_mode(
    spec: BacktestSpec,
    mode: Mode,
    candles: Candles,
    base: Token,
    quote: Token,
    realism: RealismParams,
    params: Mapping[str, str],
    volatile_bars: npt.NDArray[np.bool_] | None = None,
    build: EngineBuilder | None = None,
) -> ModeResult:
    entry = get_engine(spec.engine)
    info = BuildInfo(base, quote, spec.liquidity_usd, spec.max_trade_usd, f"{spec.engine}")
    engine = (build or entry.build)(params, info)
    native = realism.native
    book = Book(
        engine=engine.name,
        base=base,
        quote=quote,
        native=native,
        cash=quote.to_units(spec.initial_usd),
        gas_buffer=quote.to_units(spec.gas_buffer_usd) if mode is Mode.REALISTIC else 0,
    )
    market = BarMarket(
        candles,
        base,
        quote,
        native,
        float(spec.native_usd),
        spec.volatility_window,
        spec.volatility_threshold_pct,
        volatile_bars,
    )
    runner = Runner(
        candles=candles,
        engine=engine,
        client=_client(spec, mode, realism),
        gates=_gates(spec),
        book=book,
        market=market,
        fee_units=_fee_units(mode, realism),
        batch_size=spec.batch_size,
    )
    loop = runner.run()
    return _measure(spec, mode, candles, loop, engine_stats(engine), engine_figures(engine))


def engine_figures(engine: BarEngine) -> dict[str, Any]:
    """The engine's own figures (per pod, per entry, ...) if it reports any (``summary()``)."""
    report = getattr(engine, "summary", None)
    return dict(report()) if callable(report) else {}


def _measure(
    spec: BacktestSpec,
    mode: Mode,
    candles: Candles,
    loop: LoopResult,
    stats: dict[str, int],
    figures: dict[str, Any],
) -> ModeResult:
    book = loop.book
    close_ts = candles.ts + candles.timeframe_s
    metrics = compute_metrics(
        equity=loop.equity,
        close_ts=close_ts,
        first_open_ts=float(candles.ts[0]),
        held=loop.held,
        trades=book.trades,
        open_trade=book.open_trade is not None,
        initial_usd=spec.initial_usd,
        final_equity_usd=loop.final_equity_usd,
        costs=book.costs,
        fills=book.fills_by_status,
        failures=book.failures,
        rejections=loop.rejections,
        intents=loop.intents,
    )
    events = events_pnl(
        events_between(float(candles.ts[0]), float(close_ts[-1])),
        equity=loop.equity,
        open_ts=candles.ts,
        close_ts=close_ts,
        close=candles.close,
        held=loop.held,
        initial_usd=float(spec.initial_usd),
    )
    return ModeResult(
        mode=mode,
        metrics=metrics,
        equity=loop.equity,
        held=loop.held,
        trades=tuple(book.trades),
        markers=tuple(book.markers),
        events=tuple(events),
        engine_stats=stats,
        engine_figures=figures,
        elapsed_s=loop.elapsed_s,
    )


def data_report(spec: BacktestSpec, candles: Candles) -> dict[str, Any]:
    return {
        "path": candles.path,
        "symbol": spec.symbol or candles.symbol,
        "timeframe_s": candles.timeframe_s,
        "bars": len(candles),
        "first_bar": iso(float(candles.ts[0])),
        "last_bar": iso(float(candles.ts[-1])),
        "gap_policy": spec.gaps.value,
        "gaps": len(candles.gaps),
        "missing_bars": sum(g.missing for g in candles.gaps),
        "gaps_listed": [g.as_dict() for g in candles.gaps[:GAPS_LISTED]],
        "filled_bars": candles.filled_bars,
    }


def run_backtest(spec: BacktestSpec, *, build: EngineBuilder | None = None) -> BacktestResult:
    """Run ``spec``: every mode on the same data and seed. Raises ``DataError`` for bad data,
    ``EngineConfigError`` for an unknown engine, parameter or data role. ``build`` replaces the
    registry's builder of the engine (tests and callers with parameters ``--param`` strings
    cannot express)."""
    entry = get_engine(spec.engine)
    unknown = sorted(set(spec.data) - set(entry.roles))
    if unknown:
        raise EngineConfigError(
            f"engine {entry.name}: unknown data role(s) {', '.join(unknown)} "
            f"(roles: {', '.join(f'{r}=' for r in entry.roles)})"
        )
    if entry.price_role not in spec.data:
        raise EngineConfigError(
            f"engine {entry.name}: needs --data {entry.price_role}=PATH "
            f"({entry.roles[entry.price_role]})"
        )
    params = entry.check_params(spec.params)
    if entry.derive is not None:
        candles = entry.derive({role: load_price(spec, role) for role in spec.data})
    else:
        candles = load_price(spec, entry.price_role)
    base, quote = instrument(spec, candles)
    realism = spec.realism or default_realism()
    for token in (base, quote):  # the same object, not only an equal one: faster comparisons
        if realism.native == token and realism.native is not token:
            realism = replace(realism, native=token)
    volatile = (
        hourly_volatility_pct(candles.close, candles.timeframe_s, spec.volatility_window)
        > spec.volatility_threshold_pct
    )
    runs = {
        mode: run_mode(spec, mode, candles, base, quote, realism, params, volatile, build)
        for mode in dict.fromkeys(spec.modes)
    }
    hold = float(spec.initial_usd) / float(candles.open[0]) * candles.close
    return BacktestResult(
        spec=spec,
        candles=candles,
        base=base,
        quote=quote,
        runs=runs,
        buy_and_hold=hold,
        data_report=data_report(spec, candles),
    )
