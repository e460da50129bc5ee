"""Pure AMM maths: constant product, concentrated liquidity (Uniswap V3 / CLMM), swap dispatch,
sandwich maths and cycle path finding with optimal sizing.

Every amount is an exact ``int`` in base units; floats appear only as price estimates or
optimisation seeds and every float-derived amount is re-checked with exact integer maths.
No I/O anywhere in this package.
"""

from phantom.amm.errors import InsufficientLiquidity

__all__ = ["InsufficientLiquidity"]
