"""Concentrated-liquidity (Uniswap V3 / CLMM) swaps and position changes on a pool snapshot.

The swap loop follows ``UniswapV3Pool.swap``: it steps to the next initialized tick *or the edge
of the current 256-tick bitmap word* (as ``nextInitializedTickWithinOneWord`` does on chain, so
the per-step rounding matches), runs :func:`compute_swap_step`, and when a step ends on an
initialized tick it crosses it, adding its ``liquidityNet`` (negated when moving down). The
pool's ``ticks`` must be multiples of ``tick_spacing``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.result import SwapResult
from phantom.amm.sqrt_price_math import compute_swap_step
from phantom.amm.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from phantom.core.pool import ConcentratedPool
from phantom.core.token import Token


@dataclass(frozen=True, slots=True)
class _SwapState:
    amount_in: int  # including fees
    amount_out: int
    fee: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    remaining: int  # exact-in: input left; exact-out: output still owed (<= 0)


def next_initialized_tick_within_word(
    ticks: Sequence[int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """The next initialized tick at or left of (``lte``) / right of ``tick``, limited to the
    current 256-bit bitmap word; the word's edge (not initialized) when there is none."""
    compressed = tick // tick_spacing
    if lte:
        word_start = (compressed >> 8) << 8
        i = bisect_right(ticks, compressed * tick_spacing) - 1
        if i >= 0 and ticks[i] >= word_start * tick_spacing:
            return ticks[i], True
        return word_start * tick_spacing, False
    nxt = compressed + 1
    word_end = ((nxt >> 8) << 8) + 255
    i = bisect_left(ticks, nxt * tick_spacing)
    if i < len(ticks) and ticks[i] <= word_end * tick_spacing:
        return ticks[i], True
    return word_end * tick_spacing, False


def _run(
    pool: ConcentratedPool,
    zero_for_one: bool,
    amount_specified: int,
    limit: int | None,
    track_tick: bool = True,
) -> tuple[_SwapState, bool]:
    """Runs the V3 swap loop. Returns the state and whether the price limit was explicit.

    ``track_tick=False`` skips recomputing the tick after a step that ends inside a range: such
    a step is always the last one, so amounts are unaffected (only the final state's tick is).
    """
    explicit = limit is not None
    if limit is None:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    sqrt_price = pool.sqrt_price_x96
    if zero_for_one:
        valid = MIN_SQRT_RATIO < limit < sqrt_price
    else:
        valid = sqrt_price < limit < MAX_SQRT_RATIO
    if not valid:
        if explicit:
            raise ValueError(f"price limit {limit} invalid for the price {sqrt_price}")
        raise InsufficientLiquidity(f"pool {pool.pool_id}: price already at its bound")

    exact_in = amount_specified > 0
    remaining = amount_specified
    tick, liquidity = pool.tick, pool.liquidity
    total_in = total_out = total_fee = 0
    while remaining != 0 and sqrt_price != limit:
        start = sqrt_price
        tick_next, initialized = next_initialized_tick_within_word(
            pool.ticks, tick, pool.tick_spacing, zero_for_one
        )
        tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
        sqrt_next_tick = get_sqrt_ratio_at_tick(tick_next)
        beyond = sqrt_next_tick < limit if zero_for_one else sqrt_next_tick > limit
        target = limit if beyond else sqrt_next_tick
        sqrt_price, step_in, step_out, step_fee = compute_swap_step(
            sqrt_price, target, liquidity, remaining, pool.fee_ppm
        )
        if exact_in:
            remaining -= step_in + step_fee
        else:
            remaining += step_out
        total_in += step_in + step_fee
        total_out += step_out
        total_fee += step_fee
        if sqrt_price == sqrt_next_tick:
            if initialized:
                net = pool.liquidity_net.get(tick_next, 0)
                liquidity += -net if zero_for_one else net
                if liquidity < 0:
                    raise ValueError(f"pool {pool.pool_id}: liquidity negative at {tick_next}")
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price != start and track_tick:
            tick = get_tick_at_sqrt_ratio(sqrt_price)
    state = _SwapState(total_in, total_out, total_fee, sqrt_price, tick, liquidity, remaining)
    return state, explicit


def _result(pool: ConcentratedPool, state: _SwapState) -> SwapResult:
    after = replace(
        pool, sqrt_price_x96=state.sqrt_price_x96, tick=state.tick, liquidity=state.liquidity
    )
    return SwapResult(state.amount_in, state.amount_out, state.fee, after)


def quote_exact_in(pool: ConcentratedPool, zero_for_one: bool, amount_in: int) -> int:
    """The output of an exact-input swap, without building the pool's new state (for sizing
    searches). Raises InsufficientLiquidity like :func:`swap_exact_in`."""
    if amount_in <= 0:
        raise ValueError(f"amount_in must be positive, got {amount_in}")
    state, _ = _run(pool, zero_for_one, amount_in, None, track_tick=False)
    if state.remaining != 0:
        raise InsufficientLiquidity(
            f"pool {pool.pool_id}: input {amount_in} exceeds the liquidity in range"
        )
    return state.amount_out


def swap_exact_in(
    pool: ConcentratedPool,
    zero_for_one: bool,
    amount_in: int,
    sqrt_price_limit_x96: int | None = None,
) -> SwapResult:
    """Exact-input swap of ``amount_in`` (fee included) of token0 (``zero_for_one``) or token1.

    With a price limit the swap stops there and ``amount_in`` in the result is what was
    consumed. Without one, an input that the pool cannot absorb raises InsufficientLiquidity.
    """
    if amount_in <= 0:
        raise ValueError(f"amount_in must be positive, got {amount_in}")
    state, explicit = _run(pool, zero_for_one, amount_in, sqrt_price_limit_x96)
    if state.remaining != 0 and not explicit:
        raise InsufficientLiquidity(
            f"pool {pool.pool_id}: input {amount_in} exceeds the liquidity in range "
            f"({state.remaining} left unswapped)"
        )
    return _result(pool, state)


def swap_exact_out(
    pool: ConcentratedPool,
    zero_for_one: bool,
    amount_out: int,
    sqrt_price_limit_x96: int | None = None,
) -> SwapResult:
    """Exact-output swap: ``amount_in`` in the result is the input (fee included) it costs."""
    if amount_out <= 0:
        raise ValueError(f"amount_out must be positive, got {amount_out}")
    state, explicit = _run(pool, zero_for_one, -amount_out, sqrt_price_limit_x96)
    if state.remaining != 0 and not explicit:
        raise InsufficientLiquidity(
            f"pool {pool.pool_id}: output {amount_out} exceeds the pool's liquidity"
        )
    return _result(pool, state)


def min_input_for_output(pool: ConcentratedPool, zero_for_one: bool, amount_out: int) -> int:
    """Smallest exact input whose exact-input output is ``>= amount_out``.

    The exact-output swap's input is the seed; exact-input and exact-output maths round
    differently, so an integer search over :func:`swap_exact_in` (monotone in the input)
    makes the answer minimal.
    """
    seed = swap_exact_out(pool, zero_for_one, amount_out).amount_in

    def enough(amount: int) -> bool:
        if amount <= 0:
            return False
        try:
            return swap_exact_in(pool, zero_for_one, amount).amount_out >= amount_out
        except InsufficientLiquidity:
            return False

    hi, step = seed, 1
    while not enough(hi):
        if step > 1 << 256:
            raise InsufficientLiquidity(f"pool {pool.pool_id}: output {amount_out} unreachable")
        hi, step = hi + step, step * 2
    lo, step = hi - 1, 1
    while lo > 0 and enough(lo):
        hi, step = lo, step * 2
        lo = hi - step
    lo = max(lo, 0)
    while hi - lo > 1:  # enough(hi) and not enough(lo)
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _check_range(tick_lower: int, tick_upper: int, tick_spacing: int) -> None:
    if not MIN_TICK <= tick_lower < tick_upper <= MAX_TICK:
        raise ValueError(f"bad tick range [{tick_lower}, {tick_upper})")
    if tick_lower % tick_spacing or tick_upper % tick_spacing:
        raise ValueError(f"ticks {tick_lower}, {tick_upper} not multiples of {tick_spacing}")


def from_positions(
    pool_id: str,
    venue: str,
    token0: Token,
    token1: Token,
    fee_ppm: int,
    tick_spacing: int,
    sqrt_price_x96: int,
    positions: Sequence[tuple[int, int, int]],
) -> ConcentratedPool:
    """A pool built from ``(tick_lower, tick_upper, liquidity)`` positions at a price.

    Every tick a position references is initialized (even when the nets cancel), as on chain;
    the in-range liquidity sums the positions with ``tick_lower <= tick < tick_upper``.
    """
    tick = get_tick_at_sqrt_ratio(sqrt_price_x96)
    net: dict[int, int] = {}
    in_range = 0
    for lower, upper, liquidity in positions:
        _check_range(lower, upper, tick_spacing)
        if liquidity <= 0:
            raise ValueError(f"position [{lower}, {upper}): liquidity must be positive")
        net[lower] = net.get(lower, 0) + liquidity
        net[upper] = net.get(upper, 0) - liquidity
        if lower <= tick < upper:
            in_range += liquidity
    return ConcentratedPool(
        pool_id=pool_id,
        venue=venue,
        token0=token0,
        token1=token1,
        sqrt_price_x96=sqrt_price_x96,
        tick=tick,
        liquidity=in_range,
        fee_ppm=fee_ppm,
        tick_spacing=tick_spacing,
        ticks=tuple(sorted(net)),
        liquidity_net=net,
    )


def with_position(
    pool: ConcentratedPool, tick_lower: int, tick_upper: int, liquidity_delta: int
) -> ConcentratedPool:
    """The pool after minting (``liquidity_delta > 0``) or burning (< 0) a position.

    The snapshot does not track each tick's gross liquidity, so a tick is uninitialized when a
    burn brings its net to zero; on chain it stays initialized while another position still
    references it. That only splits a later swap step in two (a rounding difference of a unit
    or so), never changes the liquidity.
    """
    _check_range(tick_lower, tick_upper, pool.tick_spacing)
    if liquidity_delta == 0:
        return pool
    net = dict(pool.liquidity_net)
    net[tick_lower] = net.get(tick_lower, 0) + liquidity_delta
    net[tick_upper] = net.get(tick_upper, 0) - liquidity_delta
    liquidity = pool.liquidity
    if tick_lower <= pool.tick < tick_upper:
        liquidity += liquidity_delta
        if liquidity < 0:
            raise ValueError(f"pool {pool.pool_id}: burn exceeds the in-range liquidity")
    ticks = set(pool.ticks) | {tick_lower, tick_upper}
    if liquidity_delta < 0:
        for t in (tick_lower, tick_upper):
            if net[t] == 0:
                ticks.discard(t)
                del net[t]
    return replace(pool, liquidity=liquidity, ticks=tuple(sorted(ticks)), liquidity_net=net)
