"""SPL Token helpers: program ids, the instructions this venue builds, token-account parsing.

Only the handful of SPL Token instructions the venue and the local world need are encoded here
(tags from the SPL Token program: ``Transfer`` 3, ``MintTo`` 7, ``InitializeAccount3`` 18,
``InitializeMint2`` 20); the associated-token-account program's ``CreateIdempotent`` is 1.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
WSOL_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")
TOKEN_PROGRAMS = (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID)
MINT_LEN = 82
TOKEN_ACCOUNT_LEN = 165


def ata(owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID) -> Pubkey:
    """The associated token account of ``owner`` for ``mint``."""
    return get_associated_token_address(owner, mint, token_program)


def transfer_ix(
    source: Pubkey,
    dest: Pubkey,
    authority: Pubkey,
    amount: int,
    token_program: Pubkey = TOKEN_PROGRAM_ID,
) -> Instruction:
    return Instruction(
        token_program,
        struct.pack("<BQ", 3, amount),
        [
            AccountMeta(source, is_signer=False, is_writable=True),
            AccountMeta(dest, is_signer=False, is_writable=True),
            AccountMeta(authority, is_signer=True, is_writable=False),
        ],
    )


def mint_to_ix(mint: Pubkey, dest: Pubkey, authority: Pubkey, amount: int) -> Instruction:
    return Instruction(
        TOKEN_PROGRAM_ID,
        struct.pack("<BQ", 7, amount),
        [
            AccountMeta(mint, is_signer=False, is_writable=True),
            AccountMeta(dest, is_signer=False, is_writable=True),
            AccountMeta(authority, is_signer=True, is_writable=False),
        ],
    )


def initialize_mint2_ix(mint: Pubkey, decimals: int, authority: Pubkey) -> Instruction:
    data = struct.pack("<BB", 20, decimals) + bytes(authority) + b"\x00"
    return Instruction(TOKEN_PROGRAM_ID, data, [AccountMeta(mint, False, True)])


def initialize_account3_ix(account: Pubkey, mint: Pubkey, owner: Pubkey) -> Instruction:
    return Instruction(
        TOKEN_PROGRAM_ID,
        bytes([18]) + bytes(owner),
        [AccountMeta(account, False, True), AccountMeta(mint, False, False)],
    )


def create_ata_idempotent_ix(payer: Pubkey, owner: Pubkey, mint: Pubkey) -> Instruction:
    return Instruction(
        ASSOCIATED_TOKEN_PROGRAM_ID,
        bytes([1]),
        [
            AccountMeta(payer, True, True),
            AccountMeta(ata(owner, mint), False, True),
            AccountMeta(owner, False, False),
            AccountMeta(mint, False, False),
            AccountMeta(SYSTEM_PROGRAM_ID, False, False),
            AccountMeta(TOKEN_PROGRAM_ID, False, False),
        ],
    )


@dataclass(frozen=True, slots=True)
class TokenAccountInfo:
    """The fields of an SPL token account (the first 72 bytes of its data)."""

    mint: Pubkey
    owner: Pubkey
    amount: int


def parse_token_account(data: bytes) -> TokenAccountInfo:
    """Parse token-account data; ``ValueError`` when it is too short to be one."""
    if len(data) < TOKEN_ACCOUNT_LEN:
        raise ValueError(f"token account data is {len(data)} bytes, expected >= 165")
    (amount,) = struct.unpack_from("<Q", data, 64)
    return TokenAccountInfo(Pubkey.from_bytes(data[0:32]), Pubkey.from_bytes(data[32:64]), amount)


def parse_mint_decimals(data: bytes) -> int:
    if len(data) < MINT_LEN:
        raise ValueError(f"mint data is {len(data)} bytes, expected >= 82")
    return data[44]
