"""The cost breakdown every fill carries, in USD."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

ZERO = Decimal(0)

COST_KINDS: tuple[str, ...] = ("fee", "slippage", "mev", "gas", "priority_fee", "tip")


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """What an execution cost, by kind, in USD.

    - ``fee``: liquidity-provider swap fees paid to pools.
    - ``slippage``: price impact and price movement between signal and arrival, i.e. the value
      lost against the quote the signal was based on (excluding fees and MEV).
    - ``mev``: value taken by a sandwich attacker (or the probabilistic MEV penalty).
    - ``gas``: base network fee (Solana: lamports per signature; EVM: base fee * gas used).
    - ``priority_fee``: compute-unit price * limit (Solana) or the EIP-1559 tip (EVM).
    - ``tip``: a Jito tip or a private relay's payment.
    """

    fee: Decimal = ZERO
    slippage: Decimal = ZERO
    mev: Decimal = ZERO
    gas: Decimal = ZERO
    priority_fee: Decimal = ZERO
    tip: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.fee + self.slippage + self.mev + self.gas + self.priority_fee + self.tip

    @property
    def network(self) -> Decimal:
        """Costs paid to the network whether or not the swap succeeds."""
        return self.gas + self.priority_fee + self.tip

    def __add__(self, other: CostBreakdown) -> CostBreakdown:
        return CostBreakdown(
            fee=self.fee + other.fee,
            slippage=self.slippage + other.slippage,
            mev=self.mev + other.mev,
            gas=self.gas + other.gas,
            priority_fee=self.priority_fee + other.priority_fee,
            tip=self.tip + other.tip,
        )

    def as_dict(self) -> dict[str, Decimal]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, str | Decimal]) -> CostBreakdown:
        return cls(**{k: Decimal(str(data.get(k, "0"))) for k in COST_KINDS})
