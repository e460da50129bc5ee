"""The candle market (price at an instant, volatility), the venue fee and the in-memory book."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from phantom.backtest.book import Book
from phantom.backtest.clients import NaiveExecutionClient
from phantom.backtest.data import load_candles
from phantom.backtest.market import BarMarket, hourly_volatility_pct
from phantom.backtest.spec import default_realism
from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, SwapLeg
from phantom.core.rng import SeededRng
from phantom.execution.paper import PaperExecutionClient
from phantom.portfolio.errors import InsufficientCapital

from .engine_support import SOL, USDT, make_fill


def _market(path: Path) -> BarMarket:
    c = load_candles(path)
    return BarMarket(c, SOL, USDT, SOL, 150.0, 24, 2.0)


def test_price_is_interpolated_inside_the_bar(ftx_path: Path) -> None:
    m = _market(ftx_path)
    c = load_candles(ftx_path)
    for i in (0, 5, 400):
        t0 = float(c.ts[i])
        m.at(t0)
        assert m.price_usd(SOL) == c.open[i]
        m.at(t0 + 900.0)
        expected = c.open[i] + (c.close[i] - c.open[i]) * 0.25
        assert math.isclose(m.price_usd(SOL), expected, rel_tol=1e-12)
    m.at(float(c.ts[-1]) + 10 * 3600.0)  # past the data: the last close holds
    assert m.price_usd(SOL) == c.close[-1]
    assert m.price_usd(USDT) == 1.0


def test_lookups_agree_with_a_search_in_any_order(ftx_path: Path) -> None:
    m = _market(ftx_path)
    c = load_candles(ftx_path)
    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(c.ts[0] - 100, c.ts[-1] + 5000, 300))
    times = np.concatenate((times, rng.permutation(times)[:50]))  # and some going backwards
    for t in times:
        j = int(np.searchsorted(c.ts, t, side="right")) - 1
        m.at(float(t), hint=max(0, j - 1))
        assert m.bar_at(float(t)) == j
        assert m.is_volatile() == (bool(m.volatile_bars[j - 1]) if j >= 1 else False)


def test_volatility_is_the_hourly_rms_of_the_window() -> None:
    close = np.array([100.0, 101.0, 99.0, 99.0, 103.0])
    v = hourly_volatility_pct(close, 900.0, 2)  # 15-minute bars: scaled by sqrt(4)
    r = np.diff(close) / close[:-1]
    assert math.isclose(v[4], math.sqrt((r[2] ** 2 + r[3] ** 2) / 2 * 4) * 100, rel_tol=1e-12)
    assert math.isclose(v[1], abs(r[0]) * 2 * 100, rel_tol=1e-12)
    assert v[0] == 0.0


def _intent(intent_id: str = "t-1", sell: bool = False, amount_in: int = 0) -> OrderIntent:
    legs = (SwapLeg("cex:SOL/USDT", SOL, USDT),) if sell else (SwapLeg("cex:SOL/USDT", USDT, SOL),)
    return OrderIntent(
        intent_id=intent_id,
        engine="sma",
        kind=IntentKind.SWAP,
        created_at=10.0,
        legs=legs,
        amount_in=amount_in or (1 if sell else 1_000 * USDT.one),
        min_amount_out=1_000 * USDT.one if sell else int(6.5 * SOL.one),
        expected_amount_out=1_100 * USDT.one if sell else int(6.6 * SOL.one),
        expected_profit_usd=Decimal(0),
        expected_costs=CostBreakdown(),
        notional_usd=Decimal(1000),
        slippage_bps=200,
        tags=("liquidity_usd=1000000",),
    )


def test_naive_client_fills_at_the_signal_price(ftx_path: Path) -> None:
    intent = _intent()
    client = NaiveExecutionClient()
    assert client.submit(intent, 10.0) == 10.0 and client.next_due() == 10.0
    assert client.due(9.0, _market(ftx_path)) == []
    (outcome,) = client.due(10.0, _market(ftx_path))
    fill = outcome.fill
    assert fill.amount_out == intent.expected_amount_out and fill.costs.total == 0
    assert fill.arrived_at == 10.0 and client.in_flight() == 0


def test_venue_fee_keeps_the_fill_identity(ftx_path: Path) -> None:
    realism = default_realism()
    sent_at = float(load_candles(ftx_path).ts[10])
    m = _market(ftx_path)
    for seed in range(6):
        with_fee = replace(realism, venue_fee_pct=Decimal("0.1"))
        client = PaperExecutionClient(with_fee, SeededRng(seed))
        bare = PaperExecutionClient(realism, SeededRng(seed))
        intent = _intent(f"t-{seed}")
        arrival = client.submit(intent, sent_at)
        assert bare.submit(intent, sent_at) == arrival
        m.at(arrival)
        (charged,) = client.due(arrival, m)
        (raw,) = bare.due(arrival, m)
        fill = charged.fill
        if fill.status is FillStatus.FAILED:
            assert fill == raw.fill
            continue
        fee_units = -(-raw.fill.amount_out * 1000 // 1_000_000)
        assert fill.amount_out == raw.fill.amount_out - fee_units
        edge = Decimal(next(n for n in fill.notes if n.startswith("edge_usd="))[9:])
        assert fill.pnl_usd == edge - fill.costs.total
        assert fill.costs.fee > raw.fill.costs.fee
        assert fill.pnl_usd < raw.fill.pnl_usd and fill.costs.slippage == raw.fill.costs.slippage
        assert fill.notes[-1] == f"venue fee: 0.1 % of the output, {fee_units} units"


def test_book_reserves_books_and_counts_a_round_trip() -> None:
    book = Book("sma", SOL, USDT, SOL, cash=1_001 * USDT.one, gas_buffer=USDT.one)
    buy_intent = _intent()
    assert book.available(USDT) == 1_000 * USDT.one
    book.reserve(buy_intent)
    assert book.available(USDT) == 0
    with pytest.raises(InsufficientCapital):
        book.reserve(_intent("t-x"))
    book.release("t-1")
    assert book.available(USDT) == 1_000 * USDT.one
    buy = make_fill(buy_intent)
    book.record(buy, native_fee_units=0)
    assert book.cash == USDT.one and book.holding == int(6.6 * SOL.one)
    assert book.open_trade is not None and book.trades[0].spent == 1_000 * USDT.one
    sell = make_fill(_intent("t-2", sell=True, amount_in=buy.amount_out))
    book.record(sell, native_fee_units=0)
    trade = book.trades[0]
    assert book.open_trade is None and trade.exit_ts is not None
    assert trade.pnl_units == 100 * USDT.one and book.holding == 0
    assert [m.buy for m in book.markers] == [True, False]
    assert book.fills_by_status == {"filled": 2}


def test_book_pays_network_fees_from_cash() -> None:
    book = Book("sma", SOL, USDT, SOL, cash=1_000 * USDT.one)
    intent = _intent()
    failed = make_fill(intent, FillStatus.FAILED)
    fee = 8000  # lamports, inside the native delta
    failed = replace(
        failed,
        deltas=(BalanceDelta(SOL, -fee),),
        costs=CostBreakdown(gas=Decimal("0.00075"), priority_fee=Decimal("0.00045")),
        failure_reason="dropped or reverted by the network",
    )
    book.record(failed, native_fee_units=fee)
    assert book.holding == 0  # the SOL debit was handed back ...
    assert book.cash == 1_000 * USDT.one - 1200  # ... and paid from cash, rounded up
    assert book.failures == {"dropped or reverted by the network": 1}
    assert book.costs.gas == Decimal("0.00075") and book.trades == []
