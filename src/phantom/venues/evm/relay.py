"""Private submission to a Flashbots-style relay: eth_sendBundle, eth_sendPrivateTransaction.

Authentication (docs.flashbots.net, "JSON-RPC" / "Nonce management"; flashbots/go-utils
``signature``): every request carries the header

    X-Flashbots-Signature: <address>:<signature>

where ``<signature>`` is the EIP-191 ``personal_sign`` (``"\\x19Ethereum Signed Message:\\n" +
len(msg) + msg``) by ``<address>``'s key of the message ``msg = "0x" + hex(keccak256(body))``:
the keccak-256 of the exact HTTP body bytes, written as a lower-case 0x-prefixed hex *string*
(66 ASCII characters), signed as text. The signature is 65 bytes, 0x-hex, ``v`` in {27, 28}.
The body sent must be byte-for-byte the one signed, so it is serialised once and reused.

The auth key only builds relay reputation; use a key that holds no funds (never the trading key).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import httpx
import orjson
from eth_account import Account
from eth_account.messages import encode_defunct
from pydantic import ValidationError

from phantom.venues.evm.abi import keccak256
from phantom.venues.evm.errors import RelayError
from phantom.venues.evm.models import WIRE, Hash32, RpcModel, RpcResponse, parse_hash
from phantom.venues.evm.rpc import redact_url
from phantom.venues.evm.signer import Signer

SIGNATURE_HEADER = "X-Flashbots-Signature"
MAX_BUNDLE_TXS = 100
MAX_BUNDLE_BYTES = 300_000


def body_message(body: bytes) -> str:
    """The text that is personal-signed: ``"0x" + keccak256(body).hex()``."""
    return "0x" + keccak256(body).hex()


def flashbots_signature(body: bytes, signer: Signer) -> str:
    """The ``X-Flashbots-Signature`` header value for ``body``."""
    signed = signer.sign_message(body_message(body))
    return f"{signer.address}:0x{signed.signature.hex()}"


def verify_flashbots_signature(header: str, body: bytes) -> str:
    """Check a header against ``body`` (what a relay does); returns the signer's address."""
    address, sep, sig = header.partition(":")
    if not sep or not sig.startswith("0x"):
        raise RelayError("malformed X-Flashbots-Signature: expected <address>:<0x signature>")
    try:
        recovered = Account.recover_message(
            encode_defunct(text=body_message(body)), signature=bytes.fromhex(sig[2:])
        )
    except Exception as exc:  # eth_keys raises several types for a bad signature
        raise RelayError(f"bad signature ({type(exc).__name__})") from None
    if str(recovered).lower() != address.lower():
        raise RelayError(f"signature recovers to {recovered}, header says {address}")
    return str(recovered)


class BundleResult(RpcModel):
    bundle_hash: Hash32


class RelayClient:
    """A Flashbots-compatible relay endpoint (``https://relay.flashbots.net`` or a builder)."""

    def __init__(
        self,
        url: str,
        auth_signer: Signer,
        *,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self.endpoint = redact_url(url)
        self.auth_signer = auth_signer
        self._timeout = timeout_s
        self._own_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"RelayClient({self.endpoint}, auth={self.auth_signer.address})"

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def send_bundle(
        self,
        txs: Sequence[bytes],
        block_number: int,
        *,
        min_timestamp: int | None = None,
        max_timestamp: int | None = None,
        reverting_tx_hashes: Sequence[str] = (),
        replacement_uuid: str | None = None,
    ) -> str:
        """Submit signed raw transactions to land, in order, in ``block_number`` only.
        Returns the relay's ``bundleHash``."""
        check_bundle(txs)
        params: dict[str, Any] = {
            "txs": ["0x" + raw.hex() for raw in txs],
            "blockNumber": hex(block_number),
        }
        if min_timestamp is not None:
            params["minTimestamp"] = min_timestamp
        if max_timestamp is not None:
            params["maxTimestamp"] = max_timestamp
        if reverting_tx_hashes:
            params["revertingTxHashes"] = [parse_hash(h) for h in reverting_tx_hashes]
        if replacement_uuid is not None:
            params["replacementUuid"] = replacement_uuid
        result = await self.request("eth_sendBundle", [params])
        return _validate(BundleResult, result, "eth_sendBundle").bundle_hash

    async def send_private_transaction(
        self, raw_tx: bytes, *, max_block_number: int | None = None, fast: bool | None = None
    ) -> str:
        """Send one signed transaction privately (retried by the relay until
        ``max_block_number``, 25 blocks by default on Flashbots). Returns its hash."""
        params: dict[str, Any] = {"tx": "0x" + raw_tx.hex()}
        if max_block_number is not None:
            params["maxBlockNumber"] = hex(max_block_number)
        if fast is not None:
            params["preferences"] = {"fast": fast}
        result = await self.request("eth_sendPrivateTransaction", [params])
        try:
            return parse_hash(result)
        except ValueError as exc:
            raise RelayError(f"eth_sendPrivateTransaction: {exc}") from None

    async def cancel_private_transaction(self, tx_hash: str) -> bool:
        result = await self.request("eth_cancelPrivateTransaction", [{"txHash": tx_hash}])
        return bool(result)

    async def request(self, method: str, params: list[Any]) -> Any:
        """One signed JSON-RPC call; RelayError on any failure."""
        req_id = next(self._ids)
        body = orjson.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params})
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: flashbots_signature(body, self.auth_signer),
        }
        try:
            resp = await self._client.post(
                self._url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise RelayError(
                f"{method}: cannot reach {self.endpoint} ({type(exc).__name__})"
            ) from None
        try:
            envelope = RpcResponse.model_validate(orjson.loads(resp.content))
        except (orjson.JSONDecodeError, ValidationError):
            raise RelayError(f"{method}: HTTP {resp.status_code}, not a JSON-RPC answer") from None
        if envelope.error is not None:
            raise RelayError(f"{method}: error {envelope.error.code}: {envelope.error.message}")
        if resp.status_code != 200:
            raise RelayError(f"{method}: HTTP {resp.status_code}")
        return envelope.result


def check_bundle(txs: Sequence[bytes]) -> None:
    """Relay limits: 1..100 transactions and at most 300,000 bytes in all."""
    if not txs:
        raise ValueError("a bundle needs at least one transaction")
    if len(txs) > MAX_BUNDLE_TXS:
        raise ValueError(f"a bundle holds at most {MAX_BUNDLE_TXS} transactions, got {len(txs)}")
    size = sum(len(raw) for raw in txs)
    if size > MAX_BUNDLE_BYTES:
        raise ValueError(f"a bundle holds at most {MAX_BUNDLE_BYTES} bytes, got {size}")


def _validate(model: type[BundleResult], raw: Any, method: str) -> BundleResult:
    try:
        return model.model_validate(raw, context=WIRE)
    except ValidationError as exc:
        raise RelayError(f"{method}: unexpected result ({exc.error_count()} error(s))") from None


__all__ = [
    "SIGNATURE_HEADER",
    "BundleResult",
    "RelayClient",
    "body_message",
    "check_bundle",
    "flashbots_signature",
    "verify_flashbots_signature",
]
