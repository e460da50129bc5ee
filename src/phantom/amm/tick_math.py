"""Ticks and sqrt prices (Uniswap V3 ``TickMath`` semantics, exact integers).

A tick ``i`` is the price ``1.0001**i`` (token1 per token0, base units). The pool stores
``sqrt(price) * 2**96`` as an integer (Q64.96). ``get_sqrt_ratio_at_tick`` reproduces the
on-chain value bit for bit: it multiplies Q128.128 factors ``2**128 / sqrt(1.0001)**(2**k)``
for the set bits of ``|tick|``, inverts for positive ticks and rounds the Q128.128 result up to
Q64.96. The factors are derived here from their definition (rounded to nearest, 120-digit
Decimal arithmetic) rather than typed in; tests pin the boundary values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from math import log

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342

_MAX_UINT256 = (1 << 256) - 1
_LOG_SQRT_BASE = log(1.0001) / 2


def _factors() -> tuple[int, ...]:
    with localcontext() as ctx:
        ctx.prec = 120
        sqrt_base = Decimal("1.0001").sqrt()
        q128 = Decimal(1 << 128)
        return tuple(
            int((q128 / sqrt_base ** (1 << k)).to_integral_value(ROUND_HALF_EVEN))
            for k in range(20)
        )


_FACTORS = _factors()


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """``sqrt(1.0001**tick) * 2**96`` as V3 computes it (Q64.96, rounded up)."""
    if not MIN_TICK <= tick <= MAX_TICK:
        raise ValueError(f"tick {tick} outside [{MIN_TICK}, {MAX_TICK}]")
    abs_tick = abs(tick)
    ratio = _FACTORS[0] if abs_tick & 1 else 1 << 128
    for k in range(1, 20):
        if abs_tick & (1 << k):
            ratio = (ratio * _FACTORS[k]) >> 128
    if tick > 0:
        ratio = _MAX_UINT256 // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose sqrt ratio is ``<= sqrt_price_x96``.

    A float logarithm seeds the answer; exact integer comparisons with
    :func:`get_sqrt_ratio_at_tick` settle it, so the result is exact.
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise ValueError(f"sqrt price {sqrt_price_x96} outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")
    estimate = int((log(sqrt_price_x96) - 96 * log(2)) / _LOG_SQRT_BASE)
    tick = max(MIN_TICK, min(MAX_TICK, estimate))
    while tick > MIN_TICK and get_sqrt_ratio_at_tick(tick) > sqrt_price_x96:
        tick -= 1
    while tick < MAX_TICK and get_sqrt_ratio_at_tick(tick + 1) <= sqrt_price_x96:
        tick += 1
    return tick
