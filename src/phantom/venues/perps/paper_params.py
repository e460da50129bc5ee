"""The paper perp simulator's parameters and the records it keeps (settlements, liquidations)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class PaperPerpParams:
    """Simulator knobs (ratios are fractions: 0.05 is 5 %)."""

    taker_fee_bps: Decimal = Decimal(5)
    slippage_bps: Decimal = Decimal(2)
    initial_margin_ratio: Decimal = Decimal("0.10")
    maintenance_margin_ratio: Decimal = Decimal("0.05")
    liquidation_penalty_ratio: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.taker_fee_bps < BPS:
            raise ValueError(
                f"paper perp: taker_fee_bps must be in [0, 10000), got {self.taker_fee_bps}"
            )
        if not Decimal(0) <= self.slippage_bps < BPS:
            raise ValueError(
                f"paper perp: slippage_bps must be in [0, 10000), got {self.slippage_bps}"
            )
        mm, im = self.maintenance_margin_ratio, self.initial_margin_ratio
        if not Decimal(0) < mm < im <= Decimal(1):
            raise ValueError(
                "paper perp: need 0 < maintenance_margin_ratio < initial_margin_ratio <= 1, "
                f"got {mm} and {im}"
            )
        if not Decimal(0) <= self.liquidation_penalty_ratio < Decimal(1):
            raise ValueError("paper perp: liquidation_penalty_ratio must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class FundingSettlement:
    """One funding payment: ``payment`` > 0 was received, < 0 paid (quote base units)."""

    ts: float
    market: str
    rate: Decimal
    mark: Decimal
    size: int
    payment: int


@dataclass(frozen=True, slots=True)
class Liquidation:
    ts: float
    market: str
    size: int  # the signed position that was closed
    price: Decimal
    realized_pnl: int
    penalty: int
    bad_debt: int
