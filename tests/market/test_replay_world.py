"""The replay world: determinism, ordering, tracking, external updates, layout."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache

import pytest

from phantom.amm.swap import spot_price, swap
from phantom.core.events import MarketEvent, PoolUpdate, PriceTick
from phantom.core.pool import ConcentratedPool, ConstantProductPool, PoolKind
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.market.replay.agents import LiquidityManager
from phantom.market.replay.diagnostics import find_cycles, marginal_edge
from phantom.market.replay.layout import DEFAULT_POOLS, TOKENS, build_pool
from phantom.market.replay.params import WorldParams
from phantom.market.replay.path import PricePath, load_sample
from phantom.market.replay.world import ReplayWorld

QUIET = datetime(2022, 11, 1, tzinfo=UTC).timestamp()
CRASH = datetime(2022, 11, 9, 20, 30, tzinfo=UTC).timestamp()


@cache
def sample() -> PricePath:
    return load_sample()


def world(seed: int = 5, start: float = QUIET) -> ReplayWorld:
    return ReplayWorld(WorldParams(), sample(), SeededRng(seed), start=start)


@cache
def stream(seed: int, start: float, seconds: float) -> tuple[MarketEvent, ...]:
    w = world(seed, start)
    return tuple(w.events(w.start_ts + seconds))


def test_same_seed_same_events_different_seed_other_events() -> None:
    a = stream(5, QUIET, 7200)
    b = tuple(world(5).events(QUIET + 7200))
    assert len(a) > 10_000
    assert a == b
    c = tuple(world(6).events(QUIET + 7200))
    assert c != a
    ticks = [e for e in a if isinstance(e, PriceTick)]
    assert ticks == [e for e in c if isinstance(e, PriceTick)]  # the reference is the data


def test_events_are_time_ordered_and_ticks_regular() -> None:
    events = stream(5, QUIET, 7200)
    times = [e.ts for e in events]
    assert times == sorted(times)
    assert times[0] == QUIET and times[-1] <= QUIET + 7200
    sol_ticks = [e.ts for e in events if isinstance(e, PriceTick) and e.symbol == "SOL"]
    assert len(sol_ticks) == 7200 // 5 + 1
    assert sol_ticks[:3] == [QUIET, QUIET + 5, QUIET + 10]
    first = [e for e in events if e.ts == QUIET]
    assert {e.symbol for e in first if isinstance(e, PriceTick)} == set(TOKENS)
    assert {e.pool.pool_id for e in first if isinstance(e, PoolUpdate)} == {
        s.pool_id for s in DEFAULT_POOLS
    }


def test_layout_tokens_and_initial_prices() -> None:
    w = world()
    assert {s: t.decimals for s, t in w.tokens.items()} == {
        "USDC": 6,
        "USDT": 6,
        "SOL": 9,
        "ETH": 8,
        "BTC": 8,
    }
    assert w.native == Token("SOL", 9)
    assert w.base_tokens == (Token("USDC", 6),)
    ref = w.reference_prices()
    assert ref["USDC"] == ref["USDT"] == 1.0
    assert ref["SOL"] == pytest.approx(32.57)
    sol_usdc = [p for p in w.pools() if {p.token0.symbol, p.token1.symbol} == {"SOL", "USDC"}]
    assert sorted((p.kind, p.fee_ppm) for p in sol_usdc) == [
        (PoolKind.CONCENTRATED, 500),
        (PoolKind.CONSTANT_PRODUCT, 2500),
        (PoolKind.CONSTANT_PRODUCT, 3000),
    ]
    for pool in w.pools():
        assert pool.venue in {"orca", "raydium", "meteora", "lifinity"}
        spec = w.specs[pool.pool_id]
        assert 10_000 <= spec.depth_usd <= 10_000_000
        price = spot_price(pool, w.tokens[spec.base])
        assert price == pytest.approx(ref[spec.base] / ref[spec.quote], rel=1e-8)
        if isinstance(pool, ConstantProductPool):
            value = pool.reserve1 / pool.token1.one * ref[spec.quote] * 2
            assert value == pytest.approx(spec.depth_usd, rel=1e-6)
    cycles = find_cycles(w.pools(), w.base_tokens)
    assert any(len(c.pool_ids) == 2 for c in cycles)
    triangles = {frozenset(t.symbol for t in c.tokens) for c in cycles if len(c.pool_ids) == 3}
    assert {"USDC", "SOL", "ETH"} in triangles and {"USDC", "SOL", "BTC"} in triangles
    assert {"USDC", "SOL", "USDT"} in triangles


def _deviations(events: tuple[MarketEvent, ...]) -> dict[str, list[float]]:
    ref: dict[str, float] = {"USDC": 1.0, "USDT": 1.0}
    out: dict[str, list[float]] = {}
    for e in events:
        if isinstance(e, PriceTick):
            ref[e.symbol] = e.price
        elif e.ts > events[0].ts:
            base, quote = e.pool.token0, e.pool.token1
            price = spot_price(e.pool, base) / (ref[base.symbol] / ref[quote.symbol])
            out.setdefault(e.pool.pool_id, []).append(abs(price - 1))
    return out


def test_pools_track_the_reference_with_real_gaps() -> None:
    for pool_id, devs in _deviations(stream(5, QUIET, 7200)).items():
        assert len(devs) > 100, pool_id
        assert statistics.median(devs) < 0.006, pool_id
    crash = stream(5, CRASH, 1800)
    pools: dict[str, ConstantProductPool | ConcentratedPool] = {}
    cycles = find_cycles(world(5, CRASH).pools(), (TOKENS["USDC"],))
    positive = 0
    for e in crash:
        if isinstance(e, PoolUpdate):
            pools[e.pool.pool_id] = e.pool
            if len(pools) == len(DEFAULT_POOLS):
                positive += any(marginal_edge(c, pools) > 0.002 for c in cycles)
    assert positive > 50  # gaps worth more than 0.2 % after both fees open...
    last = {c: marginal_edge(c, pools) for c in cycles}
    assert statistics.median(last.values()) < 0  # ...and close again


def test_apply_external_is_honoured_even_after_a_peek() -> None:
    ref, w = world(9), world(9)
    target = "raydium-SOL-USDC"
    events = list(ref.events(QUIET + 600))
    index = next(
        i
        for i, e in enumerate(events)
        if isinstance(e, PoolUpdate) and e.pool.pool_id == target and e.ts > QUIET + 60
    )
    for _ in range(index):
        w.pop()
    assert w.next_time() == events[index].ts  # the event is computed: apply must redo it
    old = w.pool(target)
    assert isinstance(old, ConstantProductPool)
    doubled = replace(old, reserve0=old.reserve0 * 2, reserve1=old.reserve1 * 2)
    w.apply_external([doubled], w.now)
    assert w.pool(target) == doubled
    event = w.pop()
    assert isinstance(event, PoolUpdate) and event.pool.pool_id == target
    assert event.ts == events[index].ts
    assert isinstance(event.pool, ConstantProductPool)
    assert event.pool.reserve0 > 1.8 * old.reserve0  # continued from the doubled state
    later = [e for e in w.events(QUIET + 900) if isinstance(e, PoolUpdate)]
    latest = [e.pool for e in later if e.pool.pool_id == target][-1]
    assert isinstance(latest, ConstantProductPool) and latest.reserve0 > 1.8 * old.reserve0


def test_apply_external_moves_one_pool_and_leaves_the_others_alone() -> None:
    a, b = world(3), world(3)
    while b.now < QUIET + 120:
        a.pop()
        b.pop()
    target = "orca-SOL-USDC"
    pool = b.pool(target)
    moved = swap(pool, TOKENS["USDC"], 30_000 * TOKENS["USDC"].one).pool_after
    sol = TOKENS["SOL"]
    assert spot_price(moved, sol) > 1.04 * spot_price(pool, sol)
    b.apply_external([moved], b.now)
    rest_a = list(a.events(QUIET + 1800))
    rest_b = list(b.events(QUIET + 1800))

    def others(events: list[MarketEvent]) -> list[MarketEvent]:
        return [e for e in events if not (isinstance(e, PoolUpdate) and e.pool.pool_id == target)]

    assert others(rest_a) == others(rest_b)
    ref = b.reference_prices()["SOL"]
    assert abs(spot_price(b.pool(target), sol) / ref - 1) < 0.01  # arbitrage pulled it back
    with pytest.raises(KeyError, match="no pool nowhere"):
        b.apply_external([replace(moved, pool_id="nowhere")], b.now)
    with pytest.raises(ValueError, match="must keep its tokens"):
        b.apply_external([replace(moved, token1=TOKENS["USDT"])], b.now)


def test_world_ends_with_the_path() -> None:
    short = sample().slice(QUIET, QUIET + 600)
    w = ReplayWorld(WorldParams(), short, SeededRng(1))
    events = list(w.events())
    assert events[-1].ts <= w.end_ts == QUIET + 600
    assert w.next_time() is None
    with pytest.raises(IndexError, match="exhausted"):
        w.pop()
    with pytest.raises(ValueError, match="outside the price path"):
        ReplayWorld(WorldParams(), short, SeededRng(1), start=QUIET + 600)


def test_single_symbol_path_builds_only_its_pools() -> None:
    sol_only = PricePath(sample().timestamps, {"SOL": sample().bars["SOL"]})
    w = ReplayWorld(WorldParams(), sol_only.slice(QUIET, QUIET + 3600), SeededRng(1))
    assert set(w.tokens) == {"USDC", "USDT", "SOL"}
    assert {p.pool_id for p in w.pools()} == {
        "raydium-SOL-USDC",
        "orca-SOL-USDC",
        "orca-wp-SOL-USDC",
        "raydium-SOL-USDT",
        "orca-wp-SOL-USDT",
        "meteora-USDT-USDC",
        "orca-wp-USDT-USDC",
    }
    assert len(list(w.events())) > 50


def test_lp_recentres_a_concentrated_pool_left_by_the_price() -> None:
    spec = next(s for s in DEFAULT_POOLS if s.pool_id == "orca-wp-SOL-USDC")
    usd = {"SOL": 30.0, "USDC": 1.0}
    pool = build_pool(spec, TOKENS, usd)
    assert isinstance(pool, ConcentratedPool)
    lp = LiquidityManager(spec, WorldParams(), SeededRng(1).stream("lp"))
    assert lp.act(pool, None, usd, TOKENS) is None  # in range: nothing to do
    moved = swap(pool, TOKENS["SOL"], 40_000 * TOKENS["SOL"].one).pool_after
    assert isinstance(moved, ConcentratedPool) and moved.liquidity < 0.7 * pool.liquidity
    fresh = lp.act(moved, None, {"SOL": spot_price(moved, TOKENS["SOL"]), "USDC": 1.0}, TOKENS)
    assert isinstance(fresh, ConcentratedPool)
    assert fresh.sqrt_price_x96 == moved.sqrt_price_x96
    assert fresh.liquidity > 2 * moved.liquidity


def test_world_params_errors_name_the_setting() -> None:
    with pytest.raises(ValueError, match=r"WorldParams\.tick_interval_s must be"):
        WorldParams(tick_interval_s=0)
    with pytest.raises(ValueError, match=r"WorldParams\.arb_fraction_jitter"):
        WorldParams(arb_fraction_jitter=1.5)
    with pytest.raises(ValueError, match="duplicate pool id raydium-SOL-USDC"):
        WorldParams(pools=(DEFAULT_POOLS[0], DEFAULT_POOLS[0]))
    with pytest.raises(ValueError, match="unknown token DOGE"):
        WorldParams(pools=(replace(DEFAULT_POOLS[0], base="DOGE"),))
    with pytest.raises(ValueError, match="arb_fraction must be in"):
        replace(DEFAULT_POOLS[0], arb_fraction=0.0)


def _interleaved(seed: int) -> list[MarketEvent]:
    """Pop events while trading against the pools every few events (after a peek)."""
    w = world(seed)
    usdc = TOKENS["USDC"]
    out: list[MarketEvent] = []
    for i in range(3000):
        out.append(w.pop())
        if i % 7 == 0:
            assert w.next_time() is not None
            ids = [p.pool_id for p in w.pools()]
            pool = w.pool(ids[i % len(ids)])
            if usdc in (pool.token0, pool.token1):
                w.apply_external([swap(pool, usdc, 5_000 * usdc.one).pool_after], w.now)
    return out


def test_external_trades_keep_time_order_and_determinism() -> None:
    events = _interleaved(4)
    times = [e.ts for e in events]
    assert times == sorted(times)
    assert events == _interleaved(4)
