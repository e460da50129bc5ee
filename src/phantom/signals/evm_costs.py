"""EVM network costs for scoring: gas units x (base fee + tip), in USD.

Solana charges per signature; an EVM transaction pays ``gas_used x effective_gas_price`` where
``effective_gas_price = min(maxFeePerGas, base_fee + tip)``. The base fee is burnt (``gas`` in the
cost breakdown), the tip goes to the block builder (``priority_fee``); a private relay that
charges a payment on top would be ``tip``.

:class:`EvmGasModel` is plain data the mode updates from block headers and fee quotes
(:meth:`EvmGasModel.update_fees`) and from the gas the receipts report
(:meth:`EvmGasModel.observe_gas`); the engine calls it through ``ArbParams.cost_estimator``. It
does no I/O and reads no clock, so scoring stays deterministic for the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.orders import SwapLeg
from phantom.core.token import Token
from phantom.market.state import MarketView
from phantom.signals.scoring import CycleScore

#: Gas of ``PhantomArb.execute`` for a two-pool flash arbitrage on the devnet's Uniswap V2 pairs:
#: measured at 166.9k once the pairs have traded, 202.6k / 247.6k while freshly deployed pairs
#: write their first price accumulators (zero -> non-zero storage). The middle figure, rounded
#: up; :meth:`EvmGasModel.observe_gas` raises it to what receipts show. Three legs are not
#: executed by PhantomArb; that figure is a placeholder.
DEFAULT_GAS_BY_HOPS: dict[int, int] = {2: 205_000, 3: 280_000}
#: Gas assumed for a cycle length the table does not know: a base plus this much per hop.
GAS_PER_EXTRA_HOP = 60_000


def wei_costs_usd(
    gas_units: int,
    base_fee_wei: int,
    tip_wei: int,
    native: Token,
    market: MarketView,
    relay_payment_wei: int = 0,
) -> CostBreakdown:
    """Network costs of one transaction in USD: ``gas`` = base fee part, ``priority_fee`` = tip
    part, ``tip`` = a relay payment."""
    if gas_units < 0 or base_fee_wei < 0 or tip_wei < 0 or relay_payment_wei < 0:
        raise ValueError("gas units and fees must be >= 0")
    price = Decimal(repr(market.price_usd(native)))
    return CostBreakdown(
        gas=native.to_decimal(gas_units * base_fee_wei) * price,
        priority_fee=native.to_decimal(gas_units * tip_wei) * price,
        tip=native.to_decimal(relay_payment_wei) * price,
    )


@dataclass(slots=True)
class EvmGasModel:
    """Expected network cost of a cycle transaction on an EIP-1559 chain.

    ``base_fee_wei`` is the next block's base fee and ``tip_wei`` the priority fee the
    transaction manager will pay (both from the latest header / ``eth_feeHistory``).
    ``gas_by_hops`` maps a cycle's leg count to the gas it uses; :meth:`observe_gas` keeps it at
    the largest amount seen recently so the estimate follows the chain.
    """

    native: Token
    base_fee_wei: int = 0
    tip_wei: int = 0
    gas_by_hops: dict[int, int] = field(default_factory=lambda: dict(DEFAULT_GAS_BY_HOPS))
    relay_payment_wei: int = 0

    def update_fees(self, base_fee_wei: int, tip_wei: int) -> None:
        if base_fee_wei < 0 or tip_wei < 0:
            raise ValueError("fees must be >= 0")
        self.base_fee_wei = base_fee_wei
        self.tip_wei = tip_wei

    def gas_units(self, hops: int) -> int:
        if hops in self.gas_by_hops:
            return self.gas_by_hops[hops]
        known = max(self.gas_by_hops.items(), default=(2, DEFAULT_GAS_BY_HOPS[2]))
        return known[1] + max(0, hops - known[0]) * GAS_PER_EXTRA_HOP

    def observe_gas(self, hops: int, gas_used: int) -> None:
        """A receipt reported ``gas_used`` for a cycle of ``hops`` legs: never estimate less."""
        if gas_used > self.gas_by_hops.get(hops, 0):
            self.gas_by_hops[hops] = gas_used

    def estimate(self, legs: tuple[SwapLeg, ...], market: MarketView) -> CostBreakdown:
        """The expected network cost (USD) of sending the cycle ``legs`` as one transaction."""
        return wei_costs_usd(
            self.gas_units(len(legs)),
            self.base_fee_wei,
            self.tip_wei,
            self.native,
            market,
            self.relay_payment_wei,
        )

    __call__ = estimate


def rescore_network(score: CycleScore, network: CostBreakdown) -> CycleScore:
    """``score`` with its network costs (gas, priority fee, tip) replaced by ``network``; the
    curve costs (fee, slippage) and the output are kept, the profit recomputed."""
    curve = replace(score.costs, gas=Decimal(0), priority_fee=Decimal(0), tip=Decimal(0))
    profit = score.expected_profit_usd + score.costs.network - network.total
    return replace(score, costs=curve + network, expected_profit_usd=profit)
