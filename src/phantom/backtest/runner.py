"""The event loop of one backtest run, in simulated time.

The flow is paper mode's: engine -> risk gates -> capital reservation -> execution client ->
fill -> book -> engine and gates. What differs is how bars reach the engine: in batches
(``BarEngine.on_bars``), so a million bars cost a few numpy passes plus one Python step per
order, not one Python call per bar. The loop never lets the engine look at a bar whose close is
at or after the next execution due: it resolves that execution first (moving the market to the
arrival instant), books it and tells the engine, then lets the engine go on.

Timing: an engine acts at a bar's close (``ts + timeframe``); the intent is sent then; the
execution client decides when it arrives (paper: after the sampled latency; naive: at once) and
fills it against the market at that instant (see ``backtest/market.py``).

Speed: per order the loop does a handful of Python steps and allocates only what the engine
API needs (the context, the gate context); a batch's close times are read from a list.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from phantom.backtest.book import Book
from phantom.backtest.data import Candles
from phantom.backtest.market import BarMarket
from phantom.core.construct import fast_constructor
from phantom.core.fees import SolanaFeeSchedule, solana_fees
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import OrderIntent, Route
from phantom.core.token import Token
from phantom.engines.base import BarEngine, EngineContext
from phantom.execution.client import ExecutionClient
from phantom.execution.realism import RefusedIntent
from phantom.market.state import MarketView
from phantom.portfolio.errors import InsufficientCapital
from phantom.risk.gate import GateContext, RiskChain

FloatArray = npt.NDArray[np.float64]
FeeUnits = Callable[[Fill, OrderIntent], int]
_FAILED = FillStatus.FAILED


def _native_gate_context(now: float, in_flight: int, volatile: bool) -> GateContext:
    o = GateContext.__new__(GateContext)
    o.now = now  # type: ignore[misc]
    o.in_flight = in_flight  # type: ignore[misc]
    o.volatile = volatile  # type: ignore[misc]
    return o


def _native_context(
    now: float, market: MarketView, available: Mapping[Token, int]
) -> EngineContext:
    o = EngineContext.__new__(EngineContext)
    o.now = now  # type: ignore[misc]
    o.market = market  # type: ignore[misc]
    o.available = available  # type: ignore[misc]
    return o


_new_gate_context: Callable[[float, int, bool], GateContext] = fast_constructor(
    GateContext, _native_gate_context
)
_new_context: Callable[[float, MarketView, Mapping[Token, int]], EngineContext] = fast_constructor(
    EngineContext, _native_context
)


class NetworkFeeUnits:
    """The network fee (native base units) a realistic fill's native delta holds: what
    ``solana_fees`` charges an intent of its signatures and route, landed or not (memoised)."""

    def __init__(self, schedule: SolanaFeeSchedule) -> None:
        self.schedule = schedule
        self._cache: dict[tuple[int, bool, bool], int] = {}

    def __call__(self, fill: Fill, intent: OrderIntent) -> int:
        key = (intent.signatures, intent.route is Route.PRIVATE, fill.status is not _FAILED)
        total = self._cache.get(key)
        if total is None:
            fees = solana_fees(self.schedule, key[0], key[1], landed=key[2])
            total = self._cache[key] = fees.total
        return total


class LoopResult:
    """What the loop leaves behind: the book, counters, and the per-bar equity curve."""

    def __init__(self, book: Book, rejections: Counter[str], intents: int, elapsed: float):
        self.book = book
        self.rejections = rejections
        self.intents = intents
        self.elapsed_s = elapsed
        self.equity: FloatArray = np.zeros(0)
        self.held: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.final_equity_usd = Decimal(0)


class Runner:
    def __init__(
        self,
        *,
        candles: Candles,
        engine: BarEngine,
        client: ExecutionClient,
        gates: RiskChain,
        book: Book,
        market: BarMarket,
        fee_units: FeeUnits,
        batch_size: int,
    ) -> None:
        self.c = candles
        self.engine = engine
        self.client = client
        self.gates = gates
        self.book = book
        self.market = market
        self.fee_units = fee_units
        self.batch_size = batch_size
        self.close_ts = candles.ts + candles.timeframe_s
        self.in_flight: dict[str, OrderIntent] = {}
        self.rejections: Counter[str] = Counter()
        self.intents = 0
        self._quote: Token = book.quote
        self._base: Token = book.base

    # --- the loop -----------------------------------------------------------------------------
    def run(self) -> LoopResult:
        t0 = time.perf_counter()
        n = len(self.c)
        close_ts = self.close_ts
        engine, client = self.engine, self.client
        next_due, on_bars, send = client.next_due, engine.on_bars, self._send
        market, balances = self.market, self.book.balances
        for b0 in range(0, n, self.batch_size):
            b1 = min(n, b0 + self.batch_size)
            bars = self.c.batch(b0, b1)
            local_close: list[float] = close_ts[b0:b1].tolist()
            m = b1 - b0
            start = 0
            while start < m:
                stop = m
                due = next_due()
                if due is not None:
                    k = _first_at_or_after(local_close, due, start)
                    if k <= start:
                        self._resolve(due, b0 + start)
                        continue
                    stop = min(stop, k)
                ctx = _new_context(local_close[start], market, balances)
                decision = on_bars(bars, start, stop, ctx)
                if decision.intents:
                    i = decision.index
                    for intent in decision.intents:
                        send(intent, local_close[i], b0 + i)
                    start = i + 1
                else:
                    start = stop  # nothing to do before the next execution (or the batch end)
        while (due := client.next_due()) is not None:
            self._resolve(due)
        result = LoopResult(self.book, self.rejections, self.intents, time.perf_counter() - t0)
        self._curve(result)
        return result

    def _send(self, intent: OrderIntent, now: float, bar: int) -> None:
        self.intents += 1
        volatile = bool(self.market.volatile_bars[bar])
        ctx = _new_gate_context(now, self.client.in_flight(), volatile)
        rejection = self.gates.check(intent, ctx)
        if rejection is not None:
            self.rejections[rejection.reason] += 1
            self.engine.on_rejected(intent, rejection.reason)
            return
        try:
            self.book.reserve(intent)
        except InsufficientCapital:
            self.rejections["insufficient_capital"] += 1
            self.engine.on_rejected(intent, "insufficient_capital")
            return
        self.in_flight[intent.intent_id] = intent
        self.client.submit(intent, now)

    def _resolve(self, due: float, bar: int = -1) -> None:
        self.market.at(due, bar)
        try:
            outcomes = self.client.due(due, self.market)
        except RefusedIntent as exc:
            intent = self.in_flight.pop(exc.intent_id)
            self.book.release(exc.intent_id)
            self.rejections["refused_by_model"] += 1
            self.engine.on_rejected(intent, "refused_by_model")
            return
        book, in_flight, fee_units = self.book, self.in_flight, self.fee_units
        for outcome in outcomes:
            fill = outcome.fill
            intent = in_flight.pop(fill.intent_id)
            book.release(fill.intent_id)
            book.record(fill, fee_units(fill, intent))
            self.gates.on_fill(fill, due)
            self.engine.on_fill(fill)

    # --- the equity curve ---------------------------------------------------------------------
    def _curve(self, result: LoopResult) -> None:
        """Equity at every bar close: the book's state after the fills that arrived by then."""
        book = self.book
        qs = float(10**self._quote.decimals)
        bs = float(10**self._base.decimals)
        times = np.asarray(book.times, dtype=np.float64)
        cash = np.concatenate(([book.initial_cash], np.asarray(book.cash_after, dtype=np.float64)))
        hold = np.concatenate(([0.0], np.asarray(book.holding_after, dtype=np.float64)))
        idx = np.searchsorted(times, self.close_ts, side="right")
        if idx.shape[0]:
            idx[-1] = times.shape[0]  # the last point is the final state (late fills included)
        # cash / qs + hold / bs * close, computed in place (a million-bar run would otherwise
        # allocate, and fault in, a fresh 8 MB array per operation)
        held = hold[idx]
        result.held = held > 0
        held /= bs
        held *= self.c.close
        equity = cash[idx]
        equity /= qs
        equity += held
        result.equity = equity
        last_close = Decimal(repr(float(self.c.close[-1])))
        result.final_equity_usd = self._quote.to_decimal(book.cash) + (
            self._base.to_decimal(book.holding) * last_close
        )


def first_at_or_after(values: FloatArray, x: float, lo: int) -> int:
    """The first index ``>= lo`` whose value is ``>= x`` (``len(values)`` if none); values sorted.
    Usually a step or two from ``lo``, so it walks before it searches."""
    n = values.shape[0]
    k = lo
    while k < n and k - lo < 8:
        if values[k] >= x:
            return k
        k += 1
    return lo + int(np.searchsorted(values[lo:], x, side="left"))


def _first_at_or_after(values: list[float], x: float, lo: int) -> int:
    """:func:`first_at_or_after` over a list (the loop's batch of close times)."""
    n = len(values)
    k = lo
    while k < n and k - lo < 8:
        if values[k] >= x:
            return k
        k += 1
    return bisect_left(values, x, lo)


def engine_stats(engine: BarEngine) -> dict[str, int]:
    stats = getattr(engine, "stats", None)
    if stats is None:
        return {}
    try:
        return {k: int(v) for k, v in asdict(stats).items()}
    except TypeError:
        return {}
