"""The arbitrage engine's parameters (mapped from settings by the app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.orders import SwapLeg
from phantom.core.token import Token
from phantom.market.state import MarketView

#: Expected network cost (USD) of sending a cycle's legs as one transaction. None: the Solana
#: fee schedule (base fee per signature, priority fee, Jito tip) prices it.
CostEstimator = Callable[[tuple[SwapLeg, ...], MarketView], CostBreakdown]


@dataclass(frozen=True, slots=True)
class ArbParams:
    base_tokens: tuple[Token, ...]
    native: Token
    fee_schedule: SolanaFeeSchedule
    max_trade_usd: Decimal
    slippage_bps: int  # tolerance put on the cycle's final output (MAX_SLIPPAGE_BPS)
    max_hops: int = 3
    max_intents_per_event: int = 1
    signatures: int = 1
    cost_estimator: CostEstimator | None = None  # e.g. signals.evm_costs.EvmGasModel
