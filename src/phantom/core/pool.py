"""Pool state snapshots. Immutable: a swap or a liquidity change yields a new snapshot.

Fees are in parts per million of the input (``fee_ppm``): 3000 is 0.30 %, 500 is 0.05 %,
the unit Uniswap V3 uses (hundredths of a basis point).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from phantom.core.token import Token

FEE_DENOMINATOR = 1_000_000


class PoolKind(StrEnum):
    CONSTANT_PRODUCT = "constant_product"
    CONCENTRATED = "concentrated"


@dataclass(frozen=True, slots=True)
class ConstantProductPool:
    """A Uniswap V2 / Raydium AMM-v4 style x*y=k pool."""

    pool_id: str
    venue: str
    token0: Token
    token1: Token
    reserve0: int
    reserve1: int
    fee_ppm: int

    kind: PoolKind = field(default=PoolKind.CONSTANT_PRODUCT, init=False)

    def __post_init__(self) -> None:
        if self.reserve0 < 0 or self.reserve1 < 0:
            raise ValueError(
                f"pool {self.pool_id}: reserves must be non-negative, "
                f"got {self.reserve0}, {self.reserve1}"
            )
        if not 0 <= self.fee_ppm < FEE_DENOMINATOR:
            raise ValueError(f"pool {self.pool_id}: fee_ppm must be 0..999999, got {self.fee_ppm}")
        if self.token0 == self.token1:
            raise ValueError(f"pool {self.pool_id}: token0 and token1 must differ")

    def reserves_for(self, token_in: Token) -> tuple[int, int]:
        """(reserve_in, reserve_out) for a swap that pays ``token_in``."""
        if token_in == self.token0:
            return self.reserve0, self.reserve1
        if token_in == self.token1:
            return self.reserve1, self.reserve0
        raise ValueError(f"pool {self.pool_id} does not hold {token_in.symbol}")

    def other(self, token: Token) -> Token:
        if token == self.token0:
            return self.token1
        if token == self.token1:
            return self.token0
        raise ValueError(f"pool {self.pool_id} does not hold {token.symbol}")


@dataclass(frozen=True, slots=True)
class ConcentratedPool:
    """A Uniswap V3 / CLMM pool: current price, in-range liquidity and initialized ticks.

    ``ticks`` is the sorted tuple of initialized tick indexes and ``liquidity_net`` maps each to
    the liquidity added when the price crosses it upward (Uniswap V3's ``liquidityNet``).
    """

    pool_id: str
    venue: str
    token0: Token
    token1: Token
    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee_ppm: int
    tick_spacing: int
    ticks: tuple[int, ...]
    liquidity_net: dict[int, int]

    kind: PoolKind = field(default=PoolKind.CONCENTRATED, init=False)

    def __post_init__(self) -> None:
        if self.sqrt_price_x96 <= 0:
            raise ValueError(f"pool {self.pool_id}: sqrt_price_x96 must be positive")
        if self.liquidity < 0:
            raise ValueError(f"pool {self.pool_id}: liquidity must be non-negative")
        if not 0 <= self.fee_ppm < FEE_DENOMINATOR:
            raise ValueError(f"pool {self.pool_id}: fee_ppm must be 0..999999, got {self.fee_ppm}")
        if self.tick_spacing <= 0:
            raise ValueError(f"pool {self.pool_id}: tick_spacing must be positive")

    def other(self, token: Token) -> Token:
        if token == self.token0:
            return self.token1
        if token == self.token1:
            return self.token0
        raise ValueError(f"pool {self.pool_id} does not hold {token.symbol}")


Pool = ConstantProductPool | ConcentratedPool
