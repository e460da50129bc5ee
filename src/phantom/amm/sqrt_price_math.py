"""Exact integer V3 price/amount maths (``FullMath``, ``SqrtPriceMath``, ``SwapMath`` semantics).

Python integers do not overflow, so the 512-bit ``mulDiv`` is a plain floor division. The one
place where the on-chain code's *result* depends on 256-bit overflow is
``getNextSqrtPriceFromAmount0RoundingUp``: when ``amount * sqrtP`` would overflow it switches to
an algebraically equal formula that rounds differently; that branch is reproduced here so the
results stay bit-exact.
"""

from __future__ import annotations

from phantom.core.pool import FEE_DENOMINATOR

Q96 = 1 << 96
_MAX_UINT256 = (1 << 256) - 1
_MAX_UINT160 = (1 << 160) - 1


def mul_div(a: int, b: int, denominator: int) -> int:
    return a * b // denominator


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    return -(-(a * b) // denominator)


def div_rounding_up(a: int, b: int) -> int:
    return -(-a // b)


def next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Price after adding (or removing) ``amount`` of token0: ``L*P / (L +- amount*P)``, up."""
    if amount == 0:
        return sqrt_price_x96
    numerator1 = liquidity << 96
    product = amount * sqrt_price_x96
    if add:
        if product <= _MAX_UINT256 and numerator1 + product <= _MAX_UINT256:
            return mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 + product)
        return div_rounding_up(numerator1, numerator1 // sqrt_price_x96 + amount)
    if product > _MAX_UINT256 or numerator1 <= product:
        raise ValueError("token0 output exceeds the virtual reserve")
    return mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 - product)


def next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Price after adding (or removing) ``amount`` of token1: ``P +- amount/L``, down."""
    if add:
        result = sqrt_price_x96 + (amount << 96) // liquidity
        if result > _MAX_UINT160:
            raise ValueError("sqrt price overflows uint160")
        return result
    quotient = div_rounding_up(amount << 96, liquidity)
    if sqrt_price_x96 <= quotient:
        raise ValueError("token1 output exceeds the virtual reserve")
    return sqrt_price_x96 - quotient


def next_sqrt_price_from_input(
    sqrt_price_x96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    if sqrt_price_x96 <= 0 or liquidity <= 0:
        raise ValueError("sqrt price and liquidity must be positive")
    if zero_for_one:
        return next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_in, True)
    return next_sqrt_price_from_amount1_rounding_down(sqrt_price_x96, liquidity, amount_in, True)


def next_sqrt_price_from_output(
    sqrt_price_x96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    if sqrt_price_x96 <= 0 or liquidity <= 0:
        raise ValueError("sqrt price and liquidity must be positive")
    if zero_for_one:
        return next_sqrt_price_from_amount1_rounding_down(
            sqrt_price_x96, liquidity, amount_out, False
        )
    return next_sqrt_price_from_amount0_rounding_up(sqrt_price_x96, liquidity, amount_out, False)


def amount0_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices: ``L * (sqrtB - sqrtA) / (sqrtA * sqrtB)``."""
    lo, hi = min(sqrt_a_x96, sqrt_b_x96), max(sqrt_a_x96, sqrt_b_x96)
    if lo <= 0:
        raise ValueError("sqrt price must be positive")
    numerator1 = liquidity << 96
    numerator2 = hi - lo
    if round_up:
        return div_rounding_up(mul_div_rounding_up(numerator1, numerator2, hi), lo)
    return mul_div(numerator1, numerator2, hi) // lo


def amount1_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices: ``L * (sqrtB - sqrtA)``."""
    lo, hi = min(sqrt_a_x96, sqrt_b_x96), max(sqrt_a_x96, sqrt_b_x96)
    if round_up:
        return mul_div_rounding_up(liquidity, hi - lo, Q96)
    return mul_div(liquidity, hi - lo, Q96)


def compute_swap_step(
    sqrt_current_x96: int,
    sqrt_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_ppm: int,
) -> tuple[int, int, int, int]:
    """One swap step within a single liquidity range.

    ``amount_remaining`` > 0 means exact input (fee included), < 0 exact output. Returns
    ``(sqrt_next_x96, amount_in, amount_out, fee_amount)`` with ``amount_in`` excluding the fee.
    """
    zero_for_one = sqrt_current_x96 >= sqrt_target_x96
    exact_in = amount_remaining >= 0
    if exact_in:
        remaining_less_fee = mul_div(amount_remaining, FEE_DENOMINATOR - fee_ppm, FEE_DENOMINATOR)
        if zero_for_one:
            amount_in = amount0_delta(sqrt_target_x96, sqrt_current_x96, liquidity, True)
        else:
            amount_in = amount1_delta(sqrt_current_x96, sqrt_target_x96, liquidity, True)
        if remaining_less_fee >= amount_in:
            sqrt_next = sqrt_target_x96
        else:
            sqrt_next = next_sqrt_price_from_input(
                sqrt_current_x96, liquidity, remaining_less_fee, zero_for_one
            )
        amount_out = 0
    else:
        if zero_for_one:
            amount_out = amount1_delta(sqrt_target_x96, sqrt_current_x96, liquidity, False)
        else:
            amount_out = amount0_delta(sqrt_current_x96, sqrt_target_x96, liquidity, False)
        if -amount_remaining >= amount_out:
            sqrt_next = sqrt_target_x96
        else:
            sqrt_next = next_sqrt_price_from_output(
                sqrt_current_x96, liquidity, -amount_remaining, zero_for_one
            )
        amount_in = 0
    reached = sqrt_next == sqrt_target_x96
    if zero_for_one:
        if not (reached and exact_in):
            amount_in = amount0_delta(sqrt_next, sqrt_current_x96, liquidity, True)
        if not (reached and not exact_in):
            amount_out = amount1_delta(sqrt_next, sqrt_current_x96, liquidity, False)
    else:
        if not (reached and exact_in):
            amount_in = amount1_delta(sqrt_current_x96, sqrt_next, liquidity, True)
        if not (reached and not exact_in):
            amount_out = amount0_delta(sqrt_current_x96, sqrt_next, liquidity, False)
    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining
    if exact_in and sqrt_next != sqrt_target_x96:
        fee = amount_remaining - amount_in
    else:
        fee = mul_div_rounding_up(amount_in, fee_ppm, FEE_DENOMINATOR - fee_ppm)
    return sqrt_next, amount_in, amount_out, fee
