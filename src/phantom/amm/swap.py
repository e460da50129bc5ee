"""Swap dispatch over pool kinds: the one entry point the rest of the platform uses.

Amounts are exact integer base units. ``spot_price`` is the only float: the marginal price in
whole tokens, for display and signal maths, never for amounts.
"""

from __future__ import annotations

from dataclasses import replace

from phantom.amm import concentrated
from phantom.amm.constant_product import fee_amount, get_amount_out, min_amount_in
from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.result import SwapResult
from phantom.core.pool import ConcentratedPool, ConstantProductPool, Pool
from phantom.core.token import Token

__all__ = ["SwapResult", "fee_of", "quote", "required_input", "spot_price", "swap"]

_Q96 = 1 << 96


def _zero_for_one(pool: ConcentratedPool, token_in: Token) -> bool:
    if token_in == pool.token0:
        return True
    if token_in == pool.token1:
        return False
    raise ValueError(f"pool {pool.pool_id} does not hold {token_in.symbol}")


def _check_amount(amount: int, name: str) -> None:
    if amount < 0:
        raise ValueError(f"{name} must be non-negative, got {amount}")


def quote(pool: Pool, token_in: Token, amount_in: int) -> int:
    """Output of an exact-input swap of ``amount_in`` ``token_in``, in token_out base units."""
    if isinstance(pool, ConstantProductPool):
        reserve_in, reserve_out = pool.reserves_for(token_in)
        return get_amount_out(amount_in, reserve_in, reserve_out, pool.fee_ppm)
    return _cl_swap(pool, token_in, amount_in).amount_out


def _cl_swap(pool: ConcentratedPool, token_in: Token, amount_in: int) -> SwapResult:
    zero_for_one = _zero_for_one(pool, token_in)
    _check_amount(amount_in, "amount_in")
    if amount_in == 0:
        raise InsufficientLiquidity("insufficient input amount: amount_in is 0")
    return concentrated.swap_exact_in(pool, zero_for_one, amount_in)


def swap(pool: Pool, token_in: Token, amount_in: int) -> SwapResult:
    """Exact-input swap: the output, the LP fee and the pool's new state.

    Raises :class:`InsufficientLiquidity` for a zero input, empty reserves, or (concentrated
    liquidity) an input larger than every initialized range can absorb.
    """
    if isinstance(pool, ConstantProductPool):
        reserve_in, reserve_out = pool.reserves_for(token_in)
        out = get_amount_out(amount_in, reserve_in, reserve_out, pool.fee_ppm)
        if out == 0:
            raise InsufficientLiquidity(
                f"pool {pool.pool_id}: input {amount_in} {token_in.symbol} gives zero output"
            )
        new_in, new_out = reserve_in + amount_in, reserve_out - out
        if token_in == pool.token0:
            after = replace(pool, reserve0=new_in, reserve1=new_out)
        else:
            after = replace(pool, reserve0=new_out, reserve1=new_in)
        return SwapResult(amount_in, out, fee_amount(amount_in, pool.fee_ppm), after)
    result = _cl_swap(pool, token_in, amount_in)
    if result.amount_out == 0:
        raise InsufficientLiquidity(
            f"pool {pool.pool_id}: input {amount_in} {token_in.symbol} gives zero output"
        )
    return result


def required_input(pool: Pool, token_in: Token, amount_out: int) -> int:
    """Smallest exact input whose output is ``>= amount_out``.

    Constant product: ``ceil(R_in*out*D / ((R_out-out)*(D-fee)))`` (the V2 router's
    ``getAmountIn`` asks one unit more when that division is exact). Concentrated liquidity:
    the V3 exact-output maths gives a candidate, then an integer search over the exact-input
    swap makes it minimal.
    """
    _check_amount(amount_out, "amount_out")
    if isinstance(pool, ConstantProductPool):
        reserve_in, reserve_out = pool.reserves_for(token_in)
        return min_amount_in(amount_out, reserve_in, reserve_out, pool.fee_ppm)
    if amount_out == 0:
        raise InsufficientLiquidity("insufficient output amount: amount_out is 0")
    return concentrated.min_input_for_output(pool, _zero_for_one(pool, token_in), amount_out)


def spot_price(pool: Pool, token_in: Token) -> float:
    """Marginal price, fee excluded: whole ``token_out`` per whole ``token_in``."""
    token_out = pool.other(token_in)
    scale = 10.0 ** (token_in.decimals - token_out.decimals)
    if isinstance(pool, ConstantProductPool):
        reserve_in, reserve_out = pool.reserves_for(token_in)
        if reserve_in == 0 or reserve_out == 0:
            raise InsufficientLiquidity(f"pool {pool.pool_id}: empty reserves")
        return reserve_out / reserve_in * scale
    # price of token0 in token1 base units is (sqrtP / 2**96)**2
    price_1_per_0 = (pool.sqrt_price_x96 / _Q96) ** 2
    if _zero_for_one(pool, token_in):
        return price_1_per_0 * scale
    return scale / price_1_per_0


def fee_of(pool: Pool, token_in: Token, amount_in: int) -> int:
    """LP fee, in token_in base units, that an exact-input swap of ``amount_in`` pays.

    Constant product: ``ceil(amount_in * fee_ppm / 1e6)``. Concentrated liquidity: the sum of the
    per-step fees of the exact V3 swap (each step's fee rounded up, the last step taking the
    remainder), as the pool computes it.
    """
    _check_amount(amount_in, "amount_in")
    if isinstance(pool, ConstantProductPool):
        pool.reserves_for(token_in)
        return fee_amount(amount_in, pool.fee_ppm)
    if amount_in == 0:
        _zero_for_one(pool, token_in)
        return 0
    return _cl_swap(pool, token_in, amount_in).fee_paid
