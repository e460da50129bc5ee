"""The event loop: realistic vs naive, event ordering, gates, determinism."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np

from phantom.backtest import BacktestSpec, Mode, default_realism, run_backtest
from phantom.backtest.book import Book
from phantom.backtest.data import Candles
from phantom.backtest.market import BarMarket
from phantom.backtest.runner import Runner, first_at_or_after
from phantom.backtest.synthetic import random_walk
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.rng import SeededRng
from phantom.execution.client import ExecutionOutcome
from phantom.execution.paper import PaperExecutionClient
from phantom.market.state import MarketView
from phantom.risk.gate import RiskChain

from .engine_support import SOL, USDT, sma

WALK = random_walk(n=20_000, seed=11)


def _spec(data: Candles | Path | str, **kw: object) -> BacktestSpec:
    base: dict[str, object] = {"engine": "sma", "data": {"price": data}}
    base.update(kw)
    return BacktestSpec(**base)  # type: ignore[arg-type]


def test_realistic_costs_what_naive_ignores() -> None:
    r = run_backtest(_spec(WALK, modes=(Mode.REALISTIC, Mode.NAIVE)))
    real, naive = r.runs[Mode.REALISTIC].metrics, r.runs[Mode.NAIVE].metrics
    assert naive.costs_total_usd == "0.00" and naive.fills == {"filled": naive.intents}
    assert Decimal(real.costs_total_usd) > 0
    assert Decimal(real.costs_usd["fee"]) > 0 and Decimal(real.costs_usd["slippage"]) > 0
    assert Decimal(real.costs_usd["mev"]) > 0 and Decimal(real.costs_usd["gas"]) > 0
    assert set(real.fills) == {"filled", "partial", "failed"}
    assert real.total_return_pct < naive.total_return_pct
    assert real.win_rate_pct is not None and naive.win_rate_pct is not None
    assert real.win_rate_pct < naive.win_rate_pct
    assert len(r.runs[Mode.REALISTIC].equity) == len(WALK)


def test_same_seed_same_run_other_seed_other_run() -> None:
    a = run_backtest(_spec(WALK, seed=3)).runs[Mode.REALISTIC]
    b = run_backtest(_spec(WALK, seed=3)).runs[Mode.REALISTIC]
    c = run_backtest(_spec(WALK, seed=4)).runs[Mode.REALISTIC]
    assert np.array_equal(a.equity, b.equity) and a.metrics == b.metrics
    assert not np.array_equal(a.equity, c.equity)


def test_batch_size_never_changes_a_run() -> None:
    a = run_backtest(_spec(WALK, batch_size=65_536)).runs[Mode.REALISTIC]
    b = run_backtest(_spec(WALK, batch_size=333)).runs[Mode.REALISTIC]
    assert np.array_equal(a.equity, b.equity) and a.metrics == b.metrics


class Recorder:
    """An execution client that wraps another and logs what passes through it."""

    def __init__(self, inner: PaperExecutionClient) -> None:
        self.inner = inner
        self.sent: list[tuple[float, OrderIntent]] = []
        self.fills: list[Fill] = []

    def submit(self, intent: OrderIntent, sent_at: float) -> float:
        self.sent.append((sent_at, intent))
        return self.inner.submit(intent, sent_at)

    def next_due(self) -> float | None:
        return self.inner.next_due()

    def in_flight(self) -> int:
        return self.inner.in_flight()

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]:
        out = self.inner.due(now, market)
        self.fills.extend(o.fill for o in out)
        return out


def test_the_engine_never_decides_before_a_fill_it_waits_for_is_known() -> None:
    candles = random_walk(n=5_000, seed=2, timeframe_s=1.0)  # latency spans many bars
    realism = replace(default_realism(), execution_delay_min_ms=3000, execution_delay_max_ms=9000)
    client = Recorder(PaperExecutionClient(realism, SeededRng(1)))
    engine = sma(fast=5, slow=20, liquidity_usd=Decimal(10**6))
    book = Book("sma", SOL, USDT, SOL, cash=10_000 * USDT.one)
    runner = Runner(
        candles=candles,
        engine=engine,
        client=client,
        gates=RiskChain([]),
        book=book,
        market=BarMarket(candles, SOL, USDT, SOL, 150.0, 60, 2.0),
        fee_units=lambda fill, intent: 8000,
        batch_size=64,
    )
    runner.run()
    assert len(client.sent) > 20 and len(client.fills) == len(client.sent)
    for (sent_at, _), fill in zip(client.sent[1:], client.fills, strict=False):
        assert fill.arrived_at <= sent_at  # the previous order resolved before this one
    for sent_at, intent in client.sent:
        bar = int(np.searchsorted(candles.ts, sent_at - 1.0))
        assert intent.created_at == sent_at == candles.ts[bar] + 1.0
    arrivals = [f.arrived_at for f in client.fills]
    assert all(3.0 <= f.arrived_at - f.sent_at <= 9.0 for f in client.fills)
    assert book.times == arrivals


def test_size_gate_rejections_are_counted() -> None:
    spec = _spec(WALK, max_trade_usd=Decimal(100), params={"max_notional_usd": 5000})
    m = run_backtest(spec).runs[Mode.REALISTIC].metrics
    assert m.rejections["max_trade_size"] > 0 and m.trades == 0
    assert m.fills == {}


def test_first_at_or_after_walks_then_searches() -> None:
    v = np.arange(100, dtype=np.float64)
    assert first_at_or_after(v, 3.5, 0) == 4
    assert first_at_or_after(v, 50.0, 2) == 50
    assert first_at_or_after(v, 500.0, 0) == 100
    assert first_at_or_after(v, -1.0, 7) == 7


def test_a_real_crash_slice_runs(ftx_path: Path) -> None:
    r = run_backtest(_spec(ftx_path, modes=(Mode.REALISTIC, Mode.NAIVE)))
    assert r.data_report["bars"] == 864 and r.data_report["gaps"] == 0
    for run in r.runs.values():
        assert [e.key for e in run.events] == ["2022-11-ftx"]
        assert run.metrics.trades > 0
