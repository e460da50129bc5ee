"""The arbitrage engine's parameters (mapped from settings by the app)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from phantom.core.fees import SolanaFeeSchedule
from phantom.core.token import Token


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
