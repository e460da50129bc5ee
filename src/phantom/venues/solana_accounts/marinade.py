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

The rate fields (:func:`decode_marinade_state`) follow the nested structs. Their Borsh offsets
are computed from the struct definitions of liquid-staking-program (``state/mod.rs``,
``stake_system.rs``, ``validator_system.rs``, ``liq_pool.rs``, ``list.rs``, ``fee.rs``: no
padding in Borsh; ``List`` is 76 bytes, ``Fee`` a u32), and agree with an independent decoder's
offsets (total_active_balance 376, available_reserve_balance 496, msol_supply 504,
circulating_ticket_count 520). Not yet checked against a mainnet dump.

====  =============================  ======
 at   field                          type
====  =============================  ======
 150  stake_system.stake_list        List (76 bytes)
 226  delayed_unstake_cooling_down   u64
 264  validator_system.validator_list List (76 bytes)
 376  total_active_balance           u64
 385  liq_pool                       LiqPool (111 bytes)
 496  available_reserve_balance      u64
 504  msol_supply                    u64
 512  msol_price                     u64 (SOL per mSOL times ``2^32``)
 520  circulating_ticket_count       u64
 528  circulating_ticket_balance     u64
 568  emergency_cooling_down         u64
 638  end of ``State`` (with its discriminator)
====  =============================  ======

Marinade marks ``msol_price`` as a display value; :func:`marinade_exact_rate` computes the exact
rate from the totals (:attr:`MarinadeState.exact_rate`). :func:`encode_marinade_state` writes
the same layout (the local Solana world's Marinade state account).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal

from phantom.venues.solana.b58 import b58decode, b58encode
from phantom.venues.solana_accounts.spl_stake_pool import AccountDecodeError

MARINADE_PROGRAM = "MarBmsSgKXdrN1egZf5sqe1TMai9K1rChYNDJgjq7aD"
MARINADE_STATE = "8szGkuLTAux9XMgZ2vtY39jVSowEcpBfFfD8hXSEqdGC"
MSOL_MINT = "mSoLzYCxHdYgdzU16g5QSh3i5K3z3KZK7ytfqcJm7So"
STATE_DISCRIMINATOR = bytes.fromhex("d8926b5e684bb6b1")
PRICE_DENOMINATOR = 1 << 32
HEAD_LEN = 150
STATE_LEN = 638  # Borsh size of State, discriminator included
MIN_STATE_LEN = 576  # through emergency_cooling_down
_HEAD_KEYS = (
    ("msol_mint", 8),
    ("admin_authority", 40),
    ("operational_sol_account", 72),
    ("treasury_msol_account", 104),
)
# u64 fields past the head: name -> offset (see the table above)
_RATE_FIELDS = (
    ("delayed_unstake_cooling_down", 226),
    ("total_active_balance", 376),
    ("available_reserve_balance", 496),
    ("msol_supply", 504),
    ("msol_price", 512),
    ("circulating_ticket_count", 520),
    ("circulating_ticket_balance", 528),
    ("emergency_cooling_down", 568),
)
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


@dataclass(frozen=True, slots=True)
class MarinadeState:
    """The head of Marinade's ``State`` and the fields its mSOL rate depends on."""

    head: MarinadeStateHead
    delayed_unstake_cooling_down: int
    total_active_balance: int
    available_reserve_balance: int
    msol_supply: int
    msol_price: int
    circulating_ticket_count: int
    circulating_ticket_balance: int
    emergency_cooling_down: int

    @property
    def rate(self) -> Decimal:
        """SOL per mSOL from ``msol_price`` (what Marinade publishes)."""
        return marinade_rate(self.msol_price)

    @property
    def exact_rate(self) -> Decimal:
        """SOL per mSOL from the totals (cooling-down stake counted: delayed and emergency)."""
        return marinade_exact_rate(
            self.total_active_balance,
            self.delayed_unstake_cooling_down + self.emergency_cooling_down,
            self.available_reserve_balance,
            self.circulating_ticket_balance,
            self.msol_supply,
        )


def decode_marinade_state(data: bytes, expected_mint: str | None = None) -> MarinadeState:
    """Decode the head and the rate fields of Marinade's ``State``; refuses another account, a
    short buffer or (when given) a state of another mSOL mint."""
    if len(data) < MIN_STATE_LEN:
        raise AccountDecodeError(
            f"marinade state: {len(data)} bytes, need at least {MIN_STATE_LEN}"
        )
    head = decode_marinade_head(data)
    if expected_mint is not None and head.msol_mint != expected_mint:
        raise AccountDecodeError(
            f"marinade state: msol_mint {head.msol_mint}, expected {expected_mint}"
        )
    values = {name: _U64.unpack_from(data, at)[0] for name, at in _RATE_FIELDS}
    return MarinadeState(head=head, **values)


def encode_marinade_state(state: MarinadeState) -> bytes:
    """The ``State`` account data of ``state`` (:data:`STATE_LEN` bytes, the layout above);
    every field not in :class:`MarinadeState` is zero."""
    buf = bytearray(STATE_LEN)
    buf[:8] = STATE_DISCRIMINATOR
    head = state.head
    for name, at in _HEAD_KEYS:
        key = b58decode(getattr(head, name))
        if len(key) != 32:
            raise ValueError(f"marinade state: {name} is not a 32-byte public key")
        buf[at : at + 32] = key
    buf[136] = head.reserve_bump_seed
    buf[137] = head.msol_mint_authority_bump_seed
    _U64.pack_into(buf, 138, head.rent_exempt_for_token_acc)
    _U32.pack_into(buf, 146, head.reward_fee_bps)
    for name, at in _RATE_FIELDS:
        _U64.pack_into(buf, at, getattr(state, name))
    return bytes(buf)


def msol_price_of(total_virtual_lamports: int, msol_supply: int) -> int:
    """``msol_price`` as Marinade's update computes it: ``floor(2^32 * staked / supply)``."""
    if msol_supply <= 0:
        raise AccountDecodeError(f"marinade: msol_supply must be > 0, got {msol_supply}")
    return PRICE_DENOMINATOR * total_virtual_lamports // msol_supply
