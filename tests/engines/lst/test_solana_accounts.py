"""Decoders of the LST rate accounts, on buffers built to the documented layouts."""

from __future__ import annotations

import hashlib
import struct
from decimal import Decimal

import pytest

from phantom.venues.solana.b58 import b58decode, b58encode
from phantom.venues.solana_accounts import (
    AccountDecodeError,
    decode_marinade_head,
    decode_stake_pool,
    marinade_exact_rate,
    marinade_rate,
)
from phantom.venues.solana_accounts.marinade import STATE_DISCRIMINATOR

JITOSOL_MINT = "J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn"
MSOL_MINT = "mSoLzYCxHdYgdzU16g5QSh3i5K3z3KZK7ytfqcJm7So"


def key(n: int) -> bytes:
    return bytes([n]) * 32


def stake_pool(total: int, supply: int, epoch: int, account_type: int = 1) -> bytes:
    buf = bytearray(611)  # a real StakePool account is longer: fees and more follow
    buf[0] = account_type
    for i, at in enumerate((1, 33, 65)):
        buf[at : at + 32] = key(i + 1)
    buf[97] = 254
    for i, at in enumerate((98, 130)):
        buf[at : at + 32] = key(i + 10)
    buf[162:194] = b58decode(JITOSOL_MINT)
    for i, at in enumerate((194, 226)):
        buf[at : at + 32] = key(i + 20)
    struct.pack_into("<QQQ", buf, 258, total, supply, epoch)
    buf[282:290] = b"\xff" * 8  # whatever follows must not matter
    return bytes(buf)


def test_spl_stake_pool_jitosol_rate() -> None:
    state = decode_stake_pool(stake_pool(6639028734407647, 6189948258688516, 537), JITOSOL_MINT)
    assert state.pool_mint == JITOSOL_MINT
    assert state.manager == b58encode(key(1))
    assert state.stake_withdraw_bump_seed == 254
    assert state.validator_list == b58encode(key(10))
    assert state.token_program_id == b58encode(key(21))
    assert (state.total_lamports, state.pool_token_supply) == (6639028734407647, 6189948258688516)
    assert state.last_update_epoch == 537
    assert float(state.rate) == pytest.approx(1.07255, abs=5e-6)
    assert state.lamports_for(10**9) == 10**9 * 6639028734407647 // 6189948258688516
    assert not state.is_stale(537) and state.is_stale(538)


def test_spl_stake_pool_refuses_bad_accounts() -> None:
    with pytest.raises(AccountDecodeError, match="account_type 2"):
        decode_stake_pool(stake_pool(1, 1, 1, account_type=2))  # a ValidatorList
    with pytest.raises(AccountDecodeError, match="bytes"):
        decode_stake_pool(stake_pool(1, 1, 1)[:281])
    with pytest.raises(AccountDecodeError, match="pool_mint"):
        decode_stake_pool(stake_pool(1, 1, 1), expected_mint=MSOL_MINT)
    with pytest.raises(AccountDecodeError, match="no rate"):
        _ = decode_stake_pool(stake_pool(1, 0, 1)).rate


def marinade_head() -> bytes:
    buf = bytearray(200)
    buf[:8] = STATE_DISCRIMINATOR
    buf[8:40] = b58decode(MSOL_MINT)
    buf[40:72], buf[72:104], buf[104:136] = key(2), key(3), key(4)
    buf[136], buf[137] = 255, 253
    struct.pack_into("<QI", buf, 138, 2_039_280, 600)
    return bytes(buf)


def test_marinade_head_and_discriminator() -> None:
    assert hashlib.sha256(b"account:State").digest()[:8] == STATE_DISCRIMINATOR
    head = decode_marinade_head(marinade_head())
    assert head.msol_mint == MSOL_MINT
    assert head.treasury_msol_account == b58encode(key(4))
    assert (head.reserve_bump_seed, head.msol_mint_authority_bump_seed) == (255, 253)
    assert head.rent_exempt_for_token_acc == 2_039_280 and head.reward_fee_bps == 600
    with pytest.raises(AccountDecodeError, match="discriminator"):
        decode_marinade_head(bytes(8) + marinade_head()[8:])


def test_marinade_rates() -> None:
    assert marinade_rate(5 << 31) == Decimal("2.5")
    assert marinade_rate(int(1.15 * 2**32)) == pytest.approx(Decimal("1.15"), abs=Decimal("1e-9"))
    rate = marinade_exact_rate(900, 50, 200, 0, 1000)
    assert rate == Decimal("1.15")
    with pytest.raises(AccountDecodeError):
        marinade_rate(0)
