"""Sandwich maths: the closed form, its integer fix-up, and brute force on small pools."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from phantom.amm.constant_product import get_amount_out
from phantom.amm.sandwich import Sandwich, best_sandwich, optimal_front_run_cp
from phantom.amm.swap import quote
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token

E18 = 10**18
X = Token("X", 18, chain="ethereum")
Y = Token("Y", 18, chain="ethereum")


def victim_out(x: int, y: int, v: int, a: int, fee: int) -> int:
    if a == 0:
        return get_amount_out(v, x, y, fee)
    front = get_amount_out(a, x, y, fee)
    return get_amount_out(v, x + a, y - front, fee)


def attacker_profit(x: int, y: int, v: int, a: int, fee: int) -> int:
    front = get_amount_out(a, x, y, fee) if a else 0
    x1, y1 = x + a, y - front
    vo = get_amount_out(v, x1, y1, fee)
    x2, y2 = x1 + v, y1 - vo
    back = get_amount_out(front, y2, x2, fee) if front else 0
    return back - a


def test_domain_facts_example(cp_pool: ConstantProductPool) -> None:
    """x=1000, y=2e6, v=10, s=1%: a* ≈ 5.07 X and a profit ≈ 0.070 X before gas."""
    v = 10 * E18
    clean = quote(cp_pool, X, v)
    min_out = clean * 99 // 100
    a = optimal_front_run_cp(cp_pool.reserve0, cp_pool.reserve1, v, min_out, 3000)
    assert a / E18 == pytest.approx(5.07, abs=0.005)
    sandwich = best_sandwich(cp_pool, X, v, min_out)
    assert isinstance(sandwich, Sandwich)
    assert sandwich.front_in == a
    assert sandwich.attacker_profit / E18 == pytest.approx(0.070, abs=0.0015)
    assert sandwich.victim_out >= min_out
    assert sandwich.victim_out_clean == clean
    assert sandwich.attacker_profit == attacker_profit(
        cp_pool.reserve0, cp_pool.reserve1, v, a, 3000
    )
    after = sandwich.pool_after
    assert isinstance(after, ConstantProductPool)
    assert after.reserve0 == cp_pool.reserve0 + v - sandwich.attacker_profit


def test_bound_is_tight(cp_pool: ConstantProductPool) -> None:
    x, y, v = cp_pool.reserve0, cp_pool.reserve1, 10 * E18
    min_out = quote(cp_pool, X, v) * 995 // 1000
    a = optimal_front_run_cp(x, y, v, min_out, 3000)
    assert victim_out(x, y, v, a, 3000) >= min_out
    assert victim_out(x, y, v, a + 1, 3000) < min_out


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(200, 5000),
    y=st.integers(200, 5000),
    v=st.integers(5, 200),
    slip_bps=st.integers(1, 2000),
    fee=st.sampled_from([0, 500, 3000, 10_000]),
)
def test_closed_form_matches_brute_force(x: int, y: int, v: int, slip_bps: int, fee: int) -> None:
    clean = get_amount_out(v, x, y, fee)
    min_out = max(1, clean * (10_000 - slip_bps) // 10_000)
    a = optimal_front_run_cp(x, y, v, min_out, fee)
    feasible = [b for b in range(0, 4 * x) if victim_out(x, y, v, b, fee) >= min_out]
    assert a == max(feasible, default=0)


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(500, 3000),
    y=st.integers(500, 3000),
    v=st.integers(10, 600),
    slip_bps=st.integers(10, 3000),
    fee=st.sampled_from([0, 3000]),
)
def test_best_sandwich_near_brute_force(x: int, y: int, v: int, slip_bps: int, fee: int) -> None:
    pool = ConstantProductPool("p", "v2", X, Y, x, y, fee)
    clean = get_amount_out(v, x, y, fee)
    assume(clean >= 50)
    min_out = clean * (10_000 - slip_bps) // 10_000
    bound = optimal_front_run_cp(x, y, v, max(1, min_out), fee) if clean > min_out else 0
    brute = max((attacker_profit(x, y, v, b, fee) for b in range(0, bound + 1)), default=0)
    got = best_sandwich(pool, X, v, min_out)
    # Three floor divisions (front, victim, back) each drop < 1 unit of their token, so on pools
    # this small the integer profit is the smooth profit +- a few X units (one Y unit is worth
    # ~x/y X): the bound is optimal up to that noise.
    noise = 3 * max(1, -(-x // y))
    if got is None:
        assert brute <= noise
        return
    assert got.victim_out >= min_out
    assert got.front_in <= bound
    assert got.attacker_profit > 0
    assert got.attacker_profit >= brute - noise


def test_no_room_returns_none(cp_pool: ConstantProductPool) -> None:
    v = 10 * E18
    clean = quote(cp_pool, X, v)
    assert best_sandwich(cp_pool, X, v, clean) is None
    assert best_sandwich(cp_pool, X, v, clean + 1) is None
    assert optimal_front_run_cp(cp_pool.reserve0, cp_pool.reserve1, v, clean + 1, 3000) == 0


def test_tiny_slack_unprofitable(cp_pool: ConstantProductPool) -> None:
    v = 10 * E18
    clean = quote(cp_pool, X, v)
    # a slack of 1 wei lets through a dust front-run that cannot cover two LP fees
    assert best_sandwich(cp_pool, X, v, clean - 1) is None


def test_zero_min_out_is_bounded_by_profit(cp_pool: ConstantProductPool) -> None:
    v = 10 * E18
    sandwich = best_sandwich(cp_pool, X, v, 0)
    assert sandwich is not None
    x, y = cp_pool.reserve0, cp_pool.reserve1
    near = [attacker_profit(x, y, v, sandwich.front_in + d, 3000) for d in (-(10**15), 10**15)]
    assert sandwich.attacker_profit >= max(near)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        optimal_front_run_cp(0, 10, 1, 1, 3000)
    with pytest.raises(ValueError):
        optimal_front_run_cp(10, 10, 1, 0, 3000)


@settings(max_examples=40, deadline=None)
@given(
    x=st.integers(10**20, 10**24),
    price=st.floats(1e-3, 1e3),
    v_frac=st.floats(1e-5, 0.05),
    slip_bps=st.integers(5, 500),
    fee=st.sampled_from([500, 3000, 10_000]),
)
def test_bound_beats_a_grid_at_scale(
    x: int, price: float, v_frac: float, slip_bps: int, fee: int
) -> None:
    y = int(x * price)
    v = max(1, int(x * v_frac))
    pool = ConstantProductPool("p", "v2", X, Y, x, y, fee)
    clean = get_amount_out(v, x, y, fee)
    min_out = clean * (10_000 - slip_bps) // 10_000
    got = best_sandwich(pool, X, v, min_out)
    if got is None:
        return
    grid = [got.front_in * k // 64 for k in range(64)]
    assert all(attacker_profit(x, y, v, a, fee) <= got.attacker_profit for a in grid)


def test_concentrated_sandwich_matches_full_range_cp() -> None:
    """A full-range CL pool is a CP pool with x = L/sqrtP, y = L*sqrtP, except that V3 keeps the
    LP fee outside the curve while V2 leaves it in the reserves: after the front-run the V2
    victim faces a slightly worse price, so the two sandwiches agree to within a percent."""
    from phantom.amm.concentrated import from_positions, swap_exact_in
    from phantom.amm.sqrt_price_math import Q96
    from phantom.amm.tick_math import get_sqrt_ratio_at_tick

    liq = 10**22
    sqrt_p = get_sqrt_ratio_at_tick(6931)  # price ~2 token1 per token0
    cl = from_positions("cl", "v3", X, Y, 3000, 60, sqrt_p, [(-887220, 887220, liq)])
    x, y = liq * Q96 // sqrt_p, liq * sqrt_p // Q96
    cp = ConstantProductPool("cp", "v2", X, Y, x, y, 3000)
    v = x // 200
    min_out = quote(cl, X, v) * 99 // 100
    got_cl = best_sandwich(cl, X, v, min_out)
    got_cp = best_sandwich(cp, X, v, min_out)
    assert got_cl is not None and got_cp is not None
    assert got_cl.victim_out >= min_out
    assert got_cp.front_in < got_cl.front_in < got_cp.front_in * 101 // 100
    assert abs(got_cl.attacker_profit - got_cp.attacker_profit) <= got_cp.attacker_profit // 100
    # the CL bound is tight: one more unit of front-run breaks the victim's minimum
    bigger = swap_exact_in(cl, True, got_cl.front_in + 1).pool_after
    assert isinstance(bigger, type(cl))
    assert swap_exact_in(bigger, True, v).amount_out < min_out


def test_concentrated_sandwich_none_without_room() -> None:
    from phantom.amm.concentrated import from_positions
    from phantom.amm.tick_math import get_sqrt_ratio_at_tick

    cl = from_positions(
        "cl", "v3", X, Y, 500, 10, get_sqrt_ratio_at_tick(0), [(-1000, 1000, 10**21)]
    )
    clean = quote(cl, X, 10**18)
    assert best_sandwich(cl, X, 10**18, clean) is None
    dust = best_sandwich(cl, X, 10**18, clean - 10)  # rounding dust at most
    assert dust is None or dust.attacker_profit < 100
