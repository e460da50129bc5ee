"""Pydantic v2 models of the JSON-RPC payloads the venue reads.

Every model validates strictly what it uses: quantities must be ``0x``-hex strings (parsed to
``int`` wei/gas, never float), addresses 20 bytes (returned checksummed), hashes 32 bytes
(returned lower-case). Unknown extra fields are ignored, missing or malformed ones raise a
``pydantic.ValidationError`` naming the field; :mod:`phantom.venues.evm.rpc` validates wire
payloads with ``context=WIRE`` and turns the error into a
:class:`~phantom.venues.evm.errors.MalformedResponse`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from eth_utils.address import to_checksum_address
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic.alias_generators import to_camel

_QUANTITY = re.compile(r"^0x[0-9a-fA-F]{1,64}$")
_DATA = re.compile(r"^0x(?:[0-9a-fA-F]{2})*$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


#: Validation context for payloads read off the wire: quantities must be hex strings there.
WIRE: dict[str, Any] = {"wire": True}


def parse_quantity(value: Any, info: ValidationInfo) -> int:
    """A JSON-RPC quantity (``"0x1a"``) to int. Python ints are accepted when a model is built in
    code, but not from the wire (``context=WIRE``), where the JSON-RPC spec requires hex."""
    if isinstance(value, bool):
        raise ValueError("expected a 0x-hex quantity, got a boolean")
    wire = isinstance(info.context, dict) and info.context.get("wire", False)
    if isinstance(value, int) and not wire:
        if value < 0:
            raise ValueError(f"quantity must be >= 0, got {value}")
        return value
    if isinstance(value, str) and _QUANTITY.match(value):
        return int(value, 16)
    raise ValueError(f"expected a 0x-hex quantity, got {_short(value)}")


def parse_data(value: Any) -> bytes:
    """JSON-RPC data (``"0xdeadbeef"``, even length) to bytes."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and _DATA.match(value):
        return bytes.fromhex(value[2:])
    raise ValueError(f"expected 0x-hex data of even length, got {_short(value)}")


def parse_address(value: Any) -> str:
    """A 20-byte address to its EIP-55 checksum form."""
    if isinstance(value, str) and _ADDRESS.match(value):
        return str(to_checksum_address(value))
    raise ValueError(f"expected a 20-byte 0x address, got {_short(value)}")


def parse_hash(value: Any) -> str:
    """A 32-byte hash, lower-cased."""
    if isinstance(value, str) and _HASH.match(value):
        return value.lower()
    raise ValueError(f"expected a 32-byte 0x hash, got {_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


Quantity = Annotated[int, BeforeValidator(parse_quantity)]
HexData = Annotated[bytes, BeforeValidator(parse_data)]
Address = Annotated[str, BeforeValidator(parse_address)]
Hash32 = Annotated[str, BeforeValidator(parse_hash)]


def _status(value: Any, info: ValidationInfo) -> Any:
    if value in ("0x0", "0x00"):
        return 0
    if value in ("0x1", "0x01"):
        return 1
    wire = isinstance(info.context, dict) and info.context.get("wire", False)
    if value in (0, 1) and not isinstance(value, bool) and not wire:
        return value
    raise ValueError(f"receipt status must be 0x0 or 0x1, got {_short(value)}")


Status = Annotated[Literal[0, 1], BeforeValidator(_status)]


class RpcModel(BaseModel):
    """Base: camelCase aliases, immutable, extra fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class RpcErrorObject(RpcModel):
    code: int
    message: str
    data: Any = None


class RpcResponse(RpcModel):
    """A JSON-RPC 2.0 response envelope: exactly one of ``result`` / ``error``."""

    jsonrpc: Literal["2.0"]
    id: int | str | None
    result: Any = None
    error: RpcErrorObject | None = None


class Log(RpcModel):
    """An event log (receipt entry or ``logs`` subscription item)."""

    address: Address
    topics: list[Hash32]
    data: HexData
    block_number: Quantity | None = None
    block_hash: Hash32 | None = None
    transaction_hash: Hash32 | None = None
    transaction_index: Quantity | None = None
    log_index: Quantity | None = None
    removed: bool = False


class Receipt(RpcModel):
    """A transaction receipt. ``status`` is 1 (success) or 0 (reverted)."""

    transaction_hash: Hash32
    transaction_index: Quantity
    block_hash: Hash32
    block_number: Quantity
    from_: Address = Field(alias="from")
    to: Address | None = None
    cumulative_gas_used: Quantity
    gas_used: Quantity
    effective_gas_price: Quantity
    contract_address: Address | None = None
    logs: list[Log]
    status: Status
    type: Quantity = 0

    @property
    def fee_wei(self) -> int:
        """Native-token cost of the transaction (excluding any L1 data fee on rollups)."""
        return self.gas_used * self.effective_gas_price


class FeeHistory(RpcModel):
    """``eth_feeHistory``: ``base_fee_per_gas`` has one more entry than blocks (the next block)."""

    oldest_block: Quantity
    base_fee_per_gas: list[Quantity] = Field(min_length=1)
    gas_used_ratio: list[float]
    reward: list[list[Quantity]] | None = None

    @property
    def next_base_fee(self) -> int:
        """Base fee of the block after the newest one in the window (the pending block)."""
        return self.base_fee_per_gas[-1]


class BlockHeader(RpcModel):
    """A block header (``newHeads`` item or ``eth_getBlockByNumber(.., false)``)."""

    number: Quantity
    hash: Hash32
    parent_hash: Hash32
    timestamp: Quantity
    gas_limit: Quantity
    gas_used: Quantity
    base_fee_per_gas: Quantity | None = None


class Transaction(RpcModel):
    """A transaction as ``eth_getTransactionByHash`` returns it (fields the venue uses)."""

    hash: Hash32
    nonce: Quantity
    from_: Address = Field(alias="from")
    to: Address | None = None
    value: Quantity
    input: HexData
    gas: Quantity
    block_number: Quantity | None = None
    max_fee_per_gas: Quantity | None = None
    max_priority_fee_per_gas: Quantity | None = None
    gas_price: Quantity | None = None
