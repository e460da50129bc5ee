"""Decoders (and encoders, for the local world) of the Solana accounts that hold liquid
staking tokens' exchange rates."""

from phantom.venues.solana_accounts.marinade import (
    MARINADE_PROGRAM,
    MARINADE_STATE,
    MSOL_MINT,
    MarinadeState,
    MarinadeStateHead,
    decode_marinade_head,
    decode_marinade_state,
    encode_marinade_state,
    marinade_exact_rate,
    marinade_rate,
    msol_price_of,
)
from phantom.venues.solana_accounts.spl_stake_pool import (
    STAKE_POOL_PROGRAM,
    AccountDecodeError,
    StakePoolState,
    decode_stake_pool,
    encode_stake_pool,
)

__all__ = [
    "MARINADE_PROGRAM",
    "MARINADE_STATE",
    "MSOL_MINT",
    "STAKE_POOL_PROGRAM",
    "AccountDecodeError",
    "MarinadeState",
    "MarinadeStateHead",
    "StakePoolState",
    "decode_marinade_head",
    "decode_marinade_state",
    "decode_stake_pool",
    "encode_marinade_state",
    "encode_stake_pool",
    "marinade_exact_rate",
    "marinade_rate",
    "msol_price_of",
]
