"""WebSocket subscriptions against anvil: newHeads, Uniswap V2 Sync logs, pending txs, reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve

from phantom.devnet.anvil import AnvilProcess, free_port
from phantom.venues.evm.abi import decode_result, encode_call
from phantom.venues.evm.errors import MalformedResponse, RpcError, RpcTransportError
from phantom.venues.evm.models import Log
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey
from phantom.venues.evm.txmanager import TxRequest
from phantom.venues.evm.ws import SYNC_TOPIC, WsClient, decode_sync

from .evm_support import deploy, make_txm, run

T = TypeVar("T")


class Collector:
    """Consume a stream in a task; ``live`` is set on each (re)subscription."""

    def __init__(self) -> None:
        self.items: asyncio.Queue[Any] = asyncio.Queue()
        self.live = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def on_subscribed(self, kind: str, sub_id: str) -> None:
        self.live.set()

    def start(self, stream: AsyncIterator[Any]) -> None:
        async def pump() -> None:
            async for item in stream:
                await self.items.put(item)

        self.task = asyncio.create_task(pump())

    async def next(self, timeout: float = 5.0) -> Any:
        async with asyncio.timeout(timeout):
            return await self.items.get()

    async def wait_live(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            await self.live.wait()
        self.live.clear()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await self.task


def test_new_heads(node: AnvilProcess) -> None:
    async def main() -> None:
        col = Collector()
        ws = WsClient(node.ws_url, on_subscribed=col.on_subscribed)
        col.start(ws.new_heads())
        await col.wait_live()
        async with RpcClient(node.rpc_url) as rpc:
            await rpc.request("evm_mine")
            await rpc.request("evm_mine")
        first, second = await col.next(), await col.next()
        assert (first.number, second.number) == (1, 2)
        assert second.parent_hash == first.hash and first.base_fee_per_gas is not None
        await col.stop()

    run(main())


def test_uniswap_v2_sync_events(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            a = await deploy(txm, "v2-core", "ERC20", ["uint256"], [10**24])
            b = await deploy(txm, "v2-core", "ERC20", ["uint256"], [10**24])
            factory = await deploy(txm, "v2-core", "UniswapV2Factory", ["address"], [txm.address])
            created = await txm.send(
                TxRequest(to=factory, data=encode_call("createPair(address,address)", [a, b])),
                receipt_timeout_s=5,
            )
            assert created.ok
            raw = await rpc.call(
                {
                    "to": factory,
                    "data": "0x" + encode_call("getPair(address,address)", [a, b]).hex(),
                }
            )
            (pair,) = decode_result(["address"], raw)
            col = Collector()
            ws = WsClient(node.ws_url, on_subscribed=col.on_subscribed)
            col.start(ws.sync_events([pair]))
            await col.wait_live()
            for token, amount in ((a, 1_000), (b, 3_000)):
                data = encode_call("transfer(address,uint256)", [pair, amount])
                assert (await txm.send(TxRequest(to=token, data=data), receipt_timeout_s=5)).ok
            synced = await txm.send(
                TxRequest(to=pair, data=encode_call("sync()")), receipt_timeout_s=5
            )
            event = await col.next()
            (token0,) = decode_result(
                ["address"],
                await rpc.call({"to": pair, "data": "0x" + encode_call("token0()").hex()}),
            )
            expected = (1_000, 3_000) if token0.lower() == a.lower() else (3_000, 1_000)
            assert (event.reserve0, event.reserve1) == expected
            assert event.pair.lower() == pair.lower() and event.tx_hash == synced.tx_hash
            assert event.block_number == synced.receipt.block_number and not event.removed
            await col.stop()

    run(main())


def test_pending_transactions(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            await rpc.request("evm_setAutomine", [False])
            col = Collector()
            ws = WsClient(node.ws_url, on_subscribed=col.on_subscribed)
            col.start(ws.pending_transactions())
            await col.wait_live()
            sent = await make_txm(rpc, key).submit(TxRequest(to="0x" + "77" * 20, value=1))
            assert await col.next() == sent.tx_hash
            await col.stop()

    run(main())


def test_reconnects_and_resubscribes_after_node_restart() -> None:
    port = free_port()
    reconnects: list[int] = []

    async def main() -> None:
        first = await asyncio.to_thread(AnvilProcess(port=port).start)
        second: AnvilProcess | None = None
        col = Collector()
        ws = WsClient(
            first.ws_url,
            reconnect_initial_s=0.05,
            reconnect_max_s=0.2,
            on_reconnect=reconnects.append,
            on_subscribed=col.on_subscribed,
        )
        try:
            col.start(ws.new_heads())
            await col.wait_live()
            async with RpcClient(first.rpc_url) as rpc:
                await rpc.request("evm_mine")
            assert (await col.next()).number == 1
            await asyncio.to_thread(first.stop)  # the server side goes away
            second = await asyncio.to_thread(AnvilProcess(port=port).start)
            await col.wait_live(timeout=10)
            async with RpcClient(second.rpc_url) as rpc:
                await rpc.request("evm_mine")
                await rpc.request("evm_mine")
            heads = [await col.next(), await col.next()]
            assert [h.number for h in heads] == [1, 2]  # the restarted chain, same stream
            assert ws.reconnects == 1 and reconnects == [1]
        finally:
            await col.stop()
            first.stop()
            if second is not None:
                second.stop()

    run(main())


def test_refused_subscription_malformed_event_and_dead_endpoint() -> None:
    async def handler(conn: ServerConnection) -> None:
        async for message in conn:
            req = orjson.loads(message)
            kind = req["params"][0]
            if kind == "newPendingTransactions":
                err = {"code": -32601, "message": "subscriptions disabled"}
                await conn.send(orjson.dumps({"jsonrpc": "2.0", "id": req["id"], "error": err}))
                continue
            await conn.send(orjson.dumps({"jsonrpc": "2.0", "id": req["id"], "result": "0xabc"}))
            bad = {"number": 12, "hash": "0x00"}  # a number, not hex; a short hash
            note = {"subscription": "0xabc", "result": bad}
            await conn.send(
                orjson.dumps({"jsonrpc": "2.0", "method": "eth_subscription", "params": note})
            )

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            ws = WsClient(f"ws://127.0.0.1:{port}")
            with pytest.raises(RpcError, match="subscriptions disabled"):
                await anext(ws.pending_transactions())
            with pytest.raises(MalformedResponse, match="bad newHeads event"):
                await anext(ws.new_heads())
        dead = WsClient(f"ws://127.0.0.1:{free_port()}", reconnect_initial_s=0.01, max_attempts=2)
        with pytest.raises(RpcTransportError, match="3 consecutive connection failures"):
            await anext(dead.new_heads())

    run(main())


def test_decode_sync_rejects_other_logs() -> None:
    data = (5).to_bytes(32, "big") + (7).to_bytes(32, "big")
    log = Log(address="0x" + "aa" * 20, topics=[SYNC_TOPIC], data=data, block_number=3)
    ev = decode_sync(log)
    assert (ev.reserve0, ev.reserve1, ev.block_number) == (5, 7, 3)
    with pytest.raises(MalformedResponse, match="not a Uniswap V2 Sync"):
        decode_sync(Log(address="0x" + "aa" * 20, topics=["0x" + "11" * 32], data=data))
    with pytest.raises(MalformedResponse, match="two uint112"):
        decode_sync(Log(address="0x" + "aa" * 20, topics=[SYNC_TOPIC], data=b"\x01"))
