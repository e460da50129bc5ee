"""Metric definitions on hand-made curves."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from phantom.backtest.book import Trade
from phantom.backtest.metrics import (
    compute_metrics,
    daily_returns,
    drawdown_episodes,
    sharpe_sortino,
)
from phantom.core.costs import CostBreakdown

DAY = 86_400.0
T0 = 1_599_955_200.0  # 2020-09-13T00:00:00Z


def test_drawdown_episodes_peak_trough_recovery() -> None:
    eq = np.array([100, 110, 99, 88, 105, 111, 100, 120, 90], dtype=np.float64)
    t = T0 + np.arange(9, dtype=np.float64) * DAY
    eps = drawdown_episodes(eq, t)
    assert [e.depth_pct for e in eps] == [-25.0, -20.0, -9.9099]
    deepest, second, third = eps
    assert (deepest.peak, deepest.trough, deepest.recovery) == (
        "2020-09-20T00:00:00Z",
        "2020-09-21T00:00:00Z",
        None,
    )
    assert (second.peak, second.trough, second.recovery) == (
        "2020-09-14T00:00:00Z",
        "2020-09-16T00:00:00Z",
        "2020-09-18T00:00:00Z",
    )
    assert (second.peak_equity_usd, second.trough_equity_usd) == (110.0, 88.0)
    assert third.recovery == "2020-09-20T00:00:00Z"


def test_no_drawdown_on_a_rising_curve() -> None:
    assert (
        drawdown_episodes(np.array([1.0, 2.0, 3.0]), T0 + np.arange(3, dtype=np.float64) * DAY)
        == []
    )


def test_daily_returns_use_the_last_bar_of_each_day() -> None:
    t = T0 + np.array([1, 2, DAY + 1, DAY + 2, 2 * DAY + 5])
    eq = np.array([101.0, 102.0, 100.0, 110.0, 99.0])
    r = daily_returns(eq, t, 100.0)
    assert np.allclose(r, [0.02, 110 / 102 - 1, 99 / 110 - 1])


def test_sharpe_and_sortino() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.0])
    sharpe, sortino = sharpe_sortino(r)
    mean, sd = r.mean(), r.std(ddof=1)
    assert sharpe == round(mean / sd * math.sqrt(365), 4)
    assert sortino == round(mean / math.sqrt((0.02**2) / 4) * math.sqrt(365), 4)
    assert sharpe_sortino(np.array([0.01])) == (None, None)


def test_compute_metrics_trades_exposure_and_returns() -> None:
    t = T0 + np.arange(1, 731, dtype=np.float64) * DAY  # two years of daily bars
    eq = np.linspace(10_000.0, 12_100.0, 730)
    held = np.zeros(730, dtype=bool)
    held[:365] = True
    trades = [
        Trade(entry_ts=t[0], entry_cash=0, spent=1000, pnl_units=50, exit_ts=t[3]),
        Trade(entry_ts=t[5], entry_cash=0, spent=1000, pnl_units=-20, exit_ts=t[9]),
        Trade(entry_ts=t[11], entry_cash=0, spent=1000, pnl_units=0, exit_ts=t[12]),
        Trade(entry_ts=t[20], entry_cash=0, spent=1000),  # still open
    ]
    m = compute_metrics(
        equity=eq,
        close_ts=t,
        first_open_ts=T0,
        held=held,
        trades=trades,
        open_trade=True,
        initial_usd=Decimal(10_000),
        final_equity_usd=Decimal(12_100),
        costs=CostBreakdown(fee=Decimal("1.234"), slippage=Decimal("2")),
        fills={"filled": 7},
        failures={},
        rejections={"max_concurrent": 2},
        intents=9,
    )
    assert (m.trades, m.wins, m.losses, m.win_rate_pct) == (3, 1, 2, 33.3333)
    assert m.best_trade_pct == 5.0 and m.worst_trade_pct == -2.0
    assert m.total_return_pct == 21.0
    years = (t[-1] - T0) / (365.25 * DAY)
    assert m.annualized_return_pct == round((1.21 ** (1 / years) - 1) * 100, 4)
    assert m.exposure_pct == 50.0 and m.max_drawdown is None
    assert m.costs_usd["fee"] == "1.23" and m.costs_total_usd == "3.23"
    assert m.rejections == {"max_concurrent": 2} and m.open_trade
