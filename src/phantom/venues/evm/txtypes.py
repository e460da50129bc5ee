"""Value types of the transaction manager: what to send, what was sent, what came of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from phantom.venues.evm.abi import checksum
from phantom.venues.evm.fees import FeeQuote
from phantom.venues.evm.models import Receipt
from phantom.venues.evm.revert import RevertReason

TRANSFER_GAS = 21_000


@dataclass(frozen=True, slots=True)
class TxRequest:
    """What to send. ``to=None`` deploys ``data`` as contract creation code; ``to`` is stored
    in checksum form."""

    to: str | None
    data: bytes = b""
    value: int = 0
    gas_limit: int | None = None

    def __post_init__(self) -> None:
        if self.to is not None:
            object.__setattr__(self, "to", checksum(self.to))  # ValueError if not 20 bytes
        if self.value < 0:
            raise ValueError(f"value must be >= 0 wei, got {self.value}")
        if self.gas_limit is not None and self.gas_limit < TRANSFER_GAS:
            raise ValueError(f"gas_limit must be >= {TRANSFER_GAS}, got {self.gas_limit}")


@dataclass(frozen=True, slots=True)
class SentTx:
    """A broadcast transaction: enough to wait for, replace or cancel it."""

    tx_hash: str
    nonce: int
    raw: bytes
    request: TxRequest
    gas_limit: int
    fees: FeeQuote
    sender: str


@dataclass(frozen=True, slots=True)
class TxOutcome:
    """A mined transaction. ``reason`` is set when ``status == "reverted"``."""

    status: Literal["success", "reverted"]
    tx_hash: str
    nonce: int
    receipt: Receipt
    reason: RevertReason | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def gas_used(self) -> int:
        return self.receipt.gas_used

    @property
    def fee_wei(self) -> int:
        return self.receipt.fee_wei
