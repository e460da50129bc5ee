"""Score an arbitrage cycle net of every expected cost.

``Spread > Fee + Slippage + MinProfit`` (seed 002), in USD at signal time:
- spread: the mid-price value of the cycle's output minus its input (no fees, no impact);
- fee: LP fees along the legs;
- slippage: the curve's price impact at the chosen size;
- network: base fee, priority fee, and a Jito tip if sent privately.
The expected profit is what is left; the min-profit gate compares it with the thresholds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from phantom.amm.swap import spot_price, swap
from phantom.core.costs import CostBreakdown
from phantom.core.fees import LAMPORTS_PER_SOL, SolanaFeeSchedule, solana_fees
from phantom.core.orders import SwapLeg
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.market.state import MarketView


@dataclass(frozen=True, slots=True)
class CycleScore:
    amount_in: int
    amount_out: int
    notional_usd: Decimal
    spread_usd: Decimal
    costs: CostBreakdown
    expected_profit_usd: Decimal


def usd(token: Token, units: int, market: MarketView) -> Decimal:
    """Value of ``units`` of ``token`` at the reference price."""
    return token.to_decimal(units) * Decimal(repr(market.price_usd(token)))


def network_costs_usd(
    schedule: SolanaFeeSchedule,
    native: Token,
    market: MarketView,
    signatures: int,
    private: bool,
) -> CostBreakdown:
    fees = solana_fees(schedule, signatures, private=private, landed=True)
    price = Decimal(repr(market.price_usd(native)))
    per_lamport = price / LAMPORTS_PER_SOL
    return CostBreakdown(
        gas=fees.base * per_lamport,
        priority_fee=fees.priority * per_lamport,
        tip=fees.tip * per_lamport,
    )


def score_cycle(
    legs: tuple[SwapLeg, ...],
    amount_in: int,
    pool_of: Callable[[str], Pool],
    market: MarketView,
    schedule: SolanaFeeSchedule,
    native: Token,
    signatures: int = 1,
    private: bool = False,
) -> CycleScore:
    """Walk the legs with exact curve maths at the current pool states and price every cost."""
    amount = amount_in
    ideal = Decimal(amount_in)  # the input carried at mid prices, in current-leg token units
    fee_usd = Decimal(0)
    for leg in legs:
        pool = pool_of(leg.pool_id)
        result = swap(pool, leg.token_in, amount)
        fee_usd += usd(leg.token_in, result.fee_paid, market)
        # mid-price conversion of the ideal amount into the leg's output token
        ideal = (
            ideal.scaleb(-leg.token_in.decimals)
            * Decimal(repr(spot_price(pool, leg.token_in)))
            * Decimal(leg.token_out.one)
        )
        amount = result.amount_out
    token_in, token_out = legs[0].token_in, legs[-1].token_out
    in_usd = usd(token_in, amount_in, market)
    out_usd = usd(token_out, amount, market)
    ideal_usd = ideal.scaleb(-token_out.decimals) * Decimal(repr(market.price_usd(token_out)))
    spread = ideal_usd - in_usd
    impact = max(ideal_usd - out_usd - fee_usd, Decimal(0))
    network = network_costs_usd(schedule, native, market, signatures, private)
    costs = CostBreakdown(fee=fee_usd, slippage=impact) + network
    profit = out_usd - in_usd - network.total
    return CycleScore(
        amount_in=amount_in,
        amount_out=amount,
        notional_usd=in_usd,
        spread_usd=spread,
        costs=costs,
        expected_profit_usd=profit,
    )
