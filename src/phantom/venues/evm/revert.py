"""Decode EVM revert data into a readable reason.

* ``Error(string)`` (selector ``0x08c379a0``): ``require(cond, "msg")`` / ``revert("msg")``.
* ``Panic(uint256)`` (selector ``0x4e487b71``): compiler-inserted checks (Solidity >= 0.8).
* anything else: a custom error (``error Foo(...)``) or raw data, kept as hex.
* empty: ``require(cond)`` / ``revert()`` without a message, or out of gas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError

ERROR_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")

#: Solidity panic codes (docs.soliditylang.org, "Panic via assert and Error via require").
PANIC_CODES: dict[int, str] = {
    0x00: "generic compiler panic",
    0x01: "assert(false)",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory / too large allocation",
    0x51: "call to an uninitialised internal function",
}

RevertKind = Literal["error", "panic", "custom", "empty"]


@dataclass(frozen=True, slots=True)
class RevertReason:
    """A decoded revert. ``message`` is human-readable, ``data`` the raw revert bytes."""

    kind: RevertKind
    message: str
    data: bytes = b""
    panic_code: int | None = None

    def __str__(self) -> str:
        return self.message


def decode_revert(data: bytes) -> RevertReason:
    """Decode raw revert data (never raises)."""
    if not data:
        return RevertReason("empty", "reverted without a reason", data)
    head, body = data[:4], data[4:]
    if head == ERROR_SELECTOR:
        try:
            (text,) = decode(["string"], body)
        except (DecodingError, ValueError, OverflowError):
            return RevertReason("custom", f"malformed Error(string): 0x{data.hex()}", data)
        if not text:  # old compilers / some nodes encode a bare require() as Error("")
            return RevertReason("empty", "reverted without a reason", data)
        return RevertReason("error", str(text), data)
    if head == PANIC_SELECTOR:
        try:
            (code,) = decode(["uint256"], body)
        except (DecodingError, ValueError, OverflowError):
            return RevertReason("custom", f"malformed Panic(uint256): 0x{data.hex()}", data)
        what = PANIC_CODES.get(int(code), "unknown panic code")
        return RevertReason("panic", f"panic 0x{int(code):02x}: {what}", data, int(code))
    return RevertReason("custom", f"custom error 0x{data.hex()}", data)


def revert_data_from_error(data: Any, message: str = "") -> bytes | None:
    """Revert bytes from a JSON-RPC error's ``data`` field, as nodes differ in where they put it.

    geth/anvil: ``data`` is the 0x-hex revert data. Some providers nest it (``{"data": "0x.."}``)
    or prefix it (``"Reverted 0x..."``). Returns ``None`` when the error carries no revert data,
    and ``b""`` when the message says "execution reverted" with no data (a bare ``revert()``).
    """
    found = _find_hex(data)
    if found is not None:
        return found
    if "revert" in message.lower():
        return b""
    return None


def reason_from_error(data: Any, message: str) -> RevertReason | None:
    """The decoded reason of a JSON-RPC error, or None if it is not a revert."""
    raw = revert_data_from_error(data, message)
    if raw is None:
        return None
    reason = decode_revert(raw)
    if reason.kind == "empty" and ":" in message:
        # Some nodes only put the reason in the message ("execution reverted: EXPIRED").
        text = message.split(":", 1)[1].strip()
        if text:
            return RevertReason("error", text, raw)
    return reason


def _find_hex(value: Any, depth: int = 0) -> bytes | None:
    if depth > 3:
        return None
    if isinstance(value, str):
        token = value.strip().split()[-1] if value.strip() else ""
        if token.startswith("0x") and len(token) % 2 == 0:
            try:
                return bytes.fromhex(token[2:])
            except ValueError:
                return None
        return None
    if isinstance(value, dict):
        for key in ("data", "result", "revertData"):
            if key in value:
                found = _find_hex(value[key], depth + 1)
                if found is not None:
                    return found
    return None
