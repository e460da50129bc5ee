"""ABI helpers: keccak, selectors, event topics, call encoding and decoding (eth_abi).

Signatures are canonical Solidity signatures such as ``"transfer(address,uint256)"`` (no spaces,
no argument names, ``uint256`` not ``uint``). Tuple arguments are written ``(address,uint256)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak

MAX_UINT256 = 2**256 - 1


def keccak256(data: bytes | str) -> bytes:
    """keccak-256 of bytes, or of a str's UTF-8 bytes."""
    raw = data.encode() if isinstance(data, str) else data
    return bytes(keccak(raw))


def selector(signature: str) -> bytes:
    """The 4-byte function selector: the first 4 bytes of keccak256(signature)."""
    _check_signature(signature)
    return keccak256(signature)[:4]


def event_topic(signature: str) -> str:
    """topic0 of an event, 0x-hex: keccak256(``"Sync(uint112,uint112)"``)."""
    _check_signature(signature)
    return "0x" + keccak256(signature).hex()


def arg_types(signature: str) -> list[str]:
    """The argument types of a canonical signature, tuples kept whole: ``f((a,b),c)``."""
    _check_signature(signature)
    inner = signature[signature.index("(") + 1 : -1]
    types: list[str] = []
    depth = 0
    current = ""
    for ch in inner:
        if ch == "," and depth == 0:
            types.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current:
        types.append(current)
    return types


def encode_call(signature: str, args: Sequence[Any] = ()) -> bytes:
    """Calldata: selector followed by the ABI-encoded arguments."""
    types = arg_types(signature)
    if len(types) != len(args):
        raise ValueError(f"{signature} takes {len(types)} argument(s), got {len(args)}")
    return selector(signature) + encode(types, list(args))


def decode_result(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """Decode ``eth_call`` return data as the given output types."""
    return tuple(decode(list(types), data))


def encode_constructor(bytecode: bytes, types: Sequence[str], args: Sequence[Any]) -> bytes:
    """Deployment data: creation bytecode followed by the ABI-encoded constructor arguments."""
    return bytecode + (encode(list(types), list(args)) if types else b"")


def checksum(address: str) -> str:
    """EIP-55 checksum form of an address; ValueError if it is not a 20-byte address."""
    if not is_address(address):
        raise ValueError(f"not a 20-byte address: {address!r}")
    return str(to_checksum_address(address))


def to_hex(data: bytes) -> str:
    """bytes to 0x-hex."""
    return "0x" + data.hex()


def from_hex(text: str) -> bytes:
    """0x-hex (or bare hex) to bytes; ValueError names the problem."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        return bytes.fromhex(body)
    except ValueError:
        raise ValueError(f"not even-length hex data: {text[:20]!r}...") from None


def _check_signature(signature: str) -> None:
    if "(" not in signature or not signature.endswith(")") or " " in signature:
        raise ValueError(
            f"not a canonical signature (want e.g. 'transfer(address,uint256)'): {signature!r}"
        )
