"""Integer V2 maths of the devnet: formulas, flash-arb optimum, sandwich closed form."""

from __future__ import annotations

import pytest

from phantom.devnet.v2math import (
    amount_in,
    amount_out,
    best_flash_arb,
    flash_arb_profit,
    sandwich_front_run,
)

ETH = 10**18


def test_amount_in_is_the_inverse_of_amount_out() -> None:
    x, y = 1_000 * ETH, 3_000_000 * 10**6
    for out in (1, 10**6, 3_000 * 10**6, 1_000_000 * 10**6):
        need = amount_in(out, x, y)
        assert amount_out(need, x, y) >= out
        assert amount_out(need - 1, x, y) < out
    with pytest.raises(ValueError):
        amount_in(y, x, y)
    with pytest.raises(ValueError):
        amount_out(0, x, y)


def test_best_flash_arb_is_the_maximum() -> None:
    cheap = (240 * ETH, 500_000 * 10**6)  # WETH at ~2,083 USDC
    dear = (1_000 * ETH, 3_000_000 * 10**6)  # WETH at 3,000 USDC
    borrow, profit = best_flash_arb(cheap, dear)
    assert profit > 0
    for other in (borrow - 10**15, borrow + 10**15, borrow // 2, borrow * 3 // 2):
        assert flash_arb_profit(other, cheap, dear) <= profit
    assert best_flash_arb(dear, cheap) == (0, 0)


def test_sandwich_front_run_matches_brute_force() -> None:
    # Domain facts §6 example: x = 1000, y = 2e6, v = 10, 1% slippage gives a* ≈ 5.07.
    x, y, v = 1_000 * ETH, 2_000_000 * ETH, 10 * ETH
    min_out = amount_out(v, x, y) * 99 // 100
    a = sandwich_front_run(v, min_out, x, y)
    assert abs(a - 5.07 * ETH) < 0.01 * ETH

    def victim_gets(front: int) -> int:
        got = amount_out(front, x, y)
        return amount_out(v, x + front, y - got)

    assert victim_gets(a) >= min_out
    assert victim_gets(a + a // 1000) < min_out
    # A victim with no slack leaves nothing to front-run.
    assert sandwich_front_run(v, amount_out(v, x, y), x, y) == 0
