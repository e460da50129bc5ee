"""The opportunity measuring tool used to tune the replay world."""

from __future__ import annotations

from datetime import UTC, datetime

from phantom.core.pool import ConstantProductPool
from phantom.core.rng import SeededRng
from phantom.market.replay.diagnostics import (
    best_trade,
    cycle_output,
    find_cycles,
    marginal_edge,
    measure,
)
from phantom.market.replay.layout import TOKENS
from phantom.market.replay.params import WorldParams
from phantom.market.replay.path import load_sample
from phantom.market.replay.world import ReplayWorld

USDC, SOL = TOKENS["USDC"], TOKENS["SOL"]


def _pool(pool_id: str, sol: int, usdc: int, fee_ppm: int) -> ConstantProductPool:
    return ConstantProductPool(pool_id, "orca", SOL, USDC, sol * SOL.one, usdc * USDC.one, fee_ppm)


def test_two_pool_cycle_profit() -> None:
    cheap = _pool("cheap", 10_000, 300_000, 2500)  # 30 USDC per SOL
    dear = _pool("dear", 10_000, 310_000, 3000)  # 31 USDC per SOL
    pools = {"cheap": cheap, "dear": dear}
    cycles = find_cycles([cheap, dear], [USDC])
    assert sorted(c.pool_ids for c in cycles) == [("cheap", "dear"), ("dear", "cheap")]
    buy_cheap = next(c for c in cycles if c.pool_ids == ("cheap", "dear"))
    sell_cheap = next(c for c in cycles if c.pool_ids == ("dear", "cheap"))
    assert marginal_edge(buy_cheap, pools) > 0.025
    assert marginal_edge(sell_cheap, pools) < 0
    size, profit = best_trade(buy_cheap, pools)
    assert profit > 0 and cycle_output(buy_cheap, pools, size) - size == profit
    for other in (size // 2, size * 2):  # the search found the top
        assert cycle_output(buy_cheap, pools, other) - other < profit
    assert best_trade(sell_cheap, pools) == (0, 0)


def test_measure_counts_episodes_in_the_crash() -> None:
    start = datetime(2022, 11, 9, 21, tzinfo=UTC).timestamp()
    world = ReplayWorld(WorldParams(), load_sample(), SeededRng(2), start=start)
    stats = measure(world, start + 120)
    assert stats.cycles > 40
    assert len(stats.episodes) > 5
    closed = [e for e in stats.episodes if e.end < start + 120]
    assert closed and all(e.duration >= 0 for e in closed)
    assert any(e.best_profit_usd >= 1.0 for e in stats.episodes)
    assert "two-pool" in stats.summary()
