"""Local signing with a private key that never shows itself.

:class:`SecretKey` holds the 32 key bytes; its ``repr``/``str``/``format`` are masked, it refuses
pickling and copying to text, and equality is not defined (no accidental comparisons in logs).
:class:`Signer` exposes only the address, ``sign_transaction`` and ``sign_message``. Failures
inside eth_account are re-raised as :class:`SigningError` naming the error type only, *outside*
the ``except`` block, so no traceback chain (whose frames hold the key) is attached.

Speed: building an account from the key bytes costs ~0.2 ms and eth_account's dict validation
another ~0.3 ms per signature, on the live send path. When ``coincurve`` is importable (the
backend eth_keys uses too) the signer keeps one ``coincurve.PrivateKey`` (its ``repr`` shows no
key material) and signs the common shape directly: a type-2 transaction with integer fields,
``bytes`` data, an empty access list and a checksummed (or absent) ``to`` is RLP-encoded here,
hashed and signed with libsecp256k1's deterministic (RFC 6979, low-s) signature, the very bytes
eth_account produces (``tests/live/test_send_path_equivalence.py``). Every other shape, and every
signature without coincurve, goes through eth_account as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from phantom.venues.evm.errors import SigningError

_PrivateKey: Any
try:  # the fast path; eth_keys uses the same library when it is installed
    from coincurve import PrivateKey as _PrivateKey
except ImportError:  # pragma: no cover - exercised only without the optional dependency
    _PrivateKey = None

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

    __slots__ = ("_ecdsa", "_key", "address")

    def __init__(self, key: SecretKey) -> None:
        self._key = key
        self.address: str = _derive_address(key)
        self._ecdsa: Any = _PrivateKey(key.reveal()) if _PrivateKey is not None else None

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
            if self._ecdsa is not None:
                fields = _type2_fields(tx)
                if fields is not None:
                    return _sign_type2(self._ecdsa, fields)
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
            if self._ecdsa is not None:  # EIP-191: keccak(0x19 | version | header | body)
                digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
                sig = self._ecdsa.sign_recoverable(digest, hasher=None)
                return SignedMessage(
                    signature=sig[:64] + bytes((sig[64] + 27,)), message_hash=digest
                )
            signed = Account.sign_message(signable, self._key.reveal())
        except Exception as exc:  # re-raised below, without the chain
            failure = type(exc).__name__
        if signed is None:
            raise SigningError(f"signing the message failed ({failure or 'no result'})")
        return SignedMessage(
            signature=bytes(signed.signature), message_hash=bytes(signed.message_hash)
        )


# -- the direct type-2 path ---------------------------------------------------------------------

_TYPE2_KEYS = frozenset(
    {"type", "chainId", "nonce", "value", "data", "gas", "maxFeePerGas", "maxPriorityFeePerGas",
     "accessList"}
)  # fmt: skip
_CHECKSUMMED: dict[str, bytes] = {}  # address text -> 20 bytes, for texts that are EIP-55


def _address_bytes(to: object) -> bytes | None:
    """The 20 bytes of an EIP-55 checksummed address text, else None (eth_account decides)."""
    if type(to) is not str:
        return None
    found = _CHECKSUMMED.get(to)
    if found is None:
        if len(to) != 42 or to[:2] != "0x":
            return None
        try:
            if to_checksum_address(to) != to:
                return None
            found = bytes.fromhex(to[2:])
        except ValueError:
            return None
        if len(_CHECKSUMMED) < 1024:
            _CHECKSUMMED[to] = found
    return found


def _type2_fields(tx: Mapping[str, Any]) -> list[Any] | None:
    """The unsigned EIP-1559 fields in RLP order, if ``tx`` has exactly the shape the direct
    path handles (see the module doc); None sends it through eth_account."""
    keys = tx.keys()
    if not (_TYPE2_KEYS <= keys <= _TYPE2_KEYS | {"to"}):
        return None
    if tx["type"] != 2 or type(tx["type"]) is not int:
        return None
    access_list, data = tx["accessList"], tx["data"]
    if type(access_list) is not list or access_list or type(data) is not bytes:
        return None
    ints = (tx["chainId"], tx["nonce"], tx["maxPriorityFeePerGas"], tx["maxFeePerGas"], tx["gas"])
    value = tx["value"]
    for n in (*ints, value):
        if type(n) is not int or n < 0:
            return None
    to = b""
    if "to" in tx:
        address = _address_bytes(tx["to"])
        if address is None:
            return None
        to = address
    return [*ints, to, value, data, []]


def _rlp_length(n: int, offset: int) -> bytes:
    if n < 56:
        return bytes((offset + n,))
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


def _rlp(item: Any) -> bytes:
    """RLP of non-negative ints (big-endian, no leading zeros), bytes and lists."""
    if type(item) is int:
        item = item.to_bytes((item.bit_length() + 7) // 8, "big") if item else b""
    if type(item) is bytes:
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length(len(item), 0x80) + item
    body = b"".join([_rlp(x) for x in item])
    return _rlp_length(len(body), 0xC0) + body


def _sign_type2(ecdsa: Any, fields: list[Any]) -> SignedTx:
    digest = keccak(b"\x02" + _rlp(fields))
    sig = ecdsa.sign_recoverable(digest, hasher=None)  # r (32) | s (32) | recovery id
    r, s, y_parity = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
    raw = b"\x02" + _rlp([*fields, y_parity, r, s])
    return SignedTx(raw=raw, tx_hash="0x" + keccak(raw).hex())


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
