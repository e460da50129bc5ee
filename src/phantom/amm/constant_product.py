"""Constant-product (Uniswap V2 / Raydium AMM-v4) integer formulas.

The fee is given in parts per million of the input (``fee_ppm``). With ``fee_ppm = 3000`` both
functions reproduce ``UniswapV2Library.getAmountOut`` / ``getAmountIn`` bit for bit: the V2
formulas use ``997 / 1000`` and these use ``997000 / 1000000``, the same ratio with numerator and
denominator scaled by the same factor, so every floor division gives the same integer.
"""

from __future__ import annotations

from phantom.amm.errors import InsufficientLiquidity
from phantom.core.pool import FEE_DENOMINATOR


def _check_fee(fee_ppm: int) -> None:
    if not 0 <= fee_ppm < FEE_DENOMINATOR:
        raise ValueError(f"fee_ppm must be 0..{FEE_DENOMINATOR - 1}, got {fee_ppm}")


def _check_non_negative(**values: int) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be non-negative, got {value}")


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_ppm: int) -> int:
    """Output of an exact-input swap: ``floor(in*g*R_out / (R_in*D + in*g))``, g = D - fee."""
    _check_non_negative(amount_in=amount_in, reserve_in=reserve_in, reserve_out=reserve_out)
    _check_fee(fee_ppm)
    if amount_in == 0:
        raise InsufficientLiquidity("insufficient input amount: amount_in is 0")
    if reserve_in == 0 or reserve_out == 0:
        raise InsufficientLiquidity(
            f"insufficient liquidity: reserves are {reserve_in}, {reserve_out}"
        )
    in_with_fee = amount_in * (FEE_DENOMINATOR - fee_ppm)
    return in_with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + in_with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_ppm: int) -> int:
    """Input the V2 router asks for an exact output:
    ``floor(R_in*out*D / ((R_out - out)*g)) + 1``.

    This is the router's formula, which is one unit more than the minimum when the division is
    exact; :func:`min_amount_in` gives the true minimum.
    """
    numerator, denominator = _amount_in_fraction(amount_out, reserve_in, reserve_out, fee_ppm)
    return numerator // denominator + 1


def min_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_ppm: int) -> int:
    """Smallest input whose :func:`get_amount_out` is ``>= amount_out``:
    ``ceil(R_in*out*D / ((R_out - out)*g))``."""
    numerator, denominator = _amount_in_fraction(amount_out, reserve_in, reserve_out, fee_ppm)
    return -(-numerator // denominator)


def _amount_in_fraction(
    amount_out: int, reserve_in: int, reserve_out: int, fee_ppm: int
) -> tuple[int, int]:
    _check_non_negative(amount_out=amount_out, reserve_in=reserve_in, reserve_out=reserve_out)
    _check_fee(fee_ppm)
    if amount_out == 0:
        raise InsufficientLiquidity("insufficient output amount: amount_out is 0")
    if reserve_in == 0 or reserve_out == 0:
        raise InsufficientLiquidity(
            f"insufficient liquidity: reserves are {reserve_in}, {reserve_out}"
        )
    if amount_out >= reserve_out:
        raise InsufficientLiquidity(
            f"insufficient liquidity: amount_out {amount_out} >= reserve_out {reserve_out}"
        )
    numerator = reserve_in * amount_out * FEE_DENOMINATOR
    denominator = (reserve_out - amount_out) * (FEE_DENOMINATOR - fee_ppm)
    return numerator, denominator


def fee_amount(amount_in: int, fee_ppm: int) -> int:
    """The LP fee share of an input, rounded up (as Uniswap V3 rounds fees): the fee stays in
    the pool, so a V2 swap adds the whole ``amount_in`` to the input reserve."""
    _check_non_negative(amount_in=amount_in)
    _check_fee(fee_ppm)
    return -(-amount_in * fee_ppm // FEE_DENOMINATOR)
