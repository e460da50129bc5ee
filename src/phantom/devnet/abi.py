"""Contract ABI encoding and decoding with eth_abi, from a JSON ABI (no web3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

AbiEntry = Mapping[str, Any]

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


class AbiError(ValueError):
    """A function or event is missing from an ABI, or arguments do not fit it."""


def abi_type(param: AbiEntry) -> str:
    """The canonical type of one ABI parameter (tuples expanded to ``(t1,t2)``)."""
    typ = str(param["type"])
    if typ.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param.get("components", []))
        return f"({inner}){typ[len('tuple') :]}"
    return typ


def signature(entry: AbiEntry) -> str:
    """``name(type1,type2)`` of a function, event or error entry."""
    types = ",".join(abi_type(p) for p in entry.get("inputs", []))
    return f"{entry['name']}({types})"


def selector(entry: AbiEntry) -> bytes:
    return keccak(text=signature(entry))[:4]


def checksum(address: str) -> str:
    """EIP-55 checksum form of a hex address (raises ValueError if malformed)."""
    return str(to_checksum_address(address))


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def decode_revert(data: bytes) -> str | None:
    """The reason of ``Error(string)`` or a ``Panic(code)`` description; None otherwise."""
    if data[:4] == ERROR_SELECTOR:
        try:
            (reason,) = decode(["string"], data[4:])
        except Exception:  # malformed revert data is not a reason
            return None
        return str(reason)
    if data[:4] == PANIC_SELECTOR:
        try:
            (code,) = decode(["uint256"], data[4:])
        except Exception:
            return None
        return f"Panic(0x{int(code):02x})"
    return None


class ContractAbi:
    """Encode calls and decode results/logs for one contract's JSON ABI."""

    def __init__(self, abi: Sequence[AbiEntry]) -> None:
        self.abi: list[AbiEntry] = list(abi)
        self._functions: dict[str, list[AbiEntry]] = {}
        self._events: dict[str, AbiEntry] = {}
        for entry in self.abi:
            kind = entry.get("type", "function")
            if kind == "function":
                self._functions.setdefault(str(entry["name"]), []).append(entry)
            elif kind == "event":
                self._events[str(entry["name"])] = entry

    def function(self, name: str, nargs: int | None = None) -> AbiEntry:
        entries = self._functions.get(name)
        if not entries:
            raise AbiError(f"no function {name!r} in ABI")
        if nargs is not None:
            entries = [e for e in entries if len(e.get("inputs", [])) == nargs]
        if len(entries) != 1:
            raise AbiError(f"function {name!r} is missing or ambiguous for {nargs} arguments")
        return entries[0]

    def has_function(self, name: str) -> bool:
        return name in self._functions

    def encode_call(self, name: str, *args: Any) -> bytes:
        """Calldata: selector plus ABI-encoded arguments."""
        entry = self.function(name, len(args))
        types = [abi_type(p) for p in entry.get("inputs", [])]
        try:
            return selector(entry) + encode(types, list(args))
        except Exception as exc:
            raise AbiError(f"cannot encode {signature(entry)} arguments: {exc}") from None

    def encode_call_hex(self, name: str, *args: Any) -> str:
        return _hex(self.encode_call(name, *args))

    def decode_result(self, name: str, data: bytes, nargs: int | None = None) -> tuple[Any, ...]:
        """Decode a function's return data into a tuple (one item per output)."""
        entry = self.function(name, nargs)
        types = [abi_type(p) for p in entry.get("outputs", [])]
        return tuple(decode(types, data))

    def encode_constructor(self, *args: Any) -> bytes:
        ctor = next((e for e in self.abi if e.get("type") == "constructor"), None)
        inputs = ctor.get("inputs", []) if ctor is not None else []
        if len(inputs) != len(args):
            raise AbiError(f"constructor takes {len(inputs)} arguments, got {len(args)}")
        if not inputs:
            return b""
        return encode([abi_type(p) for p in inputs], list(args))

    def event_topic(self, name: str) -> bytes:
        entry = self._events.get(name)
        if entry is None:
            raise AbiError(f"no event {name!r} in ABI")
        return keccak(text=signature(entry))

    def decode_log(self, name: str, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        """Decode a log of event ``name`` into a dict of its parameters."""
        entry = self._events.get(name)
        if entry is None:
            raise AbiError(f"no event {name!r} in ABI")
        if not topics or topics[0] != self.event_topic(name):
            raise AbiError(f"log is not a {name} event")
        inputs = list(entry.get("inputs", []))
        indexed = [p for p in inputs if p.get("indexed")]
        plain = [p for p in inputs if not p.get("indexed")]
        out: dict[str, Any] = {}
        for param, topic in zip(indexed, topics[1:], strict=True):
            (out[str(param["name"])],) = decode([abi_type(param)], topic)
        values = decode([abi_type(p) for p in plain], data)
        for param, value in zip(plain, values, strict=True):
            out[str(param["name"])] = value
        return out
