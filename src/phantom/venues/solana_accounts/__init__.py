"""Decoders of the Solana accounts that hold liquid staking tokens' exchange rates."""

from phantom.venues.solana_accounts.marinade import (
    MARINADE_STATE,
    MSOL_MINT,
    MarinadeStateHead,
    decode_marinade_head,
    marinade_exact_rate,
    marinade_rate,
)
from phantom.venues.solana_accounts.spl_stake_pool import (
    STAKE_POOL_PROGRAM,
    AccountDecodeError,
    StakePoolState,
    decode_stake_pool,
)

__all__ = [
    "MARINADE_STATE",
    "MSOL_MINT",
    "STAKE_POOL_PROGRAM",
    "AccountDecodeError",
    "MarinadeStateHead",
    "StakePoolState",
    "decode_marinade_head",
    "decode_stake_pool",
    "marinade_exact_rate",
    "marinade_rate",
]
