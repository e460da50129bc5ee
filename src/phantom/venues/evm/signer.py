"""Local signing with a private key that never shows itself.

:class:`SecretKey` holds the 32 key bytes; its ``repr``/``str``/``format`` are masked, it refuses
pickling and copying to text, and equality is not defined (no accidental comparisons in logs).
:class:`Signer` exposes only the address, ``sign_transaction`` and ``sign_message``. Failures
inside eth_account are re-raised as :class:`SigningError` naming the error type only, *outside*
the ``except`` block, so no traceback chain (whose frames hold the key) is attached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from eth_account import Account
from eth_account.messages import encode_defunct

from phantom.venues.evm.errors import SigningError

_MASK = "SecretKey(****)"


class SecretKey:
    """A secp256k1 private key. Build with :meth:`from_hex` or :meth:`from_bytes`."""

    __slots__ = ("__key",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32 or not any(raw):
            raise ValueError("a private key is 32 non-zero bytes")
        self.__key = bytes(raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> SecretKey:
        return cls(raw)

    @classmethod
    def from_hex(cls, text: str) -> SecretKey:
        """From 64 hex digits, with or without 0x. The error never echoes the input."""
        body = text.strip()
        body = body[2:] if body[:2] in ("0x", "0X") else body
        if len(body) != 64:
            raise ValueError("a private key is 64 hex digits (32 bytes)")
        try:
            raw = bytes.fromhex(body)
        except ValueError:
            raw = b""
        if not raw:
            raise ValueError("a private key is 64 hex digits (32 bytes)")
        return cls(raw)

    @classmethod
    def generate(cls) -> SecretKey:
        return cls(bytes(Account.create().key))

    def reveal(self) -> bytes:
        """The raw key bytes. Call only to hand them to a signing or encryption routine."""
        return self.__key

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return _MASK

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretKey cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A signed transaction: the raw bytes to broadcast and its hash (0x-hex, lower-case)."""

    raw: bytes
    tx_hash: str


@dataclass(frozen=True, slots=True)
class SignedMessage:
    """An EIP-191 ``personal_sign`` signature (65 bytes, v in {27, 28})."""

    signature: bytes
    message_hash: bytes


class Signer:
    """Signs with one local key. ``address`` is the EIP-55 checksum address."""

    __slots__ = ("_key", "address")

    def __init__(self, key: SecretKey) -> None:
        self._key = key
        self.address: str = _derive_address(key)

    def __repr__(self) -> str:
        return f"Signer({self.address})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("Signer cannot be pickled")

    def sign_transaction(self, tx: Mapping[str, Any]) -> SignedTx:
        """Sign a transaction dict (eth_account field names, e.g. a type-2 dict)."""
        failure = ""
        signed: Any = None
        try:
            signed = Account.sign_transaction(dict(tx), self._key.reveal())
        except Exception as exc:  # re-raised below, without the chain
            failure = type(exc).__name__
        if signed is None:
            raise SigningError(f"signing the transaction failed ({failure or 'no result'})")
        return SignedTx(raw=bytes(signed.raw_transaction), tx_hash="0x" + bytes(signed.hash).hex())

    def sign_message(self, message: bytes | str) -> SignedMessage:
        """EIP-191 ``personal_sign`` of bytes, or of a str's UTF-8 bytes."""
        failure = ""
        signed: Any = None
        try:
            signable = (
                encode_defunct(text=message)
                if isinstance(message, str)
                else encode_defunct(primitive=message)
            )
            signed = Account.sign_message(signable, self._key.reveal())
        except Exception as exc:  # re-raised below, without the chain
            failure = type(exc).__name__
        if signed is None:
            raise SigningError(f"signing the message failed ({failure or 'no result'})")
        return SignedMessage(
            signature=bytes(signed.signature), message_hash=bytes(signed.message_hash)
        )


def _derive_address(key: SecretKey) -> str:
    failure = ""
    address = ""
    try:
        address = str(Account.from_key(key.reveal()).address)
    except Exception as exc:  # re-raised below, without the chain
        failure = type(exc).__name__
    if not address:
        raise SigningError(f"not a valid secp256k1 private key ({failure})")
    return address
