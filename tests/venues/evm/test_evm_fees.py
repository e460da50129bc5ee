"""EIP-1559 pricing under caps, and replacement bumps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantom.venues.evm.chains import GWEI, get_chain
from phantom.venues.evm.errors import FeeCapExceeded
from phantom.venues.evm.fees import (
    FeePolicy,
    FeeQuote,
    bump,
    gwei_to_wei,
    price_fees,
    replacement_fees,
    suggested_tip,
)
from phantom.venues.evm.models import FeeHistory

POLICY = FeePolicy.from_gwei(200, 50)


def history(
    base_gwei: float, tips_gwei: list[float], ratios: list[float] | None = None
) -> FeeHistory:
    n = len(tips_gwei)
    return FeeHistory(
        oldest_block=1,
        base_fee_per_gas=[gwei_to_wei(base_gwei)] * (n + 1),
        gas_used_ratio=ratios if ratios is not None else [0.5] * n,
        reward=[[gwei_to_wei(t)] for t in tips_gwei],
    )


def test_gwei_to_wei_is_exact() -> None:
    assert gwei_to_wei("0.01") == 10_000_000
    assert gwei_to_wei(Decimal("1.5")) == 1_500_000_000
    assert gwei_to_wei(0.1) == 100_000_000
    with pytest.raises(ValueError, match="whole number of wei"):
        gwei_to_wei("0.0000000001")
    with pytest.raises(ValueError, match="max_base_fee_gwei"):
        FeePolicy.from_gwei("-1", 1)
    with pytest.raises(ValueError, match="not a number"):
        gwei_to_wei("abc")


def test_two_base_plus_median_tip() -> None:
    q = price_fees(history(30, [1, 2, 3]), POLICY)
    assert q.base_fee_wei == 30 * GWEI
    assert q.max_priority_fee_per_gas == 2 * GWEI
    assert q.max_fee_per_gas == 62 * GWEI
    assert isinstance(q.max_fee_per_gas, int)


def test_empty_blocks_are_ignored_for_the_tip() -> None:
    assert suggested_tip(history(1, [0, 5, 0], ratios=[0.0, 0.9, 0.0])) == 5 * GWEI
    assert suggested_tip(history(1, [0, 0], ratios=[0.0, 0.0])) == 0
    no_reward = FeeHistory(oldest_block=1, base_fee_per_gas=[1, 1], gas_used_ratio=[0.5])
    assert suggested_tip(no_reward) == 0


def test_base_fee_above_cap_aborts() -> None:
    with pytest.raises(FeeCapExceeded, match="base fee") as info:
        price_fees(history(201, [1]), POLICY)
    assert info.value.needed_wei == 201 * GWEI and info.value.cap_wei == 200 * GWEI


def test_tip_is_clamped_and_max_fee_never_exceeds_caps() -> None:
    q = price_fees(history(150, [80]), POLICY)
    assert q.max_priority_fee_per_gas == 50 * GWEI
    assert q.max_fee_per_gas == 200 * GWEI + 50 * GWEI  # 2 x 150 capped at 200
    assert q.max_fee_per_gas <= POLICY.max_fee_ceiling_wei


def test_chain_rules() -> None:
    assert (
        price_fees(history(0.01, [3]), POLICY, get_chain("arbitrum")).max_priority_fee_per_gas == 0
    )
    bsc = price_fees(history(5, [1]), POLICY, get_chain("bsc"))
    assert bsc.base_fee_wei == 0 and bsc.max_fee_per_gas == bsc.max_priority_fee_per_gas == GWEI
    poly = price_fees(history(100, [1]), POLICY, get_chain("polygon"))
    assert poly.max_priority_fee_per_gas == 25 * GWEI
    with pytest.raises(FeeCapExceeded, match="priority fee floor"):
        price_fees(history(100, [1]), FeePolicy.from_gwei(200, 10), get_chain("polygon"))


def test_policy_floor() -> None:
    policy = FeePolicy.from_gwei(200, 50, min_priority_fee_gwei=1)
    assert price_fees(history(1, [0]), policy).max_priority_fee_per_gas == GWEI


def test_bump_rounds_up_and_adds_at_least_one_wei() -> None:
    assert bump(100, 10) == 110
    assert bump(101, 10) == 112  # 111.1 -> 112
    assert bump(0, 10) == 1
    assert bump(5, 10) == 6


def test_replacement_raises_both_fields() -> None:
    old = FeeQuote(max_fee_per_gas=20 * GWEI, max_priority_fee_per_gas=2 * GWEI)
    new = replacement_fees(old, POLICY)
    assert new.max_fee_per_gas == 22 * GWEI and new.max_priority_fee_per_gas == 2_200_000_000
    fresh = FeeQuote(
        max_fee_per_gas=40 * GWEI, max_priority_fee_per_gas=GWEI, base_fee_wei=19 * GWEI
    )
    new = replacement_fees(old, POLICY, fresh=fresh)
    assert new.max_fee_per_gas == 40 * GWEI and new.max_priority_fee_per_gas == 2_200_000_000
    with pytest.raises(ValueError, match=">= 10"):
        replacement_fees(old, POLICY, bump_pct=5)


def test_replacement_respects_caps() -> None:
    near_tip = FeeQuote(max_fee_per_gas=60 * GWEI, max_priority_fee_per_gas=48 * GWEI)
    with pytest.raises(FeeCapExceeded, match="replacement priority fee"):
        replacement_fees(near_tip, POLICY)
    near_fee = FeeQuote(max_fee_per_gas=240 * GWEI, max_priority_fee_per_gas=GWEI)
    with pytest.raises(FeeCapExceeded, match="replacement max fee"):
        replacement_fees(near_fee, POLICY)


def test_fee_quote_validation() -> None:
    with pytest.raises(ValueError, match="<= maxFeePerGas"):
        FeeQuote(max_fee_per_gas=1, max_priority_fee_per_gas=2)


@given(
    max_fee=st.integers(0, 10**12),
    tip_frac=st.floats(0, 1),
    pct=st.integers(10, 100),
)
def test_replacement_property(max_fee: int, tip_frac: float, pct: int) -> None:
    tip = int(max_fee * tip_frac)
    old = FeeQuote(max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip)
    policy = FeePolicy(max_base_fee_wei=10**13, max_priority_fee_wei=10**13)
    new = replacement_fees(old, policy, bump_pct=pct)
    for before, after in ((max_fee, new.max_fee_per_gas), (tip, new.max_priority_fee_per_gas)):
        assert after * 100 >= before * (100 + pct)
        assert after >= before + 1
