"""Sandwich maths: how much an attacker front-runs a victim's exact-input swap, and its gain.

The victim sells ``v`` of token_in with a minimum output ``m``. The attacker buys first with
``a`` token_in (same direction), lets the victim's swap execute at the worse price, then sells
everything it bought back into the pool. For a constant-product pool with fee factor
``g = 1 - fee``, the victim's output after a front-run of ``a`` is
``g*v*x*y / ((x + g*a) * (x + a + g*v))``; setting it to ``m`` gives the quadratic
``g*a**2 + B*a + C = 0`` with ``B = x*(1+g) + g**2*v`` and ``C = x**2 + g*v*x - g*v*x*y/m``
(domain-facts §6). Its positive root, computed in floats on reserves scaled by ``x`` and then
fixed with exact integer swaps, is the largest front-run the victim's bound allows. The
attacker's profit rises with ``a`` up to that bound in the usual case; this is checked, and
when it does not hold (or for concentrated pools, where the bound is found by integer
bisection) the profit is maximised by an integer ternary search.

Speed: on a constant-product pool the searches evaluate hundreds of candidate front-runs, so
they use plain integer arithmetic on the reserves (:func:`_cp_victim_out`,
:func:`_cp_profit`), bit for bit the same as the exact ``swap()`` path (which builds a result
and a new pool snapshot per leg); only the chosen front-run is replayed through ``swap()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import sqrt

from phantom.amm import concentrated
from phantom.amm.constant_product import get_amount_out
from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.sizing import ternary_max
from phantom.amm.swap import swap
from phantom.core.pool import FEE_DENOMINATOR, ConstantProductPool, Pool
from phantom.core.token import Token

_SEARCH_LIMIT = 1 << 256


@dataclass(frozen=True, slots=True)
class Sandwich:
    """The attacker's best sandwich of one victim swap (amounts in base units)."""

    front_in: int
    attacker_profit: int
    victim_out: int
    victim_out_clean: int
    pool_after: Pool


def _cp_victim_out(x: int, y: int, v: int, a: int, fee_ppm: int) -> int:
    if a == 0:
        return get_amount_out(v, x, y, fee_ppm)
    front_out = get_amount_out(a, x, y, fee_ppm)
    return get_amount_out(v, x + a, y - front_out, fee_ppm)


def _cp_victim_out_fn(x: int, y: int, v: int, fee_ppm: int) -> Callable[[int], int]:
    """``a -> _cp_victim_out(x, y, v, a, fee_ppm)`` for ``a >= 0`` on validated inputs (``x``,
    ``y``, ``v`` > 0, fee in range): the same integers without the per-call checks."""
    g = FEE_DENOMINATOR - fee_ppm
    xd = x * FEE_DENOMINATOR
    vg = v * g

    def victim_out(a: int) -> int:
        if a == 0:
            return vg * y // (xd + vg)
        ag = a * g
        y1 = y - ag * y // (xd + ag)
        return vg * y1 // ((x + a) * FEE_DENOMINATOR + vg)

    return victim_out


def _cp_profit_fn(x: int, y: int, v: int, fee_ppm: int) -> Callable[[int], int]:
    """``a -> attacker profit`` of front-running ``a`` on reserves ``(x, y)`` (token_in,
    token_out), exactly as :func:`_simulate` computes it through ``swap()``: a leg with zero
    input or zero output leaves the pool unchanged and yields 0, the back-run sells everything
    the front-run bought. ``a >= 0``; ``v > 0``; the fee is the pool's (validated)."""
    g = FEE_DENOMINATOR - fee_ppm
    D = FEE_DENOMINATOR
    vg = v * g

    def profit(a: int) -> int:
        x1, y1, front_out = x, y, 0
        if a > 0 and x > 0 and y > 0:
            ag = a * g
            front_out = ag * y // (x * D + ag)
            if front_out > 0:
                x1, y1 = x + a, y - front_out
        x2, y2 = x1, y1
        if x1 > 0 and y1 > 0:
            victim_out = vg * y1 // (x1 * D + vg)
            if victim_out > 0:
                x2, y2 = x1 + v, y1 - victim_out
        if front_out == 0 or x2 == 0 or y2 == 0:
            return -a
        fg = front_out * g
        return fg * x2 // (y2 * D + fg) - a

    return profit


def _largest_true(pred: Callable[[int], bool], guess: int, step: int) -> int:
    """Largest ``a >= 0`` with ``pred(a)``, for ``pred`` true then false and ``pred(0)`` true."""
    guess, step = max(0, guess), max(1, step)
    if pred(guess):
        lo = guess
        while pred(lo + step):
            lo += step
            step *= 2
            if step > _SEARCH_LIMIT:
                raise ValueError("front-run size is unbounded")
        hi = lo + step
    else:
        hi = guess
        while True:
            lo = max(0, hi - step)
            if lo == 0 or pred(lo):
                break
            hi, step = lo, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            lo = mid
        else:
            hi = mid
    return lo


def optimal_front_run_cp(x: int, y: int, v: int, min_out: int, fee_ppm: int) -> int:
    """Largest front-run ``a`` (token_in units) on reserves ``(x, y)`` that leaves a victim
    selling ``v`` with exact-integer output ``>= min_out``; ``a + 1`` would break the bound.

    Returns 0 when even the clean swap gives less than ``min_out``. ``min_out`` must be >= 1
    (with no bound the victim tolerates any front-run).
    """
    if min(x, y, v) <= 0:
        raise ValueError(f"reserves and victim input must be positive, got {x}, {y}, {v}")
    if min_out < 1:
        raise ValueError(f"min_out must be >= 1, got {min_out}")
    if _cp_victim_out(x, y, v, 0, fee_ppm) < min_out:
        return 0
    g = (FEE_DENOMINATOR - fee_ppm) / FEE_DENOMINATOR
    v_hat = v / x  # everything in units of x keeps the floats in range
    k = g * v_hat * (y / min_out)
    b = 1 + g + g * g * v_hat
    c = 1 + g * v_hat - k
    a_hat = 0.0 if c >= 0 else -2 * c / (b + sqrt(b * b - 4 * g * c))
    guess = int(a_hat * x) if a_hat * x < 2.0**1000 else x
    victim_out = _cp_victim_out_fn(x, y, v, fee_ppm)
    return _largest_true(lambda a: victim_out(a) >= min_out, guess, max(1, guess >> 40))


def _exact_in(pool: Pool, token_in: Token, amount: int) -> tuple[int, Pool]:
    """(output, pool after); a zero output is allowed here (the attacker may lose dust)."""
    if amount == 0:
        return 0, pool
    if isinstance(pool, ConstantProductPool):
        try:
            result = swap(pool, token_in, amount)
        except InsufficientLiquidity:
            return 0, pool  # zero output: the pool keeps nothing either (the swap reverts)
        return result.amount_out, result.pool_after
    r = concentrated.swap_exact_in(pool, token_in == pool.token0, amount)
    return r.amount_out, r.pool_after


@dataclass(frozen=True, slots=True)
class _Outcome:
    victim_out: int
    profit: int
    pool_after: Pool


def _simulate(pool: Pool, token_in: Token, victim_in: int, front_in: int) -> _Outcome | None:
    token_out = pool.other(token_in)
    try:
        front_out, p1 = _exact_in(pool, token_in, front_in)
        victim_out, p2 = _exact_in(p1, token_in, victim_in)
        back_out, p3 = _exact_in(p2, token_out, front_out)
    except InsufficientLiquidity:
        return None
    return _Outcome(victim_out, back_out - front_in, p3)


_SCAN_LIMIT = 2048  # front-run sizes (base units) small enough to try every one


def best_sandwich(
    pool: Pool, token_in: Token, victim_in: int, victim_min_out: int
) -> Sandwich | None:
    """The attacker's most profitable sandwich of a victim's exact-input swap, or None when the
    victim's bound leaves no room (clean output <= min_out) or no front-run is profitable."""
    if victim_in <= 0:
        raise ValueError(f"victim_in must be positive, got {victim_in}")
    clean = _simulate(pool, token_in, victim_in, 0)
    if clean is None or clean.victim_out <= victim_min_out:
        return None
    floor_out = max(victim_min_out, 0)

    def feasible(a: int) -> bool:  # front-run and victim only: the back-run cannot matter
        try:
            _, p1 = _exact_in(pool, token_in, a)
            return _exact_in(p1, token_in, victim_in)[0] >= floor_out
        except InsufficientLiquidity:
            return False

    if isinstance(pool, ConstantProductPool):
        x, y = pool.reserves_for(token_in)
        bound = optimal_front_run_cp(x, y, victim_in, max(floor_out, 1), pool.fee_ppm)
    else:
        bound = _largest_true(feasible, victim_in, max(1, victim_in >> 4))
    if bound == 0:
        return None

    profit: Callable[[int], int]
    if isinstance(pool, ConstantProductPool):
        x, y = pool.reserves_for(token_in)
        profit = _cp_profit_fn(x, y, victim_in, pool.fee_ppm)  # == _simulate(...).profit
    else:

        def profit(a: int) -> int:
            outcome = _simulate(pool, token_in, victim_in, a)
            return outcome.profit if outcome is not None else -(1 << 255)

    # Increasing up to the bound (the usual case)? Then the peak lies in [bound - delta, bound]
    # and the bound itself is the attacker's choice; otherwise search the interior.
    delta = max(1, bound >> 20)
    if bound <= _SCAN_LIMIT:
        # small bounds (tiny pools, where integer rounding makes the profit jagged): exact scan
        front = max(range(bound + 1), key=lambda a: (profit(a), -a))
    elif profit(bound) >= profit(bound - delta):
        front = bound
    else:
        front = ternary_max(profit, 0, bound)[0]
    best = _simulate(pool, token_in, victim_in, front)
    if best is None or best.profit <= 0:
        return None
    return Sandwich(front, best.profit, best.victim_out, clean.victim_out, best.pool_after)
