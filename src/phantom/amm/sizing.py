"""Optimal input for one arbitrage cycle, on the exact curves.

Constant-product hops compose into one virtual constant-product pool: a hop ``(x1, y1, g1)``
followed by ``(x2, y2, g2)`` pays ``g1*a*E_out / (E_in + g1*a)`` with
``E_in = x1*x2 / (x2 + g2*y1)`` and ``E_out = g2*y1*y2 / (x2 + g2*y1)``; folding that over the
legs gives ``(E_in, E_out, g)`` for the whole cycle (``g`` is the first leg's fee factor). The
profit ``g*a*E_out/(E_in + g*a) - a`` is concave and peaks where the marginal output is 1:
``a* = (sqrt(g*E_in*E_out) - E_in) / g``, positive only when ``g*E_out > E_in`` (the cycle's
marginal rate exceeds 1). The float optimum is then checked with exact integer swaps along the
legs, moving to the best integer input within a small window; a cap gives ``min(a*, cap)``.

Cycles through a concentrated pool use an integer ternary search on the exact swap maths
(profit is concave there too: a composition of concave increasing outputs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import sqrt

from phantom.amm import concentrated
from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.sqrt_price_math import Q96
from phantom.core.orders import SwapLeg
from phantom.core.pool import FEE_DENOMINATOR, ConcentratedPool, ConstantProductPool, Pool

_NEG = -(1 << 255)


def virtual_reserves(pool: Pool, zero_for_one: bool) -> tuple[float, float, float]:
    """``(reserve_in, reserve_out, fee factor)`` as floats. A concentrated pool gives its local
    constant-product equivalent ``(L/sqrtP, L*sqrtP)``: exact marginal rate, no tick ranges."""
    g = (FEE_DENOMINATOR - pool.fee_ppm) / FEE_DENOMINATOR
    if isinstance(pool, ConstantProductPool):
        r0, r1 = float(pool.reserve0), float(pool.reserve1)
    else:
        s = pool.sqrt_price_x96 / Q96
        r0, r1 = pool.liquidity / s, pool.liquidity * s
    return (r0, r1, g) if zero_for_one else (r1, r0, g)


def compose(hops: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Fold hops ``(x, y, g)`` into one virtual pool ``(E_in, E_out, g_first)``."""
    e_in, e_out, g_first = hops[0]
    for x, y, g in hops[1:]:
        d = x + g * e_out
        if d <= 0.0:
            return e_in, 0.0, g_first
        e_in, e_out = e_in * x / d, g * e_out * y / d
    return e_in, e_out, g_first


def optimum(e_in: float, e_out: float, g: float) -> float:
    """The composed pool's profit-maximising input (0 when the marginal rate is <= 1)."""
    if e_in <= 0.0 or g * e_out <= e_in:
        return 0.0
    return (sqrt(g * e_in * e_out) - e_in) / g


def leg_output(pool: Pool, leg: SwapLeg, amount: int) -> int:
    """Exact output of one leg (0 for a zero input)."""
    if amount <= 0:
        return 0
    if isinstance(pool, ConstantProductPool):
        if leg.token_in == pool.token0:
            r_in, r_out = pool.reserve0, pool.reserve1
        else:
            r_in, r_out = pool.reserve1, pool.reserve0
        with_fee = amount * (FEE_DENOMINATOR - pool.fee_ppm)
        return with_fee * r_out // (r_in * FEE_DENOMINATOR + with_fee)
    assert isinstance(pool, ConcentratedPool)
    return concentrated.quote_exact_in(pool, leg.token_in == pool.token0, amount)


def cycle_output(pools: Sequence[Pool], legs: Sequence[SwapLeg], amount: int) -> int:
    """Exact output of ``amount`` through the legs (each on its pool's current state)."""
    for pool, leg in zip(pools, legs, strict=True):
        amount = leg_output(pool, leg, amount)
        if amount == 0:
            return 0
    return amount


def cp_chain_output(hops: Sequence[tuple[int, int, int]], amount: int) -> int:
    """Exact output through constant-product hops ``(reserve_in, reserve_out, D - fee)``."""
    for r_in, r_out, g_num in hops:
        with_fee = amount * g_num
        amount = with_fee * r_out // (r_in * FEE_DENOMINATOR + with_fee)
        if amount == 0:
            return 0
    return amount


def refine_cp(hops: Sequence[tuple[int, int, int]], start: int, cap: int | None) -> tuple[int, int]:
    """Exact integer optimum near ``start`` for constant-product hops
    ``(reserve_in, reserve_out, D - fee)``: returns ``(amount_in, amount_out)``.

    The cycle's output depends on the input only through the first hop's integer output
    ``o``, and the cheapest input giving ``o`` is ``ceil(R_in*o*D / ((R_out-o)*g))``. So the
    integer optimum is that cheapest input for some ``o``: we take the ``o`` that ``start``
    (capped) buys and its neighbours ``o +- 2``, and keep the best whose input respects the cap.
    """
    r_in, r_out, g_num = hops[0]
    rest = hops[1:]
    a0 = max(1, start if cap is None else min(start, cap))
    with_fee = a0 * g_num
    o0 = with_fee * r_out // (r_in * FEE_DENOMINATOR + with_fee)
    best_in, best_out = a0, cp_chain_output(rest, o0) if o0 else 0
    for o in range(max(1, o0 - 2), min(o0 + 2, r_out - 1) + 1):
        a = -(-(r_in * o * FEE_DENOMINATOR) // ((r_out - o) * g_num))
        if a < 1 or (cap is not None and a > cap):
            continue
        out = cp_chain_output(rest, o)
        if out - a > best_out - best_in:
            best_in, best_out = a, out
    return best_in, best_out


_INV_PHI = (sqrt(5.0) - 1.0) / 2.0


def ternary_max(
    profit: Callable[[int], int], lo: int, hi: int, rel_bits: int = 30
) -> tuple[int, int]:
    """Argmax and max of a unimodal integer function on ``[lo, hi]``, by golden-section search
    (one new evaluation per step). Stops when the bracket is within 2**-rel_bits of its position
    (near the optimum the profit is flat: the loss is second order), then takes the best of a
    few points."""
    cache: dict[int, int] = {}

    def f(x: int) -> int:
        if x not in cache:
            cache[x] = profit(x)
        return cache[x]

    a, b = lo, hi
    while b - a > max(8, b >> rel_bits):
        c = b - int((b - a) * _INV_PHI)
        d = a + int((b - a) * _INV_PHI)
        if c >= d:
            break
        if f(c) < f(d):
            a = c + 1
        else:
            b = d
    # the final bracket is scanned whole when small: on tiny pools the integer profit is jagged
    points = {a, (a + b) // 2, b, *range(a, min(b, a + 16) + 1)}
    best = max(sorted(points), key=f)
    return best, f(best)


def size_exact(
    pools: Sequence[Pool], legs: Sequence[SwapLeg], hint: float, cap: int | None
) -> tuple[int, int] | None:
    """``(amount_in, amount_out)`` maximising the exact profit of a cycle through any pool
    kinds, by integer ternary search; None if no input is profitable."""

    def profit(a: int) -> int:
        if a <= 0:
            return 0
        try:
            return cycle_output(pools, legs, a) - a
        except InsufficientLiquidity:
            return _NEG

    hi = max(2, int(min(hint, 2.0**200)) * 2)
    lo = max(1, hi // 8)  # the local constant-product hint is close unless ticks are crossed
    if cap is not None:
        hi = min(hi, cap)
        lo = min(lo, hi)
    if lo > 1 and profit(lo) <= profit(lo + max(1, lo >> 16)):
        pass  # the optimum lies above lo
    else:
        lo = 1
    while (cap is None or hi < cap) and hi < 1 << 200:
        nxt = hi * 2 if cap is None else min(hi * 2, cap)
        if profit(nxt) <= profit(hi):
            hi = nxt
            break
        hi = nxt
    if hi < 1:
        return None
    # 2**-16 of the size: the profit lost is ~1e-10 of the notional
    best, best_profit = ternary_max(profit, lo, hi, rel_bits=16)
    if best_profit <= 0:
        return None
    return best, best + best_profit
