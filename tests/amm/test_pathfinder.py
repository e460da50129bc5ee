"""Cycle index: enumeration, closed-form sizing vs brute force, caps, updates, CL cycles."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantom.amm.concentrated import from_positions
from phantom.amm.cycles import Cycle
from phantom.amm.pathfinder import CycleIndex, Opportunity
from phantom.amm.swap import quote
from phantom.amm.tick_math import get_tick_at_sqrt_ratio
from phantom.core.orders import SwapLeg
from phantom.core.pool import ConstantProductPool, Pool
from phantom.core.token import Token

W = Token("WETH", 18, "ethereum")
U = Token("USDC", 6, "ethereum")
A = Token("AAA", 18, "ethereum")
B = Token("BBB", 8, "ethereum")
E18 = 10**18


def cp(pid: str, t0: Token, t1: Token, r0: int, r1: int, fee: int = 3000) -> ConstantProductPool:
    return ConstantProductPool(pid, "v2", t0, t1, r0, r1, fee)


def exact_out(index: CycleIndex, cycle: Cycle, amount: int) -> int:
    for leg in cycle.legs:
        if amount == 0:
            return 0
        amount = quote(index.pool(leg.pool_id), leg.token_in, amount)
    return amount


def aligned_pools() -> list[Pool]:
    # 1 WETH = 2000 USDC = 100 AAA = 5 BBB everywhere
    return [
        cp("wa1", W, A, 100 * E18, 10_000 * E18),
        cp("wa2", A, W, 20_000 * E18, 200 * E18),
        cp("ab", A, B, 5_000 * E18, 250 * 10**8),
        cp("wb", W, B, 50 * E18, 250 * 10**8),
        cp("wu", W, U, 1_000 * E18, 2_000_000 * 10**6),
    ]


def test_enumeration_counts() -> None:
    index = CycleIndex(aligned_pools(), [W], max_hops=3)
    pairs = [c for c in index.cycles if len(c.legs) == 2]
    triangles = [c for c in index.cycles if len(c.legs) == 3]
    assert len(pairs) == 2  # wa1 -> wa2 and wa2 -> wa1
    assert len(triangles) == 4  # W->A->B->W via wa1|wa2 and W->B->A->W via wa1|wa2
    assert all(c.base == W for c in index.cycles)
    assert all(c.legs[-1].token_out == W for c in index.cycles)
    assert len(CycleIndex(aligned_pools(), [W], max_hops=2).cycles) == 2
    assert sorted(index.cycles_through("ab")) == [
        i for i, c in enumerate(index.cycles) if "ab" in c.pool_ids
    ]
    two_bases = CycleIndex(aligned_pools(), [W, A], max_hops=3)
    assert {c.base for c in two_bases.cycles} == {W, A}


def test_cycle_validation() -> None:
    with pytest.raises(ValueError):
        Cycle((SwapLeg("p", W, A),))
    with pytest.raises(ValueError):
        Cycle((SwapLeg("p", W, A), SwapLeg("q", A, B)))
    with pytest.raises(ValueError):
        Cycle((SwapLeg("p", W, A), SwapLeg("p", A, W)))


def test_aligned_prices_have_no_opportunity() -> None:
    index = CycleIndex(aligned_pools(), [W, U], max_hops=3)
    assert index.full_scan() == []
    for pid in ("wa1", "wa2", "ab", "wb", "wu"):
        assert index.rescore(pid) == []
    assert all(index.best(i) is None for i in range(len(index.cycles)))


def brute_best(index: CycleIndex, cycle: Cycle, upto: int) -> tuple[int, int]:
    return max(((exact_out(index, cycle, a) - a, a) for a in range(1, upto + 1)), default=(0, 0))


@settings(max_examples=40, deadline=None)
@given(
    x1=st.integers(2_000, 20_000),
    y1=st.integers(2_000, 20_000),
    skew=st.floats(1.02, 1.5),
    fee=st.sampled_from([0, 500, 3000]),
)
def test_two_pool_closed_form_vs_brute_force(x1: int, y1: int, skew: float, fee: int) -> None:
    p = cp("p", W, A, x1, y1, fee)
    q = cp("q", W, A, x1, int(y1 * skew), fee)  # A cheaper on q: buy A on q, sell on p
    index = CycleIndex([p, q], [W], max_hops=2)
    cid = next(i for i, c in enumerate(index.cycles) if c.pool_ids == ("q", "p"))
    opp = index.best(cid)
    brute_profit, _ = brute_best(index, index.cycles[cid], x1)
    if opp is None:
        # same contract as below: within the last hop's floor jitter (< 1 unit) of the optimum
        assert brute_profit <= 1
        return
    assert opp.amount_out == exact_out(index, opp.cycle, opp.amount_in)
    assert opp.profit == opp.amount_out - opp.amount_in > 0
    # The closed form plus the first-hop snap is the exact integer optimum up to the last hop's
    # floor (< 1 unit): the integer profit is the smooth concave profit minus a [0, 1) jitter.
    assert opp.profit >= brute_profit - 1
    other = next(i for i, c in enumerate(index.cycles) if c.pool_ids == ("p", "q"))
    assert index.best(other) is None


def test_large_pools_closed_form_matches_float_optimum() -> None:
    p = cp("p", W, U, 1_000 * E18, 2_000_000 * 10**6)
    q = cp("q", W, U, 500 * E18, 1_030_000 * 10**6, 500)
    index = CycleIndex([p, q], [W], max_hops=2)
    [opp] = index.full_scan()
    assert opp.cycle.pool_ids == ("q", "p")
    # the integer optimum: no input one unit either side does better
    for a in (opp.amount_in - 1, opp.amount_in + 1):
        assert exact_out(index, opp.cycle, a) - a <= opp.profit
    # and inputs 1 % either side do clearly worse (concave profit)
    for a in (opp.amount_in * 99 // 100, opp.amount_in * 101 // 100):
        assert exact_out(index, opp.cycle, a) - a < opp.profit


def test_triangle_found_and_sized() -> None:
    pools = aligned_pools()
    pools[2] = cp("ab", A, B, 5_000 * E18, 265 * 10**8)  # B cheap in AAA: W->A->B->W wins
    index = CycleIndex(pools, [W], max_hops=3)
    found = index.full_scan()
    assert found, "the mispriced triangle must be found"
    top = found[0]
    assert len(top.cycle.legs) == 3
    assert [leg.token_in for leg in top.cycle.legs] == [W, A, B]
    assert top.amount_out == exact_out(index, top.cycle, top.amount_in)
    assert top.profit > 0
    assert [o.profit for o in found] == sorted((o.profit for o in found), reverse=True)
    # every opportunity is also reported by re-scoring any of its pools
    for opp in found:
        for pid in opp.cycle.pool_ids:
            assert opp in index.rescore(pid)


def test_cap_respected() -> None:
    pools = aligned_pools()
    pools[2] = cp("ab", A, B, 5_000 * E18, 265 * 10**8)
    index = CycleIndex(pools, [W], max_hops=3)
    uncapped = index.full_scan()[0]
    cap = uncapped.amount_in // 3
    capped = index.best(uncapped.cycle_id, cap)
    assert capped is not None
    # concave profit: the capped optimum is the cap, or the cheapest input buying the same
    # first-hop output (the rest of the cycle only sees that output)
    assert capped.amount_in <= cap
    assert capped.profit >= exact_out(index, capped.cycle, cap) - cap
    first = capped.cycle.legs[0]
    pool = index.pool(first.pool_id)
    assert quote(pool, first.token_in, capped.amount_in) == quote(pool, first.token_in, cap)
    assert capped.amount_out == exact_out(index, capped.cycle, capped.amount_in)
    assert 0 < capped.profit < uncapped.profit
    scanned = index.full_scan({W: cap})
    assert all(o.amount_in <= cap for o in scanned)
    assert index.full_scan({W: 0}) == []
    assert index.rescore("ab", {U: 1})[0].amount_in == uncapped.amount_in  # other base's cap


def test_update_then_rescore() -> None:
    index = CycleIndex(aligned_pools(), [W], max_hops=3)
    assert index.rescore("wa2") == []
    moved = replace(index.pool("wa2"), reserve0=21_000 * E18)  # AAA cheaper on wa2
    index.update(moved)
    assert index.pool("wa2") == moved
    opps = index.rescore("wa2")
    assert opps and all(isinstance(o, Opportunity) for o in opps)
    assert opps == [o for o in index.full_scan() if "wa2" in o.cycle.pool_ids]
    with pytest.raises(KeyError):
        index.update(cp("nope", W, A, 1, 1))
    with pytest.raises(ValueError):
        index.update(cp("wa2", W, B, 1, 1))


def test_concentrated_cycle_sized_by_search() -> None:
    cl = from_positions(
        "cl", "v3", W, A, 500, 10, 10 * 2**96, [(-887270, 887270, 10**22)]
    )  # price 100 AAA per WETH, deep
    assert get_tick_at_sqrt_ratio(cl.sqrt_price_x96) > 0
    cheap = cp("v2", W, A, 100 * E18, 10_400 * E18)  # AAA cheaper on v2
    index = CycleIndex([cl, cheap], [W], max_hops=2)
    [opp] = index.full_scan()
    assert opp.cycle.pool_ids == ("v2", "cl")
    assert opp.amount_out == exact_out(index, opp.cycle, opp.amount_in)
    grid = [opp.amount_in * k // 20 for k in range(1, 41)]
    assert all(exact_out(index, opp.cycle, a) - a <= opp.profit for a in grid)
    capped = index.best(opp.cycle_id, opp.amount_in // 2)
    assert capped is not None and capped.amount_in <= opp.amount_in // 2
    # after an update that removes the mispricing, nothing is left
    index.update(cp("v2", W, A, 100 * E18, 10_000 * E18))
    assert index.rescore("v2") == []


def test_empty_range_clmm_is_still_searched() -> None:
    cl = from_positions("cl", "v3", W, A, 500, 10, 10 * 2**96, [(46060, 46100, 10**21)])
    assert cl.liquidity == 0  # price just below the only range
    index = CycleIndex([cl, cp("v2", W, A, 100 * E18, 10_000 * E18)], [W], max_hops=2)
    index.full_scan()  # must not fail; the exact search decides
    assert all(o.profit > 0 for o in index.full_scan())


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_full_scan_equals_union_of_rescores(seed: int) -> None:
    import random

    rng = random.Random(seed)
    tokens = [W, U, A, B, Token("CCC", 6, "ethereum")]
    price = {t: 10 ** rng.uniform(-2, 2) for t in tokens}
    pools: list[Pool] = []
    for i in range(12):
        t0, t1 = rng.sample(tokens, 2)
        depth = 10 ** rng.uniform(3, 6)
        r0 = int(depth / price[t0] * 10**t0.decimals * rng.uniform(0.97, 1.03))
        r1 = int(depth / price[t1] * 10**t1.decimals)
        pools.append(cp(f"p{i}", t0, t1, r0, r1, rng.choice([500, 3000])))
    index = CycleIndex(pools, [W, U], max_hops=3)
    scanned = index.full_scan()
    union = {o for p in pools for o in index.rescore(p.pool_id)}
    assert set(scanned) == union
    for opp in scanned:
        assert opp.profit > 0
        assert opp.amount_out == exact_out(index, opp.cycle, opp.amount_in)


def test_hub_pool_vector_rescore_matches_per_cycle() -> None:
    """A pool on many cycles is re-scored with numpy; the result must equal per-cycle sizing."""
    import random

    rng = random.Random(3)
    pools: list[Pool] = [cp("wu", W, U, 1_000 * E18, 2_000_000 * 10**6)]
    for i in range(45):
        tok = Token(f"X{i}", 18, "ethereum")
        usd = 10 ** rng.uniform(-1, 2)
        depth = 10 ** rng.uniform(5, 7)
        skew = rng.choice([1.0, 1.0, 1.0, rng.uniform(0.97, 1.03)])
        pools.append(cp(f"wx{i}", W, tok, int(depth / 2000 * E18), int(depth / usd * E18 * skew)))
        pools.append(cp(f"ux{i}", U, tok, int(depth * 10**6), int(depth / usd * E18)))
    index = CycleIndex(pools, [W, U], max_hops=3)
    assert len(index.cycles_through("wu")) >= 64
    vector = index.rescore("wu")
    per_cycle = [index.best(cid) for cid in index.cycles_through("wu")]
    expected = sorted(
        (o for o in per_cycle if o is not None), key=lambda o: (-o.profit, o.cycle_id)
    )
    assert vector == expected
    assert vector, "the skewed tokens make some hub cycles profitable"
    everything = [index.best(cid) for cid in range(len(index.cycles))]
    assert set(index.full_scan()) == {o for o in everything if o is not None}


@given(
    st.lists(
        st.tuples(st.floats(1e3, 1e9), st.floats(1e3, 1e9), st.sampled_from([0.997, 0.9995, 1.0])),
        min_size=1,
        max_size=4,
    ),
    st.floats(1.0, 1e4),
)
def test_compose_equals_chained_hops(hops: list[tuple[float, float, float]], a: float) -> None:
    from phantom.amm.sizing import compose

    out = a
    for x, y, g in hops:
        out = g * out * y / (x + g * out)
    e_in, e_out, g0 = compose(hops)
    assert g0 * a * e_out / (e_in + g0 * a) == pytest.approx(out, rel=1e-9)
