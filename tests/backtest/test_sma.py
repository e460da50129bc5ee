"""The SMA engine: crossovers, batch-size invariance, the tick path, retries and rejections."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from phantom.backtest.data import Candles, load_candles
from phantom.backtest.synthetic import random_walk
from phantom.core.events import PriceTick
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import OrderIntent
from phantom.engines.base import EngineContext
from phantom.engines.sma.engine import window_sums

from .engine_support import SOL, USDT, StubMarket, drive, make_fill, sma


def brute_regime(close: list[float], fast: int, slow: int) -> list[bool]:
    out = []
    for i in range(len(close)):
        if i + 1 < slow:
            out.append(False)
            continue
        f = sum(close[i + 1 - fast : i + 1]) / fast
        s = sum(close[i + 1 - slow : i + 1]) / slow
        out.append(f > s)
    return out


def test_window_sums_add_left_to_right() -> None:
    x = np.array([0.1, 0.2, 0.3, 0.4])
    assert window_sums(x, 2).tolist() == [0.1 + 0.2, 0.2 + 0.3, 0.3 + 0.4]
    assert window_sums(x, 5).shape == (0,)


def test_orders_at_every_crossover_and_only_there(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    sent = drive(sma(fast=5, slow=20), c, batch=10_000)
    regime = brute_regime(c.close.tolist(), 5, 20)
    flips = [i for i in range(len(regime)) if regime[i] != (regime[i - 1] if i else False)]
    assert [i for i, _ in sent] == flips
    assert len(flips) > 10
    buys = [it.token_in == USDT for _, it in sent]
    assert buys == [k % 2 == 0 for k in range(len(sent))]  # buy, sell, buy, ...
    first_bar, first = sent[0]
    assert first.created_at == c.ts[first_bar] + 3600.0  # at the bar's close
    assert first.tags == ()
    price = Decimal(repr(float(c.close[first_bar])))
    assert first.expected_amount_out == int(Decimal(first.amount_in) * 1000 / price)
    expected = first.expected_amount_out
    assert first.min_amount_out == expected - expected * 200 // 10_000  # 200 bps bound


def test_nothing_before_the_slow_window_is_full(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    sent = drive(sma(fast=10, slow=50), c, batch=64)
    assert sent and sent[0][0] >= 49


@pytest.mark.parametrize("batch", [1, 3, 49, 50, 64, 500])
def test_batch_size_never_changes_a_decision(ftx_path: Path, batch: int) -> None:
    c = load_candles(ftx_path)
    whole = drive(sma(fast=10, slow=50), c, batch=len(c))
    split = drive(sma(fast=10, slow=50), c, batch=batch)
    assert [(i, it) for i, it in split] == [(i, it) for i, it in whole]


def test_batch_invariance_on_a_long_random_walk() -> None:
    c = random_walk(n=20_000, seed=7)
    a = drive(sma(), c, batch=20_000)
    b = drive(sma(), c, batch=777)
    assert len(a) > 300 and a == b


def test_price_ticks_decide_like_bars(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    bars = [(i, it.token_in) for i, it in drive(sma(fast=5, slow=20), c, batch=1)]
    engine = sma(fast=5, slow=20)
    wallet = {USDT: 10_000 * USDT.one, SOL: 0}
    ticks: list[tuple[int, object]] = []
    for i, price in enumerate(c.close.tolist()):
        ctx = EngineContext(float(c.ts[i]), StubMarket(), dict(wallet))
        for intent in engine.on_event(PriceTick(float(c.ts[i]), "SOL", price), ctx):
            ticks.append((i, intent.token_in))
            fill = make_fill(intent)
            wallet[intent.token_in] -= fill.amount_in
            wallet[intent.token_out] += fill.amount_out
            engine.on_fill(fill)
    assert ticks == bars
    assert engine.on_event(PriceTick(0.0, "BTC", 1.0), ctx) == []


def _failing(times: int) -> tuple[list[str], object]:
    seen: list[str] = []

    def decide(intent: OrderIntent) -> Fill:
        seen.append(intent.intent_id)
        if len(seen) <= times:
            return make_fill(intent, FillStatus.FAILED)
        return make_fill(intent)

    return seen, decide


def test_failed_entry_is_resent_at_the_next_bar(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    clean = drive(sma(fast=5, slow=20), c, batch=100)
    _, decide = _failing(2)
    engine = sma(fast=5, slow=20)
    sent = drive(engine, c, batch=100, decide=decide)  # type: ignore[arg-type]
    first = clean[0][0]
    assert [i for i, _ in sent[:3]] == [first, first + 1, first + 2]
    assert engine.stats.retries == 2 and engine.stats.failed == 2


def test_after_max_retries_it_waits_for_the_next_crossover(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    clean = drive(sma(fast=5, slow=20, max_retries=1), c, batch=100)
    _, decide = _failing(2)
    sent = drive(sma(fast=5, slow=20, max_retries=1), c, batch=100, decide=decide)  # type: ignore[arg-type]
    first = clean[0][0]
    assert [i for i, _ in sent[:2]] == [first, first + 1]
    # the third order is the next buy crossover of the clean run, not a third retry
    next_buy = [i for i, it in clean if it.token_in == USDT][1]
    assert sent[2][0] == next_buy


def test_a_rejected_entry_waits_for_the_next_crossover(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    clean = drive(sma(fast=5, slow=20), c, batch=100)
    rejected: list[int] = []

    def decide(intent: OrderIntent) -> Fill | None:
        if not rejected:
            rejected.append(1)
            return None
        return make_fill(intent)

    engine = sma(fast=5, slow=20)
    sent = drive(engine, c, batch=100, decide=decide)
    buys = [i for i, it in clean if it.token_in == USDT]
    assert sent[0][0] == buys[0] and sent[1][0] == buys[1]
    assert engine.stats.rejected == 1


def test_partial_exit_sells_the_rest_at_the_next_bar(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    calls: list[OrderIntent] = []

    def decide(intent: OrderIntent) -> Fill:
        calls.append(intent)
        if len(calls) == 2:  # the first exit fills 80 %
            return make_fill(intent, FillStatus.PARTIAL, Decimal("0.8"))
        return make_fill(intent)

    engine = sma(fast=5, slow=20)
    sent = drive(engine, c, batch=100, decide=decide)
    (_, entry), (exit_bar, exit1), (rest_bar, exit2) = sent[:3]
    assert exit1.amount_in == entry.expected_amount_out
    assert rest_bar == exit_bar + 1
    assert exit2.token_in == SOL and exit2.amount_in == exit1.amount_in - int(
        exit1.amount_in * Decimal("0.8")
    )


def test_no_cash_no_order(ftx_path: Path) -> None:
    engine = sma(fast=5, slow=20)
    assert drive(engine, load_candles(ftx_path), batch=100, cash=0) == []
    assert engine.stats.skipped_small > 0


def test_size_cap_and_position_pct(ftx_path: Path) -> None:
    c: Candles = load_candles(ftx_path)
    capped = drive(sma(fast=5, slow=20, max_notional_usd=Decimal(2500)), c, batch=100)
    assert capped[0][1].amount_in == 2500 * USDT.one
    half = drive(sma(fast=5, slow=20, position_pct=Decimal(50)), c, batch=100)
    assert half[0][1].amount_in == 5000 * USDT.one


def test_params_are_checked() -> None:
    for bad in ({"fast": 50, "slow": 10}, {"position_pct": Decimal(0)}, {"slippage_bps": -1}):
        with pytest.raises(ValueError):
            sma(**bad)
