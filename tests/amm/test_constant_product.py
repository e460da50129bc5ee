"""Constant-product integer formulas against the Uniswap V2 library formulas."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantom.amm.constant_product import (
    fee_amount,
    get_amount_in,
    get_amount_out,
    min_amount_in,
)
from phantom.amm.errors import InsufficientLiquidity

reserves = st.integers(min_value=1, max_value=10**30)
amounts = st.integers(min_value=1, max_value=10**30)
fees = st.integers(min_value=0, max_value=100_000)


def v2_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    in_with_fee = amount_in * 997
    return in_with_fee * reserve_out // (reserve_in * 1000 + in_with_fee)


def v2_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    return reserve_in * amount_out * 1000 // ((reserve_out - amount_out) * 997) + 1


def test_known_values() -> None:
    assert get_amount_out(10**18, 100 * 10**18, 200_000 * 10**6, 3000) == 1974316068
    assert get_amount_out(1000, 1000, 1000, 0) == 500
    assert get_amount_in(500, 1000, 1000, 0) == 1001  # the router's +1 on an exact division
    assert min_amount_in(500, 1000, 1000, 0) == 1000


@given(amounts, reserves, reserves)
def test_fee_3000_matches_v2_out(amount_in: int, reserve_in: int, reserve_out: int) -> None:
    assert get_amount_out(amount_in, reserve_in, reserve_out, 3000) == v2_amount_out(
        amount_in, reserve_in, reserve_out
    )


@given(st.data(), reserves, st.integers(min_value=2, max_value=10**30))
def test_fee_3000_matches_v2_in(data: st.DataObject, reserve_in: int, reserve_out: int) -> None:
    amount_out = data.draw(st.integers(min_value=1, max_value=reserve_out - 1))
    assert get_amount_in(amount_out, reserve_in, reserve_out, 3000) == v2_amount_in(
        amount_out, reserve_in, reserve_out
    )


@given(st.data(), reserves, st.integers(min_value=2, max_value=10**30), fees)
def test_min_amount_in_is_minimal(
    data: st.DataObject, reserve_in: int, reserve_out: int, fee: int
) -> None:
    amount_out = data.draw(st.integers(min_value=1, max_value=reserve_out - 1))
    need = min_amount_in(amount_out, reserve_in, reserve_out, fee)
    assert get_amount_out(need, reserve_in, reserve_out, fee) >= amount_out
    if need > 1:
        assert get_amount_out(need - 1, reserve_in, reserve_out, fee) < amount_out
    assert get_amount_in(amount_out, reserve_in, reserve_out, fee) in (need, need + 1)


@given(amounts, reserves, reserves, fees)
def test_k_never_decreases(amount_in: int, reserve_in: int, reserve_out: int, fee: int) -> None:
    out = get_amount_out(amount_in, reserve_in, reserve_out, fee)
    assert 0 <= out < reserve_out
    assert (reserve_in + amount_in) * (reserve_out - out) >= reserve_in * reserve_out


@given(amounts, reserves, reserves, fees)
def test_round_trip_never_gains(
    amount_in: int, reserve_in: int, reserve_out: int, fee: int
) -> None:
    out = get_amount_out(amount_in, reserve_in, reserve_out, fee)
    if out == 0:
        return
    back = get_amount_out(out, reserve_out - out, reserve_in + amount_in, fee)
    assert back <= amount_in


@pytest.mark.parametrize(
    ("amount", "r_in", "r_out"),
    [(0, 10, 10), (5, 0, 10), (5, 10, 0)],
)
def test_out_insufficient(amount: int, r_in: int, r_out: int) -> None:
    with pytest.raises(InsufficientLiquidity):
        get_amount_out(amount, r_in, r_out, 3000)


@pytest.mark.parametrize(("amount", "r_in", "r_out"), [(0, 10, 10), (10, 10, 10), (11, 10, 10)])
def test_in_insufficient(amount: int, r_in: int, r_out: int) -> None:
    with pytest.raises(InsufficientLiquidity):
        get_amount_in(amount, r_in, r_out, 3000)
    with pytest.raises(InsufficientLiquidity):
        min_amount_in(amount, r_in, r_out, 3000)


def test_insufficient_is_value_error() -> None:
    assert issubclass(InsufficientLiquidity, ValueError)


@pytest.mark.parametrize("args", [(-1, 10, 10, 3000), (1, -10, 10, 3000), (1, 10, -10, 3000)])
def test_negative_inputs_rejected(args: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        get_amount_out(*args)
    with pytest.raises(ValueError, match="non-negative"):
        get_amount_in(*args)


def test_bad_fee_rejected() -> None:
    with pytest.raises(ValueError, match="fee_ppm"):
        get_amount_out(1, 10, 10, 1_000_000)


def test_fee_amount_rounds_up() -> None:
    assert fee_amount(1000, 3000) == 3
    assert fee_amount(1001, 3000) == 4
    assert fee_amount(0, 3000) == 0
