"""Tick maths and sqrt-price maths (V3 semantics)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantom.amm.sqrt_price_math import (
    Q96,
    amount0_delta,
    amount1_delta,
    compute_swap_step,
    next_sqrt_price_from_input,
    next_sqrt_price_from_output,
)
from phantom.amm.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

ticks = st.integers(MIN_TICK, MAX_TICK)


def test_boundaries() -> None:
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(0) == Q96
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1
    with pytest.raises(ValueError):
        get_sqrt_ratio_at_tick(MAX_TICK + 1)
    with pytest.raises(ValueError):
        get_tick_at_sqrt_ratio(MAX_SQRT_RATIO)


def test_real_pool_state() -> None:
    # USDC/WETH 0.05 % pool, block 18937382: Swap event sqrtPriceX96 and tick
    assert get_tick_at_sqrt_ratio(1662995104975155420368771254341874) == 199045


@given(ticks)
def test_matches_float_definition(tick: int) -> None:
    exact = get_sqrt_ratio_at_tick(tick)
    approx = math.exp(tick * math.log(1.0001) / 2) * 2**96
    assert math.isclose(exact, approx, rel_tol=1e-9)


@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_tick_round_trip_and_monotone(tick: int) -> None:
    lo, hi = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1)
    assert lo < hi
    assert get_tick_at_sqrt_ratio(lo) == tick
    assert get_tick_at_sqrt_ratio(hi - 1) == tick


prices = st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)
liquidity = st.integers(1, 2**128 - 1)


@given(prices, prices, liquidity)
def test_amount_deltas_round_up_by_at_most_one(a: int, b: int, liq: int) -> None:
    assert 0 <= amount0_delta(a, b, liq, True) - amount0_delta(a, b, liq, False) <= 1
    assert 0 <= amount1_delta(a, b, liq, True) - amount1_delta(a, b, liq, False) <= 1


@given(st.integers(2**90, 2**100), st.integers(10**12, 10**22), st.integers(1, 10**24))
def test_next_price_from_input_favours_pool(sqrt_p: int, liq: int, amount: int) -> None:
    down = next_sqrt_price_from_input(sqrt_p, liq, amount, True)
    assert down <= sqrt_p
    assert amount0_delta(down, sqrt_p, liq, True) <= amount  # never gives away more price
    up = next_sqrt_price_from_input(sqrt_p, liq, amount, False)
    assert up >= sqrt_p
    assert amount1_delta(sqrt_p, up, liq, True) <= amount


@given(st.integers(2**90, 2**100), st.integers(10**12, 10**22), st.integers(1, 10**6))
def test_next_price_from_output(sqrt_p: int, liq: int, amount: int) -> None:
    down = next_sqrt_price_from_output(sqrt_p, liq, amount, True)
    assert amount1_delta(down, sqrt_p, liq, False) >= amount


@given(
    st.integers(2**90, 2**100),
    st.integers(2**90, 2**100),
    st.integers(10**12, 10**22),
    st.integers(1, 10**24),
    st.sampled_from([100, 500, 3000, 10_000]),
)
def test_swap_step_exact_in_consumes_at_most_remaining(
    cur: int, target: int, liq: int, remaining: int, fee: int
) -> None:
    nxt, amount_in, amount_out, fee_amount = compute_swap_step(cur, target, liq, remaining, fee)
    assert amount_in + fee_amount <= remaining
    assert min(cur, target) <= nxt <= max(cur, target)
    if nxt != target:
        assert amount_in + fee_amount == remaining
    assert amount_out >= 0 and fee_amount >= 0


def test_swap_step_exact_out() -> None:
    cur = Q96
    target = get_sqrt_ratio_at_tick(-100)
    nxt, amount_in, amount_out, fee_amount = compute_swap_step(cur, target, 10**18, -(10**15), 3000)
    assert amount_out == 10**15
    assert target < nxt < cur
    assert amount_in > amount_out  # price ~1, plus rounding
    assert fee_amount == -(-amount_in * 3000 // 997_000)
