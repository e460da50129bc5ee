"""The SPL stake-pool program's ``StakePool`` account (Borsh), as far as an LST's rate needs.

Layout (offsets in bytes; Pubkeys are 32 bytes, integers little-endian), verified on real
mainnet dumps (jitoSOL: 6639028734407647 / 6189948258688516 = 1.07255 SOL at epoch 537):

====  =========================  ======
 at   field                      type
====  =========================  ======
   0  account_type               u8 (1 = StakePool)
   1  manager                    Pubkey
  33  staker                     Pubkey
  65  stake_deposit_authority    Pubkey
  97  stake_withdraw_bump_seed   u8
  98  validator_list             Pubkey
 130  reserve_stake              Pubkey
 162  pool_mint                  Pubkey
 194  manager_fee_account        Pubkey
 226  token_program_id           Pubkey
 258  total_lamports             u64
 266  pool_token_supply          u64
 274  last_update_epoch          u64
====  =========================  ======

The rate (SOL per pool token) is ``total_lamports / pool_token_supply``. It only moves at epoch
boundaries, after the pool's ``UpdateStakePoolBalance``: a pool whose ``last_update_epoch`` is
behind the current epoch reports a stale (too low) rate.

:func:`encode_stake_pool` writes the same layout (the local Solana world's stake-pool account);
``decode_stake_pool(encode_stake_pool(s)) == s``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal

from phantom.venues.solana.b58 import b58decode, b58encode

STAKE_POOL_PROGRAM = "SPoo1Ku8WFXoNDMHPsrGSTSG1Y47rzgn41SLUNakuHy"
ACCOUNT_TYPE_STAKE_POOL = 1
MIN_LEN = 282  # through last_update_epoch
ENCODED_LEN = 611  # what encode_stake_pool writes: the head, then zeros for the fields after it
_PUBKEYS = (
    ("manager", 1),
    ("staker", 33),
    ("stake_deposit_authority", 65),
    ("validator_list", 98),
    ("reserve_stake", 130),
    ("pool_mint", 162),
    ("manager_fee_account", 194),
    ("token_program_id", 226),
)
_U64 = struct.Struct("<Q")


class AccountDecodeError(ValueError):
    """The bytes are not the account they were expected to be."""


@dataclass(frozen=True, slots=True)
class StakePoolState:
    """The decoded head of a ``StakePool`` account (addresses in base58)."""

    manager: str
    staker: str
    stake_deposit_authority: str
    stake_withdraw_bump_seed: int
    validator_list: str
    reserve_stake: str
    pool_mint: str
    manager_fee_account: str
    token_program_id: str
    total_lamports: int
    pool_token_supply: int
    last_update_epoch: int

    @property
    def rate(self) -> Decimal:
        """SOL per pool token, exact to 28 digits (``total_lamports / pool_token_supply``)."""
        if self.pool_token_supply == 0:
            raise AccountDecodeError("stake pool: pool_token_supply is 0, no rate")
        return Decimal(self.total_lamports) / Decimal(self.pool_token_supply)

    def lamports_for(self, pool_tokens: int) -> int:
        """Lamports ``pool_tokens`` base units are worth at the pool rate (rounded down)."""
        if self.pool_token_supply == 0:
            return 0
        return pool_tokens * self.total_lamports // self.pool_token_supply

    def is_stale(self, current_epoch: int) -> bool:
        """The pool was not updated yet this epoch: its rate misses the last epoch's rewards."""
        return self.last_update_epoch < current_epoch


def decode_stake_pool(data: bytes, expected_mint: str | None = None) -> StakePoolState:
    """Decode a ``StakePool`` account's data; refuses another account type, a short buffer,
    or (when given) a pool of another mint."""
    if len(data) < MIN_LEN:
        raise AccountDecodeError(f"stake pool: {len(data)} bytes, need at least {MIN_LEN}")
    if data[0] != ACCOUNT_TYPE_STAKE_POOL:
        raise AccountDecodeError(
            f"stake pool: account_type {data[0]}, expected {ACCOUNT_TYPE_STAKE_POOL} (StakePool)"
        )
    keys = {name: b58encode(bytes(data[at : at + 32])) for name, at in _PUBKEYS}
    state = StakePoolState(
        stake_withdraw_bump_seed=data[97],
        total_lamports=_U64.unpack_from(data, 258)[0],
        pool_token_supply=_U64.unpack_from(data, 266)[0],
        last_update_epoch=_U64.unpack_from(data, 274)[0],
        **keys,
    )
    if expected_mint is not None and state.pool_mint != expected_mint:
        raise AccountDecodeError(
            f"stake pool: pool_mint {state.pool_mint}, expected {expected_mint}"
        )
    return state


def encode_stake_pool(state: StakePoolState, size: int = ENCODED_LEN) -> bytes:
    """The ``StakePool`` account data of ``state`` (the layout above), zero-padded to ``size``
    bytes: the fields after ``last_update_epoch`` (lockup, fees, ...) are left zero."""
    if size < MIN_LEN:
        raise ValueError(f"stake pool: size must be >= {MIN_LEN}, got {size}")
    buf = bytearray(size)
    buf[0] = ACCOUNT_TYPE_STAKE_POOL
    for name, at in _PUBKEYS:
        key = b58decode(getattr(state, name))
        if len(key) != 32:
            raise ValueError(f"stake pool: {name} is not a 32-byte public key")
        buf[at : at + 32] = key
    buf[97] = state.stake_withdraw_bump_seed
    for at, value in (
        (258, state.total_lamports),
        (266, state.pool_token_supply),
        (274, state.last_update_epoch),
    ):
        _U64.pack_into(buf, at, value)
    return bytes(buf)
