"""Flashbots-style relay client: the signed header, and a relay on 127.0.0.1 that lands on anvil."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.crypto import keccak

from phantom.devnet.anvil import AnvilProcess
from phantom.venues.evm.errors import RelayError
from phantom.venues.evm.relay import (
    MAX_BUNDLE_TXS,
    SIGNATURE_HEADER,
    RelayClient,
    body_message,
    check_bundle,
    flashbots_signature,
    verify_flashbots_signature,
)
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.evm.txmanager import TxRequest

from .evm_support import Handler, make_txm, run, stub_http_server

BODY = b'{"jsonrpc":"2.0","id":1,"method":"eth_sendBundle","params":[]}'


def test_header_signature_recovers_to_the_signer() -> None:
    signer = Signer(SecretKey.generate())
    header = flashbots_signature(BODY, signer)
    address, _, sig = header.partition(":")
    assert address == signer.address and sig.startswith("0x") and len(sig) == 2 + 130
    # The rule, spelled out independently: personal_sign of the 0x-hex keccak of the body.
    message = "0x" + bytes(keccak(BODY)).hex()
    assert body_message(BODY) == message and len(message) == 66
    recovered = Account.recover_message(
        encode_defunct(text=message), signature=bytes.fromhex(sig[2:])
    )
    assert recovered == signer.address
    assert verify_flashbots_signature(header, BODY) == signer.address
    with pytest.raises(RelayError, match="recovers to"):
        verify_flashbots_signature(header, BODY + b" ")
    with pytest.raises(RelayError, match="malformed"):
        verify_flashbots_signature("nonsense", BODY)
    with pytest.raises(RelayError, match="bad signature"):
        verify_flashbots_signature(f"{signer.address}:0x1234", BODY)


def test_bundle_limits() -> None:
    with pytest.raises(ValueError, match="at least one"):
        check_bundle([])
    with pytest.raises(ValueError, match="at most 100 transactions"):
        check_bundle([b"\x02"] * (MAX_BUNDLE_TXS + 1))
    with pytest.raises(ValueError, match="300000 bytes"):
        check_bundle([b"\x00" * 200_000, b"\x00" * 100_001])


def fake_relay(anvil_url: str, seen: list[dict[str, Any]]) -> Handler:
    """A relay speaking the Flashbots JSON-RPC, checking the header like the real one, and
    landing what it gets on anvil (a relay cannot run here; this one runs real chain state)."""

    def anvil(method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        return httpx.post(anvil_url, json=body, timeout=5).json()

    def handler(body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        req = json.loads(body)
        header = headers.get(SIGNATURE_HEADER.lower(), "")
        address, _, sig = header.partition(":")
        try:
            signer = Account.recover_message(
                encode_defunct(text="0x" + bytes(keccak(body)).hex()),
                signature=bytes.fromhex(sig[2:]),
            )
        except Exception:
            signer = ""
        if signer.lower() != address.lower() or not address:
            err = {"code": -32600, "message": f"error in signature check {address}"}
            return 403, json.dumps({"jsonrpc": "2.0", "id": req["id"], "error": err}).encode()
        seen.append({"method": req["method"], "params": req["params"], "signer": signer})
        params = req["params"][0]
        if req["method"] == "eth_sendBundle":
            head = int(anvil("eth_blockNumber", [])["result"], 16)
            if int(params["blockNumber"], 16) != head + 1:
                err = {"code": -32000, "message": "bundle targets a past or far block"}
                return 200, json.dumps({"jsonrpc": "2.0", "id": req["id"], "error": err}).encode()
            hashes = [anvil("eth_sendRawTransaction", [tx])["result"] for tx in params["txs"]]
            anvil("evm_mine", [])
            bundle_hash = "0x" + bytes(keccak(b"".join(bytes.fromhex(h[2:]) for h in hashes))).hex()
            result: Any = {"bundleHash": bundle_hash}
        elif req["method"] == "eth_sendPrivateTransaction":
            result = anvil("eth_sendRawTransaction", [params["tx"]])["result"]
            anvil("evm_mine", [])
        else:
            err = {"code": -32601, "message": "method not found"}
            return 200, json.dumps({"jsonrpc": "2.0", "id": req["id"], "error": err}).encode()
        return 200, json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": result}).encode()

    return handler


def test_relay_lands_bundle_and_private_tx_on_anvil(node: AnvilProcess, key: SecretKey) -> None:
    seen: list[dict[str, Any]] = []
    auth = Signer(SecretKey.generate())  # reputation key, holds nothing

    async def main(relay_url: str) -> None:
        async with RpcClient(node.rpc_url) as rpc:
            await rpc.request("evm_setAutomine", [False])
            txm = make_txm(rpc, key)
            relay = RelayClient(relay_url, auth)
            # Prepared (simulated, priced, signed) but not broadcast to the public node.
            to = "0x" + "11" * 20
            raws = [await txm.prepare(TxRequest(to=to, value=v)) for v in (1, 2)]
            assert [r.nonce for r in raws] == [0, 1]
            head = await rpc.block_number()
            bundle_hash = await relay.send_bundle([s.raw for s in raws], head + 1)
            assert bundle_hash.startswith("0x") and len(bundle_hash) == 66
            for s in raws:
                receipt = await rpc.get_transaction_receipt(s.tx_hash)
                assert receipt is not None and receipt.status == 1
            with pytest.raises(RelayError, match="past or far block"):
                await relay.send_bundle([raws[0].raw], head)
            private = await txm.prepare(TxRequest(to=to, value=3))
            got = await relay.send_private_transaction(
                private.raw, max_block_number=head + 25, fast=True
            )
            assert got == private.tx_hash
            assert (await txm.wait(private, timeout_s=5)).ok
            assert await rpc.get_balance(to) == 6
            with pytest.raises(RelayError, match="method not found"):
                await relay.cancel_private_transaction(private.tx_hash)
            await relay.aclose()
            # A wrong signature is refused by the relay.
            forged = RelayClient(relay_url, auth)
            forged.auth_signer = _Impostor(auth)  # type: ignore[assignment]
            with pytest.raises(RelayError, match="signature check"):
                await forged.send_private_transaction(private.raw)
            await forged.aclose()

    with stub_http_server(fake_relay(node.rpc_url, seen)) as url:
        run(main(url))
    assert [s["method"] for s in seen] == [
        "eth_sendBundle",
        "eth_sendBundle",
        "eth_sendPrivateTransaction",
        "eth_cancelPrivateTransaction",
    ]
    assert all(s["signer"] == auth.address for s in seen)
    assert seen[2]["params"][0]["preferences"] == {"fast": True}
    assert seen[0]["params"][0]["blockNumber"].startswith("0x")


class _Impostor:
    """Claims another address than the key it signs with."""

    def __init__(self, real: Signer) -> None:
        self._other = Signer(SecretKey.generate())
        self.address = real.address

    def sign_message(self, message: bytes | str) -> Any:
        return self._other.sign_message(message)
