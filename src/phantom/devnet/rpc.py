"""A small synchronous JSON-RPC client for the devnet (deployment, status, tests).

Private to ``phantom.devnet``: the trading venue has its own client in ``phantom.venues.evm``.
Transactions are sent with ``eth_sendTransaction`` from anvil's unlocked dev accounts.
"""

from __future__ import annotations

import itertools
import time
from types import TracebackType
from typing import Any, Self

import httpx

from phantom.devnet.abi import decode_revert


class RpcError(RuntimeError):
    """A JSON-RPC error answer; ``reason`` holds a decoded revert reason when there is one."""

    def __init__(self, method: str, code: int, message: str, data: bytes | None) -> None:
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data
        self.reason = decode_revert(data) if data else None
        detail = f": {self.reason}" if self.reason else ""
        super().__init__(f"{method} failed ({code}) {message}{detail}")


class TxFailed(RuntimeError):
    """A mined transaction with status 0."""

    def __init__(self, tx_hash: str, receipt: dict[str, Any]) -> None:
        self.tx_hash = tx_hash
        self.receipt = receipt
        super().__init__(f"transaction {tx_hash} reverted (block {receipt.get('blockNumber')})")


def _revert_data(error: dict[str, Any]) -> bytes | None:
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


def to_hex(value: int) -> str:
    return hex(value)


def from_hex(value: Any) -> int:
    if not isinstance(value, str):
        raise TypeError(f"expected a hex quantity, got {value!r}")
    return int(value, 16)


class DevnetRpc:
    """JSON-RPC over HTTP to one node."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def call(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        resp = self._client.post(self.url, json=body)
        resp.raise_for_status()
        payload = resp.json()
        error = payload.get("error")
        if error is not None:
            raise RpcError(
                method,
                int(error.get("code", 0)),
                str(error.get("message", "")),
                _revert_data(error),
            )
        return payload.get("result")

    # -- chain ------------------------------------------------------------------------------

    def chain_id(self) -> int:
        return from_hex(self.call("eth_chainId"))

    def block_number(self) -> int:
        return from_hex(self.call("eth_blockNumber"))

    def accounts(self) -> list[str]:
        result = self.call("eth_accounts")
        return [str(a) for a in result]

    def balance(self, address: str, block: str = "latest") -> int:
        return from_hex(self.call("eth_getBalance", address, block))

    def code(self, address: str, block: str = "latest") -> bytes:
        return bytes.fromhex(str(self.call("eth_getCode", address, block))[2:])

    def nonce(self, address: str, block: str = "pending") -> int:
        return from_hex(self.call("eth_getTransactionCount", address, block))

    # -- anvil / hardhat extensions -----------------------------------------------------------

    def snapshot(self) -> str:
        return str(self.call("evm_snapshot"))

    def revert(self, snapshot_id: str) -> bool:
        return bool(self.call("evm_revert", snapshot_id))

    def mine(self, blocks: int = 1) -> None:
        self.call("anvil_mine", to_hex(blocks))

    def set_automine(self, enabled: bool) -> None:
        self.call("evm_setAutomine", enabled)

    # -- calls and transactions --------------------------------------------------------------

    def eth_call(self, tx: dict[str, Any], block: str = "latest") -> bytes:
        """``eth_call``; raises :class:`RpcError` (with ``reason``) on revert."""
        result = self.call("eth_call", tx, block)
        return bytes.fromhex(str(result)[2:])

    def send(
        self,
        sender: str,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int | None = None,
        **fields: Any,
    ) -> str:
        """``eth_sendTransaction`` from an unlocked account; returns the tx hash."""
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex()}
        if to is not None:
            tx["to"] = to
        if value:
            tx["value"] = to_hex(value)
        for key, val in fields.items():
            tx[key] = to_hex(val) if isinstance(val, int) else val
        if gas is None:
            # anvil's own estimate at send time can come out short for router swaps (seen ~30 %
            # under the gas used); estimate here and add a margin, as the transaction manager
            # does, so a sound transaction never runs out of gas
            try:
                estimate = from_hex(str(self.call("eth_estimateGas", tx)))
            except RpcError:
                estimate = None  # let the node report the failure when the tx is sent
            if estimate is not None:
                gas = estimate * 3 // 2 + 21_000
        if gas is not None:
            tx["gas"] = to_hex(gas)
        return str(self.call("eth_sendTransaction", tx))

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = self.call("eth_getTransactionReceipt", tx_hash)
        return dict(result) if result is not None else None

    def wait(self, tx_hash: str, timeout: float = 30.0, check: bool = True) -> dict[str, Any]:
        """Wait for the receipt; raise :class:`TxFailed` on status 0 when ``check``."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            rec = self.receipt(tx_hash)
            if rec is not None:
                if check and from_hex(rec.get("status", "0x1")) != 1:
                    raise TxFailed(tx_hash, rec)
                return rec
            if time.monotonic() > deadline:
                raise TimeoutError(f"no receipt for {tx_hash} within {timeout}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def transact(
        self,
        sender: str,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Send and wait for a successful receipt."""
        return self.wait(self.send(sender, to, data, value, gas, **fields))
