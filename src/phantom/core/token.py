"""Tokens and exact base-unit amounts.

Balances, ledger quantities and transaction amounts are ``int`` base units (lamports, wei, token
atoms); the token's ``decimals`` say how to show them. ``Decimal`` is used only for human-facing
values and USD figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext

# wide enough for any uint256 amount at any decimals: exact, never rounded by the context
_PREC = 120


@dataclass(frozen=True, slots=True)
class Token:
    """A fungible token on one chain. Identity is (chain, symbol)."""

    symbol: str
    decimals: int
    chain: str = "solana"
    address: str = ""

    def __post_init__(self) -> None:
        if not self.symbol:
            raise ValueError("token symbol must not be empty")
        if not 0 <= self.decimals <= 36:
            raise ValueError(f"token {self.symbol}: decimals must be 0..36, got {self.decimals}")

    @property
    def key(self) -> str:
        return f"{self.chain}:{self.symbol}"

    @property
    def one(self) -> int:
        """Base units in one whole token."""
        return int(10**self.decimals)

    def to_units(self, amount: Decimal | int | str) -> int:
        """Whole-token amount to base units, rounding toward zero (never invents dust)."""
        value = Decimal(amount)
        if not value.is_finite():
            raise ValueError(f"{self.symbol}: amount must be finite, got {amount!r}")
        with localcontext() as ctx:
            ctx.prec = _PREC
            scaled = (value * self.one).to_integral_value(rounding=ROUND_DOWN)
        return int(scaled)

    def to_decimal(self, units: int) -> Decimal:
        """Base units to an exact whole-token Decimal."""
        with localcontext() as ctx:
            ctx.prec = _PREC
            return Decimal(units).scaleb(-self.decimals)

    def __str__(self) -> str:
        return self.symbol
