"""Swap dispatch on constant-product pools."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.swap import SwapResult, fee_of, quote, required_input, spot_price, swap
from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token

A = Token("A", 18, chain="ethereum")
B = Token("B", 6, chain="ethereum")


def make_pool(r0: int, r1: int, fee: int = 3000) -> ConstantProductPool:
    return ConstantProductPool("ab", "uniswap_v2", A, B, r0, r1, fee)


def test_swap_moves_reserves(cp_pool: ConstantProductPool, tok_x: Token, tok_y: Token) -> None:
    result = swap(cp_pool, tok_x, 10 * 10**18)
    assert isinstance(result, SwapResult)
    assert result.amount_in == 10 * 10**18
    assert result.amount_out == quote(cp_pool, tok_x, 10 * 10**18)
    after = result.pool_after
    assert isinstance(after, ConstantProductPool)
    assert after.reserve0 == cp_pool.reserve0 + 10 * 10**18
    assert after.reserve1 == cp_pool.reserve1 - result.amount_out
    assert result.fee_paid == 3 * 10**16
    back = swap(after, tok_y, result.amount_out)
    assert back.pool_after.reserve1 == cp_pool.reserve1
    assert back.amount_out < 10 * 10**18


def test_spot_price_decimals_adjusted() -> None:
    pool = make_pool(10 * 10**18, 20_000 * 10**6)  # 1 A = 2000 B
    assert spot_price(pool, A) == pytest.approx(2000.0)
    assert spot_price(pool, B) == pytest.approx(1 / 2000.0)


def test_required_input_minimal() -> None:
    pool = make_pool(10 * 10**18, 20_000 * 10**6)
    need = required_input(pool, A, 1000 * 10**6)
    assert quote(pool, A, need) >= 1000 * 10**6
    assert quote(pool, A, need - 1) < 1000 * 10**6


def test_fee_of() -> None:
    pool = make_pool(10 * 10**18, 20_000 * 10**6, fee=2500)
    assert fee_of(pool, A, 10**6) == 2500
    assert fee_of(pool, B, 0) == 0


def test_foreign_token_rejected() -> None:
    with pytest.raises(ValueError, match="does not hold"):
        quote(make_pool(10, 10), Token("C", 6), 1)
    with pytest.raises(ValueError, match="does not hold"):
        fee_of(make_pool(10, 10), Token("C", 6), 1)


def test_zero_and_dust_inputs() -> None:
    pool = make_pool(10**18, 10**6)
    with pytest.raises(InsufficientLiquidity):
        swap(pool, A, 0)
    with pytest.raises(InsufficientLiquidity):
        swap(pool, A, 1)  # gives zero output: the pair would revert
    assert quote(pool, A, 1) == 0
    with pytest.raises(InsufficientLiquidity):
        required_input(pool, A, 10**6)
    with pytest.raises(ValueError):
        required_input(pool, A, -1)


@given(
    st.integers(1, 10**27),
    st.integers(1, 10**27),
    st.integers(1, 10**27),
    st.integers(0, 30_000),
    st.booleans(),
)
def test_swap_invariants(r0: int, r1: int, amount: int, fee: int, zero_in: bool) -> None:
    pool = make_pool(r0, r1, fee)
    token_in = A if zero_in else B
    try:
        result = swap(pool, token_in, amount)
    except InsufficientLiquidity:
        assert quote(pool, token_in, amount) == 0
        return
    after = result.pool_after
    assert isinstance(after, ConstantProductPool)
    assert after.reserve0 > 0 and after.reserve1 > 0
    assert after.reserve0 * after.reserve1 >= r0 * r1
    back_in = B if zero_in else A
    assert quote(after, back_in, result.amount_out) <= amount
