"""Inspecting, signing and classifying Solana transactions.

- :func:`sign_own_slot` fills the wallet's own signature slot of a (partially signed)
  VersionedTransaction and keeps every other signature (e.g. a pool authority's) as it is.
- :func:`tips_to` sums top-level System transfers to given accounts (static keys only: a Jito tip
  must never go through an address lookup table).
- :func:`compute_budget` reads the compute-unit limit and price instructions.
- :func:`is_slippage_failure` recognises Jupiter's ``SlippageToleranceExceeded`` (custom error
  6001 = 0x1771) in a transaction error, in simulation or landed logs, or in a preflight message.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from solders.signature import Signature
from solders.transaction import VersionedTransaction

from phantom.venues.solana.errors import TransactionRejected
from phantom.venues.solana.keystore import SolanaSigner

SLIPPAGE_ERROR_CODE = 6001
COMPUTE_BUDGET_ID = "ComputeBudget111111111111111111111111111111"
SYSTEM_PROGRAM = "11111111111111111111111111111111"
_SLIPPAGE_MARKERS = ("0x1771", "slippagetoleranceexceeded", "error number: 6001")


def custom_error_code(err: Any) -> int | None:
    """``n`` of ``{"InstructionError": [i, {"Custom": n}]}``, else ``None``."""
    if isinstance(err, dict):
        pair = err.get("InstructionError")
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], dict):
            code = pair[1].get("Custom")
            return code if isinstance(code, int) else None
    return None


def is_slippage_failure(err: Any = None, logs: Iterable[str] = (), message: str = "") -> bool:
    if custom_error_code(err) == SLIPPAGE_ERROR_CODE:
        return True
    text = (message + "\n" + "\n".join(logs)).lower()
    return any(marker in text for marker in _SLIPPAGE_MARKERS)


def signer_index(tx: VersionedTransaction, signer: SolanaSigner) -> int:
    """The wallet's signature slot; :class:`TransactionRejected` if it is not a required signer."""
    msg = tx.message
    required = msg.header.num_required_signatures
    keys = list(msg.account_keys)[:required]
    if signer.pubkey not in keys:
        raise TransactionRejected("the transaction does not ask the wallet to sign")
    return keys.index(signer.pubkey)


def sign_own_slot(tx: VersionedTransaction, signer: SolanaSigner) -> VersionedTransaction:
    """Fill the wallet's signature slot; the other slots are kept."""
    index = signer_index(tx, signer)
    signatures = list(tx.signatures)
    if len(signatures) != tx.message.header.num_required_signatures:
        raise TransactionRejected("the transaction's signature count does not match its header")
    signatures[index] = signer.sign_message(tx.message)
    signed = VersionedTransaction.populate(tx.message, signatures)
    if any(s == Signature.default() for s in signed.signatures):
        raise TransactionRejected("the transaction still lacks a signature after the wallet's")
    if not all(signed.verify_with_results()):
        raise TransactionRejected("a signature of the transaction does not verify")
    return signed


def fee_payer(tx: VersionedTransaction) -> str:
    return str(tx.message.account_keys[0])


def tips_to(tx: VersionedTransaction, accounts: Iterable[str]) -> int:
    targets = set(accounts)
    keys = [str(k) for k in tx.message.account_keys]
    total = 0
    for ix in tx.message.instructions:
        if keys[ix.program_id_index] != SYSTEM_PROGRAM:
            continue
        data = bytes(ix.data)
        if len(data) == 12 and struct.unpack_from("<I", data)[0] == 2 and len(ix.accounts) >= 2:
            dest = ix.accounts[1]
            if dest < len(keys) and keys[dest] in targets:
                total += struct.unpack_from("<Q", data, 4)[0]
    return total


@dataclass(frozen=True, slots=True)
class ComputeBudget:
    unit_limit: int | None
    unit_price_micro_lamports: int

    @property
    def priority_fee_lamports(self) -> int:
        limit = 200_000 if self.unit_limit is None else self.unit_limit
        return -(-self.unit_price_micro_lamports * limit // 1_000_000)


def compute_budget(tx: VersionedTransaction) -> ComputeBudget:
    keys = [str(k) for k in tx.message.account_keys]
    limit: int | None = None
    price = 0
    for ix in tx.message.instructions:
        if keys[ix.program_id_index] != COMPUTE_BUDGET_ID:
            continue
        data = bytes(ix.data)
        if len(data) == 5 and data[0] == 2:
            limit = struct.unpack_from("<I", data, 1)[0]
        elif len(data) == 9 and data[0] == 3:
            price = struct.unpack_from("<Q", data, 1)[0]
    return ComputeBudget(limit, price)
