"""Concentrated-liquidity swaps, positions and dispatch."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantom.amm.concentrated import (
    from_positions,
    next_initialized_tick_within_word,
    swap_exact_in,
    swap_exact_out,
    with_position,
)
from phantom.amm.constant_product import get_amount_out
from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.sqrt_price_math import Q96, amount0_delta, amount1_delta
from phantom.amm.swap import fee_of, quote, required_input, spot_price, swap
from phantom.amm.tick_math import MAX_TICK, get_sqrt_ratio_at_tick
from phantom.core.pool import ConcentratedPool
from phantom.core.token import Token

T0 = Token("USDC", 6, chain="ethereum")
T1 = Token("WETH", 18, chain="ethereum")
SPACING = 60
FULL = (-887220, 887220)  # full range rounded to the spacing


def clmm(positions: list[tuple[int, int, int]], tick: int = 0) -> ConcentratedPool:
    return from_positions(
        "cl", "uniswap_v3", T0, T1, 3000, SPACING, get_sqrt_ratio_at_tick(tick) + 12345, positions
    )


def holdings(pool: ConcentratedPool, positions: list[tuple[int, int, int]]) -> tuple[int, int]:
    """Token amounts the positions hold at the pool's price (rounded in the pool's favour)."""
    p = pool.sqrt_price_x96
    h0 = h1 = 0
    for lo, hi, liq in positions:
        pl, pu = get_sqrt_ratio_at_tick(lo), get_sqrt_ratio_at_tick(hi)
        if p < pu:
            h0 += amount0_delta(max(p, pl), pu, liq, False)
        if p > pl:
            h1 += amount1_delta(pl, min(p, pu), liq, False)
    return h0, h1


LADDER = [(-600, 600, 10**20), (-1200, -600, 5 * 10**19), (600, 1800, 3 * 10**19), (*FULL, 10**17)]


def test_from_positions_builds_net_and_in_range() -> None:
    pool = clmm(LADDER)
    assert pool.tick == 0
    assert pool.liquidity == 10**20 + 10**17
    assert pool.ticks == (-887220, -1200, -600, 600, 1800, 887220)
    assert pool.liquidity_net[-600] == 10**20 - 5 * 10**19
    assert pool.liquidity_net[600] == -(10**20) + 3 * 10**19


def test_position_validation() -> None:
    with pytest.raises(ValueError, match="multiples"):
        clmm([(-50, 60, 1)])
    with pytest.raises(ValueError, match="range"):
        clmm([(60, 60, 1)])
    with pytest.raises(ValueError, match="positive"):
        clmm([(-60, 60, 0)])


def test_mint_burn_round_trip() -> None:
    pool = clmm(LADDER)
    minted = with_position(pool, -120, 120, 7 * 10**18)
    assert minted.liquidity == pool.liquidity + 7 * 10**18
    assert set(minted.ticks) == set(pool.ticks) | {-120, 120}
    burned = with_position(minted, -120, 120, -7 * 10**18)
    assert burned == pool
    out_of_range = with_position(pool, 1800, 2400, 10**18)
    assert out_of_range.liquidity == pool.liquidity
    with pytest.raises(ValueError, match="burn"):
        with_position(pool, -60, 60, -(10**21))


def test_word_boundary_stepping() -> None:
    ticks = (-600, 600)
    assert next_initialized_tick_within_word(ticks, -30, 60, True) == (-600, True)
    assert next_initialized_tick_within_word(ticks, 0, 60, False) == (600, True)
    # tick 0 starts its word: moving down, the word's first tick (0) is the step's end
    assert next_initialized_tick_within_word(ticks, 0, 60, True) == (0, False)
    # nothing initialized in the word: the word's edge, not initialized
    assert next_initialized_tick_within_word((), 0, 60, False) == (255 * 60, False)
    assert next_initialized_tick_within_word((), -1, 60, True) == (-256 * 60, False)


def test_crossing_ticks_changes_liquidity() -> None:
    pool = clmm(LADDER)
    result = swap_exact_in(pool, False, 4 * 10**18)  # token1 in: price up, past tick 600
    after = result.pool_after
    assert isinstance(after, ConcentratedPool)
    assert after.tick >= 600
    assert after.liquidity == 3 * 10**19 + 10**17
    down = swap_exact_in(pool, True, 4 * 10**18)  # token0 in: price down past -600
    assert isinstance(down.pool_after, ConcentratedPool)
    assert down.pool_after.tick < -600
    assert down.pool_after.liquidity == 5 * 10**19 + 10**17


def test_exhausting_liquidity_raises() -> None:
    pool = clmm([(-600, 600, 10**18)])
    with pytest.raises(InsufficientLiquidity):
        swap_exact_in(pool, True, 10**30)
    with pytest.raises(InsufficientLiquidity):
        swap(pool, T0, 10**30)
    with pytest.raises(InsufficientLiquidity):
        swap_exact_out(pool, False, 10**30)


def test_price_limit_stops_partially() -> None:
    pool = clmm(LADDER)
    limit = get_sqrt_ratio_at_tick(-300)
    result = swap_exact_in(pool, True, 10**30, limit)
    assert isinstance(result.pool_after, ConcentratedPool)
    assert result.pool_after.sqrt_price_x96 == limit
    assert 0 < result.amount_in < 10**30
    with pytest.raises(ValueError, match="limit"):
        swap_exact_in(pool, True, 10, get_sqrt_ratio_at_tick(10))


def test_single_range_matches_constant_product() -> None:
    """A full-range position is a constant-product pool with x = L/sqrtP, y = L*sqrtP."""
    liq = 10**24
    pool = clmm([(*FULL, liq)])
    x = liq * Q96 // pool.sqrt_price_x96
    y = liq * pool.sqrt_price_x96 // Q96
    for amount in (10**15, 10**18, 10**21):
        cl = swap_exact_in(pool, True, amount).amount_out
        cp = get_amount_out(amount, x, y, 3000)
        assert abs(cl - cp) <= max(2, cp // 10**12)


def test_dispatch_on_clmm() -> None:
    pool = clmm(LADDER)
    out = quote(pool, T1, 10**18)
    assert out == swap(pool, T1, 10**18).amount_out
    need = required_input(pool, T1, out)
    assert quote(pool, T1, need) >= out
    assert quote(pool, T1, need - 1) < out
    assert need <= 10**18
    assert 0 < fee_of(pool, T1, 10**18) <= 3 * 10**15 + 1
    assert fee_of(pool, T1, 0) == 0
    # ~1 token1 base unit per token0 base unit at tick 0: 1 USDC (1e6) buys 1e6 wei = 1e-12 WETH
    assert spot_price(pool, T0) == pytest.approx(1e-12, rel=1e-6)
    assert spot_price(pool, T1) == pytest.approx(1e12, rel=1e-6)


@settings(max_examples=150, deadline=None)
@given(
    amount=st.integers(1, 10**24),
    zero_for_one=st.booleans(),
    start_tick=st.integers(-1500, 1500),
)
def test_swap_never_pays_beyond_holdings(amount: int, zero_for_one: bool, start_tick: int) -> None:
    positions = [(lo, hi, liq) for lo, hi, liq in LADDER if hi <= MAX_TICK]
    pool = clmm(positions, start_tick)
    h0, h1 = holdings(pool, positions)
    try:
        result = swap_exact_in(pool, zero_for_one, amount)
    except InsufficientLiquidity:
        return
    assert result.amount_in == amount
    assert result.amount_out <= (h1 if zero_for_one else h0)
    assert result.fee_paid <= amount
    after = result.pool_after
    assert isinstance(after, ConcentratedPool)
    assert after.liquidity >= 0
    if zero_for_one:
        assert after.sqrt_price_x96 <= pool.sqrt_price_x96
    else:
        assert after.sqrt_price_x96 >= pool.sqrt_price_x96
    # round trip on the same pool never gains
    if result.amount_out > 0:
        try:
            back = swap_exact_in(after, not zero_for_one, result.amount_out)
        except InsufficientLiquidity:
            return
        assert back.amount_out <= amount


def test_zero_input_rejected() -> None:
    pool = clmm(LADDER)
    with pytest.raises(ValueError):
        swap_exact_in(pool, True, 0)
    with pytest.raises(InsufficientLiquidity):
        swap(pool, T0, 0)
    with pytest.raises(ValueError):
        swap(pool, T0, -5)


def test_empty_pool_quote_raises() -> None:
    pool = replace(clmm(LADDER), liquidity=0, ticks=(), liquidity_net={})
    with pytest.raises(InsufficientLiquidity):
        quote(pool, T0, 10**6)


def test_dust_quotes_zero_but_swap_refuses() -> None:
    pool = clmm(LADDER)
    assert quote(pool, T0, 1) == 0  # 1 unit less the fee rounds down to nothing
    with pytest.raises(InsufficientLiquidity):
        swap(pool, T0, 1)
    assert fee_of(pool, T0, 1) == 1  # the fee rounds up
    with pytest.raises(ValueError, match="does not hold"):
        quote(pool, Token("DAI", 18), 1)
