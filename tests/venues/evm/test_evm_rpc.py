"""JSON-RPC client: typed results and errors against anvil, and a stub server for bad answers."""

from __future__ import annotations

import json
import time

import pytest

from phantom.devnet.anvil import AnvilProcess, free_port
from phantom.venues.evm.errors import MalformedResponse, RpcError, RpcTimeout, RpcTransportError
from phantom.venues.evm.rpc import RpcClient, call_object, redact_url

from .evm_support import DEVNET_CHAIN_ID, run, stub_http_server


def test_typed_helpers_against_anvil(node: AnvilProcess) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            assert await rpc.chain_id() == DEVNET_CHAIN_ID
            assert await rpc.block_number() == 0
            await rpc.request("evm_mine")
            head = await rpc.get_block("latest")
            assert head is not None and head.number == 1 and head.base_fee_per_gas is not None
            fh = await rpc.fee_history(1, "latest", [50])
            assert fh.next_base_fee > 0 and fh.reward is not None
            addr = "0x" + "11" * 20
            assert await rpc.get_balance(addr) == 0
            assert await rpc.get_transaction_count(addr) == 0
            assert await rpc.get_code(addr) == b""
            assert await rpc.get_transaction_receipt("0x" + "00" * 32) is None
            assert await rpc.get_transaction("0x" + "00" * 32) is None
            assert await rpc.call(call_object(to=addr)) == b""
            assert await rpc.estimate_gas(call_object(to=addr, sender=addr)) == 21000

    run(main())


def test_rpc_error_and_batch(node: AnvilProcess) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            with pytest.raises(RpcError) as info:
                await rpc.request("eth_noSuchMethod")
            assert info.value.code == -32601 and info.value.method == "eth_noSuchMethod"
            results = await rpc.batch(
                [("eth_chainId", []), ("eth_noSuchMethod", []), ("eth_blockNumber", [])]
            )
            assert results[0] == hex(DEVNET_CHAIN_ID) and results[2] == "0x0"
            assert isinstance(results[1], RpcError)
            assert await rpc.batch([]) == []

    run(main())


def test_connection_refused_is_a_transport_error() -> None:
    async def main() -> None:
        url = f"http://127.0.0.1:{free_port()}/v2/SECRET-API-KEY"
        async with RpcClient(url, timeout_s=2) as rpc:
            with pytest.raises(RpcTransportError) as info:
                await rpc.chain_id()
            assert not isinstance(info.value, RpcTimeout)
            assert "SECRET-API-KEY" not in str(info.value)

    run(main())


def test_timeout_http_status_and_malformed_answers() -> None:
    def handler(body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        req = json.loads(body)
        method = req["method"]
        if method == "slow":
            time.sleep(0.5)
        answers = {
            "http500": (500, b"oops"),
            "notjson": (200, b"<html>"),
            "badenvelope": (200, b'{"result": 1}'),
            "wrongid": (200, json.dumps({"jsonrpc": "2.0", "id": 999, "result": "0x1"}).encode()),
            "eth_chainId": (
                200,
                json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": 12}).encode(),
            ),
            "err400": (
                400,
                json.dumps(
                    {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32000, "message": "x"}}
                ).encode(),
            ),
        }
        return answers.get(
            method, (200, json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": None}).encode())
        )

    async def main(url: str) -> None:
        async with RpcClient(url, timeout_s=0.2) as rpc:
            with pytest.raises(RpcTimeout):
                await rpc.request("slow")
        async with RpcClient(url, timeout_s=5) as rpc:
            with pytest.raises(RpcTransportError, match="HTTP 500") as info:
                await rpc.request("http500")
            assert info.value.status == 500
            with pytest.raises(RpcTransportError, match="non-JSON"):
                await rpc.request("notjson")
            with pytest.raises(MalformedResponse, match="jsonrpc"):
                await rpc.request("badenvelope")
            with pytest.raises(MalformedResponse, match="id 999"):
                await rpc.request("wrongid")
            with pytest.raises(MalformedResponse, match="0x-hex quantity"):
                await rpc.chain_id()
            with pytest.raises(RpcError, match="-32000"):
                await rpc.request("err400")

    with stub_http_server(handler) as url:
        run(main(url))


def test_redact_url() -> None:
    assert (
        redact_url("https://eth-mainnet.g.alchemy.com/v2/KEY?x=1")
        == "https://eth-mainnet.g.alchemy.com"
    )
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    assert repr(RpcClient("https://h.example/KEY")) == "RpcClient(https://h.example)"
