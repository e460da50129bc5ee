"""The scalp engine's rules on a real slice: SOL/USDT 5m, 2022-11-08..09 (FTX collapse)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from scalp_helpers import bar_at_close, pod, run

from phantom.backtest.spec import Mode
from phantom.engines.scalp import DEFAULT_PODS, PodParams, ScalpParams
from phantom.engines.scalp.pods import PodTrade


def _check_exit(trade: PodTrade, p: PodParams, close: np.ndarray, close_ts: np.ndarray) -> None:
    """The exit was sent at the first close after the entry that met a rule, for that rule."""
    first = int(np.searchsorted(close_ts, trade.entry_ts, side="right"))
    last = int(np.searchsorted(close_ts, trade.exit_ts))
    assert close_ts[last] == trade.exit_ts
    sl = trade.entry_price * (1 - p.stop_loss_pct / 100)
    tp = trade.entry_price * (1 + p.take_profit_pct / 100)
    for i in range(first, last):  # nothing triggered before the exit bar
        assert sl < close[i] < tp
        assert close_ts[i] - trade.entry_ts < p.max_hold_s
    c = close[last]
    if trade.reason == "stop_loss":
        assert c <= sl
    elif trade.reason == "take_profit":
        assert c >= tp
    else:
        assert trade.reason == "time_stop"
        assert sl < c < tp
        assert close_ts[last] - trade.entry_ts >= p.max_hold_s


def test_every_exit_follows_its_pods_rules() -> None:
    pods = (
        pod("fast", share_pct=Decimal(50), take_profit_pct=1.5, stop_loss_pct=1.0, max_hold_s=900),
        pod("slow", share_pct=Decimal(50), lookback_bars=6, entry_return_pct=2.0,
            take_profit_pct=4.0, stop_loss_pct=2.5, max_hold_s=3600),
    )  # fmt: skip
    r = run(pods)
    engine, c = r.engines[0], r.candles
    reasons = set()
    for state in engine.pods:
        assert state.trades, state.params.name
        for t in state.trades:
            _check_exit(t, state.params, c.close, c.close_ts)
            reasons.add(t.reason)
    assert reasons == {"stop_loss", "take_profit", "time_stop"}


def test_take_profit_only_pod() -> None:
    # a near target, a stop and a hold too far to reach: every exit is a take-profit
    p = pod("tp", share_pct=Decimal(100), take_profit_pct=0.3, stop_loss_pct=90, max_hold_s=1e9)
    state = run((p,)).engines[0].pods[0]
    assert state.trades and {t.reason for t in state.trades} == {"take_profit"}


def test_stop_loss_only_pod() -> None:
    p = pod("sl", share_pct=Decimal(100), take_profit_pct=900, stop_loss_pct=0.3, max_hold_s=1e9)
    state = run((p,)).engines[0].pods[0]
    assert state.trades and {t.reason for t in state.trades} == {"stop_loss"}
    assert all(t.received < t.spent for t in state.trades)


def test_time_stop_only_pod() -> None:
    p = pod("time", share_pct=Decimal(100), take_profit_pct=900, stop_loss_pct=90, max_hold_s=600)
    state = run((p,)).engines[0].pods[0]
    assert state.trades and {t.reason for t in state.trades} == {"time_stop"}
    for t in state.trades:  # two 5-minute bars after the entry bar's close
        assert t.exit_ts - t.entry_ts == 600


def test_entries_are_momentum_signals() -> None:
    p = pod("m", share_pct=Decimal(100), lookback_bars=4, entry_return_pct=1.5)
    r = run((p,))
    c = r.candles
    for t in r.engines[0].pods[0].trades:
        i = bar_at_close(c, t.entry_ts)
        assert c.close[i] / c.close[i - 4] - 1 >= 0.015
        assert t.entry_price == pytest.approx(c.close[i], rel=1e-9)


def test_risk_sizing_and_capital_shares() -> None:
    a = pod("a", share_pct=Decimal(60), stop_loss_pct=2.0, risk_pct=Decimal(1))  # 50 % of cash
    b = pod("b", share_pct=Decimal(40), stop_loss_pct=0.5, risk_pct=Decimal(1))  # capped: all
    r = run((a, b))
    engine = r.engines[0]
    initial = 10_000 * 10**6  # 10,000 USDT, 6 decimals
    pa, pb = engine.pods
    assert pa.capital_start == initial * 60 // 100
    assert pb.capital_start == initial * 40 // 100
    assert pa.trades[0].spent == pa.capital_start // 2
    assert pb.trades[0].spent == pb.capital_start
    # every later entry risks 1 % of the pod's equity then (its cash after the trades before)
    cash = pa.capital_start
    for t in pa.trades:
        assert t.spent == cash // 2
        cash += t.received - t.spent
    summary = engine.summary()
    assert summary["a"]["trades"] == len(pa.trades)
    assert summary["a"]["share_pct"] == "60"


def test_batch_size_never_changes_a_decision() -> None:
    pods = DEFAULT_PODS
    whole = run(pods, batch_size=65_536).engines[0]
    small = run(pods, batch_size=7).engines[0]
    for x, y in zip(whole.pods, small.pods, strict=True):
        assert x.trades == y.trades


def test_realistic_costs_and_is_seeded() -> None:
    modes = (Mode.REALISTIC, Mode.NAIVE)
    one = run(DEFAULT_PODS, modes=modes, seed=11)
    two = run(DEFAULT_PODS, modes=(Mode.REALISTIC,), seed=11)
    real, naive = one.result.runs[Mode.REALISTIC], one.result.runs[Mode.NAIVE]
    assert naive.metrics.costs_total_usd == "0.00"
    assert Decimal(real.metrics.costs_total_usd) > 0
    assert real.metrics.final_equity_usd < naive.metrics.final_equity_usd
    assert [p.trades for p in one.engines[0].pods] == [p.trades for p in two.engines[0].pods]


def test_params_are_checked() -> None:
    from phantom.core.token import Token

    sol, usdt = Token("SOL", 9), Token("USDT", 6)
    with pytest.raises(ValueError, match="shares add up"):
        ScalpParams(
            sol, usdt, pods=(pod("a", share_pct=Decimal(60)), pod("b", share_pct=Decimal(50)))
        )
    with pytest.raises(ValueError, match="distinct"):
        ScalpParams(sol, usdt, pods=(pod("a"), pod("a")))
    with pytest.raises(ValueError, match="stop_loss_pct"):
        pod("x", stop_loss_pct=0)
    with pytest.raises(ValueError, match="volume_mult"):
        pod("x", volume_mult=2.0)
