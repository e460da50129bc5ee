"""Marinade's ``State`` account: what this project decodes, and what it takes as given.

Verified (field order of ``State`` in marinade-finance/liquid-staking-program, the Anchor
discriminator recomputed as ``sha256("account:State")[:8]``): the head of the account.

====  =============================  ======
 at   field                          type
====  =============================  ======
   0  Anchor discriminator           8 bytes, ``d8926b5e684bb6b1``
   8  msol_mint                      Pubkey
  40  admin_authority                Pubkey
  72  operational_sol_account        Pubkey
 104  treasury_msol_account          Pubkey
 136  reserve_bump_seed              u8
 137  msol_mint_authority_bump_seed  u8
 138  rent_exempt_for_token_acc      u64
 146  reward_fee.basis_points        u32
====  =============================  ======

Not decoded here: ``msol_price`` (u64, SOL per mSOL times ``2^32``) follows the nested
``stake_system``, ``validator_system`` and ``liq_pool`` structs and then
``available_reserve_balance`` and ``msol_supply``; its byte offset was not pinned with
confidence, so :func:`marinade_rate` takes the ``msol_price`` value itself (from an
Anchor-decoded RPC response or Marinade's API). Marinade marks ``msol_price`` as a display
value; :func:`marinade_exact_rate` computes the exact rate from the totals.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal

from phantom.venues.solana.b58 import b58encode
from phantom.venues.solana_accounts.spl_stake_pool import AccountDecodeError

MARINADE_PROGRAM = "MarBmsSgKXdrN1egZf5sqe1TMai9K1rChYNDJgjq7aD"
MARINADE_STATE = "8szGkuLTAux9XMgZ2vtY39jVSowEcpBfFfD8hXSEqdGC"
MSOL_MINT = "mSoLzYCxHdYgdzU16g5QSh3i5K3z3KZK7ytfqcJm7So"
STATE_DISCRIMINATOR = bytes.fromhex("d8926b5e684bb6b1")
PRICE_DENOMINATOR = 1 << 32
HEAD_LEN = 150
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class MarinadeStateHead:
    msol_mint: str
    admin_authority: str
    operational_sol_account: str
    treasury_msol_account: str
    reserve_bump_seed: int
    msol_mint_authority_bump_seed: int
    rent_exempt_for_token_acc: int
    reward_fee_bps: int


def decode_marinade_head(data: bytes) -> MarinadeStateHead:
    """Decode the verified head of Marinade's ``State``; refuses another account (by its
    Anchor discriminator) or a short buffer."""
    if len(data) < HEAD_LEN:
        raise AccountDecodeError(f"marinade state: {len(data)} bytes, need at least {HEAD_LEN}")
    if bytes(data[:8]) != STATE_DISCRIMINATOR:
        raise AccountDecodeError(
            f"marinade state: discriminator {bytes(data[:8]).hex()}, "
            f"expected {STATE_DISCRIMINATOR.hex()}"
        )

    def key(at: int) -> str:
        return b58encode(bytes(data[at : at + 32]))

    return MarinadeStateHead(
        msol_mint=key(8),
        admin_authority=key(40),
        operational_sol_account=key(72),
        treasury_msol_account=key(104),
        reserve_bump_seed=data[136],
        msol_mint_authority_bump_seed=data[137],
        rent_exempt_for_token_acc=_U64.unpack_from(data, 138)[0],
        reward_fee_bps=_U32.unpack_from(data, 146)[0],
    )


def marinade_rate(msol_price: int) -> Decimal:
    """SOL per mSOL from the state's ``msol_price`` (``msol_price / 2^32``, exact)."""
    if msol_price <= 0:
        raise AccountDecodeError(f"marinade: msol_price must be > 0, got {msol_price}")
    return Decimal(msol_price) / Decimal(PRICE_DENOMINATOR)


def marinade_exact_rate(
    total_active_balance: int,
    total_cooling_down: int,
    available_reserve_balance: int,
    circulating_ticket_balance: int,
    msol_supply: int,
) -> Decimal:
    """SOL per mSOL from the totals (lamports): total virtual staked lamports over the mSOL
    supply, virtual staked = active + cooling down + reserve - circulating tickets."""
    if msol_supply <= 0:
        raise AccountDecodeError(f"marinade: msol_supply must be > 0, got {msol_supply}")
    staked = (
        total_active_balance
        + total_cooling_down
        + available_reserve_balance
        - circulating_ticket_balance
    )
    return Decimal(staked) / Decimal(msol_supply)
