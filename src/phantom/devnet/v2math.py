"""Integer Uniswap V2 maths used by the devnet (agents, tests): exact, in base units."""

from __future__ import annotations

import math

FEE_NUM = 997
FEE_DEN = 1000


def amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """``UniswapV2Library.getAmountOut``."""
    if amount_in <= 0:
        raise ValueError("amount_in must be > 0")
    if reserve_in <= 0 or reserve_out <= 0:
        raise ValueError("reserves must be > 0")
    with_fee = amount_in * FEE_NUM
    return (with_fee * reserve_out) // (reserve_in * FEE_DEN + with_fee)


def amount_in(amount_out_: int, reserve_in: int, reserve_out: int) -> int:
    """``UniswapV2Library.getAmountIn`` (rounded up)."""
    if amount_out_ <= 0:
        raise ValueError("amount_out must be > 0")
    if reserve_in <= 0 or reserve_out <= amount_out_:
        raise ValueError("insufficient liquidity")
    return (reserve_in * amount_out_ * FEE_DEN) // ((reserve_out - amount_out_) * FEE_NUM) + 1


def flash_arb_profit(
    borrow: int, borrow_reserves: tuple[int, int], sell_reserves: tuple[int, int]
) -> int:
    """Profit of PhantomArb.execute: borrow ``borrow`` of X from pool A, sell it on pool B.

    ``borrow_reserves`` = (X, Y) reserves of the pool lent from, ``sell_reserves`` = (X, Y) of the
    pool sold into. Profit is in Y and may be negative.
    """
    bx, by = borrow_reserves
    sx, sy = sell_reserves
    if borrow >= bx:
        raise ValueError("borrow exceeds the lending pool's reserve")
    return amount_out(borrow, sx, sy) - amount_in(borrow, by, bx)


def best_flash_arb(
    borrow_reserves: tuple[int, int], sell_reserves: tuple[int, int]
) -> tuple[int, int]:
    """(borrow, profit) maximising :func:`flash_arb_profit`; (0, 0) when nothing is profitable.

    The profit is concave in the amount (up to integer rounding); a ternary search on integers
    finds its top.
    """
    bx, _ = borrow_reserves
    lo, hi = 1, bx - 1
    if hi < lo:
        return 0, 0

    def f(x: int) -> int:
        return flash_arb_profit(x, borrow_reserves, sell_reserves)

    while hi - lo > 2:
        m1 = lo + (hi - lo) // 3
        m2 = hi - (hi - lo) // 3
        if f(m1) < f(m2):
            lo = m1 + 1
        else:
            hi = m2
    best = max(range(lo, hi + 1), key=f)
    profit = f(best)
    return (best, profit) if profit > 0 else (0, 0)


def sandwich_front_run(
    victim_in: int, min_out: int, reserve_in: int, reserve_out: int, gamma: float = 0.997
) -> int:
    """Largest front-run ``a`` (same token as the victim sells) that still lets the victim's
    swap meet ``min_out``: the closed form of domain-facts §6 (Zhou et al.), rounded down.

    Returns 0 when no front-run fits (the victim's bound is already tight).
    """
    if victim_in <= 0 or min_out <= 0:
        return 0
    x, y, v, m = float(reserve_in), float(reserve_out), float(victim_in), float(min_out)
    b = x * (1 + gamma) + gamma * gamma * v
    c = x * x + gamma * v * x - gamma * v * x * y / m
    disc = b * b - 4 * gamma * c
    if disc < 0:
        return 0
    a = (-b + math.sqrt(disc)) / (2 * gamma)
    if a <= 0:
        return 0
    # Float maths gives the bound approximately: step down until the exact integer check holds.
    front = int(a)
    while front > 0:
        got = amount_out(front, reserve_in, reserve_out)
        after = amount_out(victim_in, reserve_in + front, reserve_out - got)
        if after >= min_out:
            return front
        front = front * 999 // 1000
    return 0
