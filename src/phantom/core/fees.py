"""Network fee arithmetic (Solana), shared by estimates and paper fills.

Solana (solana.com/docs/core/fees/fee-structure): base fee = 5000 lamports per signature;
priority fee = ceil(compute-unit price [micro-lamports] * compute-unit limit / 1e6) lamports. Both
are charged even when the transaction fails. A Jito tip is a plain SOL transfer (>= 1000 lamports)
and is paid only when the bundle lands.
"""

from __future__ import annotations

from dataclasses import dataclass

LAMPORTS_PER_SOL = 1_000_000_000


@dataclass(frozen=True, slots=True)
class SolanaFeeSchedule:
    base_fee_lamports_per_signature: int = 5000
    compute_unit_price_micro_lamports: int = 10_000
    compute_unit_limit: int = 300_000
    jito_tip_lamports: int = 1000

    def base_fee_lamports(self, signatures: int) -> int:
        return self.base_fee_lamports_per_signature * signatures

    def priority_fee_lamports(self) -> int:
        num = self.compute_unit_price_micro_lamports * self.compute_unit_limit
        return -(-num // 1_000_000)


@dataclass(frozen=True, slots=True)
class NetworkFees:
    """The native-token fees of one transaction, in lamports."""

    base: int
    priority: int
    tip: int

    @property
    def total(self) -> int:
        return self.base + self.priority + self.tip


def solana_fees(
    schedule: SolanaFeeSchedule, signatures: int, private: bool, landed: bool
) -> NetworkFees:
    """Fees of one transaction. The tip is paid only by a private (Jito) send that lands."""
    tip = schedule.jito_tip_lamports if (private and landed) else 0
    return NetworkFees(
        base=schedule.base_fee_lamports(signatures),
        priority=schedule.priority_fee_lamports(),
        tip=tip,
    )
