"""The LST engine's rules on a real slice: WBETH/ETH 5m, 2025-01-29..02-04 (de-peg 02-03)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from lst_helpers import ratio, run, ts, with_future

from phantom.backtest.spec import Mode
from phantom.core.token import Token
from phantom.engines.lst import LstEngine, LstParams, TrendFairValue, robust_line

DEPEG = ts("2025-02-03T02:00:00")
DEPEG_END = ts("2025-02-03T03:00:00")


def _fair(candles: object, batch: int = 10**9) -> np.ndarray:
    model = TrendFairValue(3 * 86_400.0, 2 * 86_400.0, 3600.0)
    c = candles
    close_ts = c.ts + c.timeframe_s  # type: ignore[attr-defined]
    parts = [
        model.update(close_ts[i : i + batch], c.close[i : i + batch])  # type: ignore[attr-defined]
        for i in range(0, len(close_ts), batch)
    ]
    return np.concatenate(parts)


def test_enters_during_the_depeg_when_the_discount_beats_costs() -> None:
    r = run()
    engine = r.engines[0]
    assert len(engine.trades) == 1
    t = engine.trades[0]
    assert DEPEG <= t.signal_ts <= DEPEG_END
    assert t.discount_bps > t.hurdle_bps
    hurdle, _ = engine.hurdle(Decimal(10))
    assert t.hurdle_bps == pytest.approx(float(hurdle) * 10_000)
    # it is the first bar whose discount beat the hurdle: none before it did
    c = ratio()
    disc = 1 - c.close / _fair(c)
    before = (c.ts + c.timeframe_s) < t.signal_ts
    assert not np.any(disc[before] > float(hurdle))
    assert t.exit_reason == "repeg"


def test_no_entry_when_costs_and_threshold_exceed_the_discount() -> None:
    assert run({"threshold_bps": "600"}).engines[0].trades == []


def test_higher_fees_wait_for_a_deeper_discount() -> None:
    cheap = run().engines[0].trades[0]
    dear = run({"fee_bps": "60"}).engines[0].trades[0]
    assert dear.hurdle_bps == pytest.approx(cheap.hurdle_bps + 100)
    assert dear.signal_ts > cheap.signal_ts
    assert dear.discount_bps > dear.hurdle_bps > cheap.discount_bps


def test_hurdle_counts_fees_slippage_at_depth_and_network() -> None:
    p = LstParams(Token("JITOSOL", 9), Token("SOL", 9), pool_depth=Decimal(1000))
    engine = LstEngine(p)
    h10, costs = engine.hurdle(Decimal(10))
    # 2 x 10 bps fee + 2 x (5 bps + 0.05 x 1 %) x 3 + 2 x 0.0001 / 10 + 20 bps threshold
    expected = Decimal("0.002") + 2 * (Decimal("0.0005") + Decimal("0.0005")) * 3
    expected += Decimal("0.00002") + Decimal("0.002")
    assert h10 == expected
    assert costs.fee == Decimal("0.02") and costs.gas == Decimal("0.0002")
    h100, _ = engine.hurdle(Decimal(100))
    assert h100 > h10  # a bigger size moves a pool of the same depth further


def test_exit_on_repeg() -> None:
    t = run().engines[0].trades[0]
    c = ratio()
    fair = _fair(c)
    close_ts = c.ts + c.timeframe_s
    i = int(np.searchsorted(close_ts, t.exit_ts))
    assert close_ts[i] == t.exit_ts and t.exit_reason == "repeg"
    assert 1 - c.close[i] / fair[i] <= 10 / 10_000
    j = int(np.searchsorted(close_ts, t.entry_ts, side="right"))
    assert np.all(1 - c.close[j:i] / fair[j:i] > 10 / 10_000)  # not back at the peg before
    assert t.received > t.spent


def test_exit_after_max_hold() -> None:
    t = run({"repeg_bps": "0", "max_hold_h": "0.1"}).engines[0].trades[0]
    assert t.exit_reason == "max_hold"
    assert t.exit_ts is not None and 360 <= t.exit_ts - t.entry_ts < 360 + 300


def test_depth_gate_blocks_a_size_the_pool_cannot_take() -> None:
    gated = run({"pool_depth": "400"}).engines[0]  # 10 > 2 % of 400
    assert gated.trades == [] and gated.stats.depth_gated_bars > 0
    small = run({"pool_depth": "400", "max_size": "2"}).engines[0]
    assert len(small.trades) == 1 and small.trades[0].spent == 2 * 10**18


@pytest.mark.parametrize("cutoff", ["2025-02-02T12:00:00", "2025-02-03T02:25:00"])
def test_no_look_ahead(cutoff: str) -> None:
    real = ratio()
    cut = ts(cutoff)
    rng = np.random.default_rng(9)
    fake = with_future(real, cut, rng.uniform(0.9, 1.1, len(real)))
    fa, fb = _fair(real), _fair(fake)
    past = real.ts + real.timeframe_s <= cut  # bars closed by the cutoff
    assert np.array_equal(fa[past], fb[past], equal_nan=True)
    a, b = run(candles=real).engines[0], run(candles=fake).engines[0]
    decided_a = [(t.signal_ts, t.ratio, t.fair, t.discount_bps) for t in a.trades]
    decided_b = [(t.signal_ts, t.ratio, t.fair, t.discount_bps) for t in b.trades]
    assert [d for d in decided_a if d[0] <= cut] == [d for d in decided_b if d[0] <= cut]


def test_batch_size_never_changes_a_decision() -> None:
    c = ratio()
    assert np.array_equal(_fair(c), _fair(c, batch=37), equal_nan=True)
    a = run(batch_size=65_536).engines[0].trades
    b = run(batch_size=50).engines[0].trades
    assert a == b


def test_onchain_rate_replaces_the_trend() -> None:
    from phantom.engines.lst import StakeRate

    r = run()
    assert r.engines[0].summary()["fair_value"] == "trend"
    p = LstParams(Token("WBETH", 18), Token("ETH", 18))
    engine = LstEngine(p)
    engine.on_event(StakeRate(0.0, "WBETH", 1.2), None)  # type: ignore[arg-type]
    assert engine.onchain is not None and engine.summary()["fair_value"] == "onchain"
    engine.on_event(StakeRate(0.0, "MSOL", 2.0), None)  # type: ignore[arg-type]
    assert engine.onchain.rate == 1.2


def test_realistic_costs_less_than_naive() -> None:
    r = run(modes=(Mode.REALISTIC, Mode.NAIVE))
    real, naive = r.result.runs[Mode.REALISTIC], r.result.runs[Mode.NAIVE]
    assert Decimal(real.metrics.costs_total_usd) > 0
    assert real.metrics.final_equity_usd < naive.metrics.final_equity_usd
    assert len(r.engines[0].trades) == 1  # realistic: the same single de-peg trade


def test_robust_line_ignores_a_depeg() -> None:
    t = np.arange(200, dtype=np.float64) * 300.0
    y = 0.05 + 2e-9 * t
    y[120:130] -= 0.03  # a de-peg: 5 % of the points
    level, slope = robust_line(t, y, float(t[-1]))
    assert slope == pytest.approx(2e-9, rel=1e-9)
    assert level == pytest.approx(0.05 + 2e-9 * t[-1], abs=1e-12)
