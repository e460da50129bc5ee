"""The devnet's private relay: signed requests only; transactions sealed in a block within the
call that put them in the node's pool, so nothing a mempool watcher sends gets ahead of them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from phantom.devnet.relay import DevnetRelay
from phantom.devnet.world import DevnetWorld
from phantom.venues.evm.errors import RelayError
from phantom.venues.evm.fees import FeePolicy
from phantom.venues.evm.relay import SIGNATURE_HEADER, RelayClient, flashbots_signature
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.evm.txmanager import TxManager
from phantom.venues.evm.txtypes import TxRequest
from phantom.venues.evm.ws import WsClient

from .live_support import POLICY

SINK = "0x" + "42" * 20
BOT_SINK = "0x" + "43" * 20


def _funded(world: DevnetWorld) -> Signer:
    signer = Signer(SecretKey.generate())
    world.rpc.call("anvil_setBalance", signer.address, hex(10**20))
    return signer


def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers={"content-type": "application/json", **headers})


def test_requests_must_carry_a_valid_signature(world: DevnetWorld) -> None:
    body = (
        b'{"jsonrpc":"2.0","id":7,"method":"eth_sendPrivateTransaction","params":[{"tx":"0x00"}]}'
    )
    auth = Signer(SecretKey.generate())
    with DevnetRelay(world.deployment.rpc_url) as relay:
        missing = _post(relay.url, body, {})
        forged_header = f"{auth.address}:{flashbots_signature(body + b' ', auth).split(':')[1]}"
        forged = _post(relay.url, body, {SIGNATURE_HEADER: forged_header})
        other = Signer(SecretKey.generate())
        lying = f"{auth.address}:{flashbots_signature(body, other).split(':')[1]}"
        impostor = _post(relay.url, body, {SIGNATURE_HEADER: lying})
        good = _post(relay.url, body, {SIGNATURE_HEADER: flashbots_signature(body, auth)})
        unknown_body = b'{"jsonrpc":"2.0","id":8,"method":"eth_foo","params":[]}'
        unknown = _post(
            relay.url, unknown_body, {SIGNATURE_HEADER: flashbots_signature(unknown_body, auth)}
        )
    for resp in (missing, forged, impostor):
        assert resp.status_code == 403
        assert resp.json()["id"] == 7 and "signature" in resp.json()["error"]["message"].lower()
    # Signed: now the parameters are checked (0x00 is not a transaction the node accepts).
    assert good.status_code == 200 and good.json()["error"]["code"] in (-32000, -32602)
    assert unknown.json()["error"]["code"] == -32601


BOT_POLICY = FeePolicy.from_gwei(100, 20, min_priority_fee_gwei=10)  # outbids everyone


async def _race(world: DevnetWorld, send: Any, reactions: int) -> tuple[list[str], list[str]]:
    """A watcher subscribed to ``newPendingTransactions`` that, for each transaction it hears
    of (not its own), looks it up and fires a higher-fee transaction at once, as a front-running
    bot would. Returns (our hashes, the watcher's hashes)."""
    dep = world.deployment
    bot_signer = _funded(world)
    mine: list[str] = []
    ready = asyncio.Event()
    ws = WsClient(dep.ws_url, on_subscribed=lambda *_: ready.set())
    async with RpcClient(dep.rpc_url) as rpc:
        bot = TxManager(rpc, bot_signer, dep.chain_id, BOT_POLICY)

        async def watch() -> None:
            async for tx_hash in ws.pending_transactions():
                tx = await rpc.get_transaction(tx_hash)
                if tx is None or tx.from_ == bot_signer.address or len(mine) >= reactions:
                    continue
                request = TxRequest(to=BOT_SINK, value=1, gas_limit=21_000)
                mine.append((await bot.submit(request, simulate=False)).tx_hash)

        watcher = asyncio.create_task(watch())
        await asyncio.wait_for(ready.wait(), 10)
        with DevnetRelay(dep.rpc_url) as relay:
            client = RelayClient(relay.url, Signer(SecretKey.generate()))
            ours = await send(rpc, client)
            await client.aclose()
        for _ in range(50):  # give the watcher time to react
            if len(mine) >= reactions:
                break
            await asyncio.sleep(0.02)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    return ours, mine


def _block_of(world: DevnetWorld, tx_hash: str) -> tuple[int, int]:
    receipt = world.rpc.wait(tx_hash, timeout=10, check=False)
    return int(receipt["blockNumber"], 16), int(receipt["transactionIndex"], 16)


@pytest.mark.parametrize(("private", "automine"), [(True, False), (True, True), (False, False)])
def test_a_front_runner_never_gets_ahead_of_a_private_transaction(
    world: DevnetWorld, private: bool, automine: bool
) -> None:
    world.rpc.set_automine(automine)
    signer = _funded(world)

    async def send(rpc: RpcClient, relay: RelayClient) -> list[str]:
        txm = TxManager(rpc, signer, world.deployment.chain_id, POLICY, sim_block="pending")
        out = []
        for value in (1, 2, 3):
            if private:
                sent = await txm.prepare(TxRequest(to=SINK, value=value))  # not broadcast
                assert await relay.send_private_transaction(sent.raw) == sent.tx_hash
            else:
                sent = await txm.submit(TxRequest(to=SINK, value=value))
            out.append(sent.tx_hash)
        return out

    ours, bot = asyncio.run(_race(world, send, reactions=3))
    world.rpc.mine()  # land whatever is still pending (the watcher's transactions, or ours)
    assert bot, "the watcher heard of nothing: anvil announces every pool entry"
    our_blocks = [_block_of(world, h) for h in ours]
    bot_blocks = [_block_of(world, h) for h in bot]
    # The watcher reacted to our transactions in order: reaction i chases our transaction i.
    assert len(bot) == len(ours)
    if private:
        # Each private transaction was sealed in the call that sent it: its reaction lands in a
        # later block. (A reaction still waiting in the public pool is included, by fee, in the
        # block the relay seals next, as a builder includes public transactions.)
        assert all(b[0] > o[0] for b, o in zip(bot_blocks, our_blocks, strict=True))
        assert [b for b, _ in our_blocks] == sorted({b for b, _ in our_blocks})
        assert bool(world.rpc.call("anvil_getAutomine")) is automine  # mining mode untouched
    else:
        # The control: sent publicly while mining is paused, the watcher gets in first.
        block, index = our_blocks[0]
        assert bot_blocks[0][0] == block and bot_blocks[0][1] < index
    assert world.rpc.balance(SINK) == 6


def test_bundle_lands_whole_in_the_target_block(world: DevnetWorld) -> None:
    world.rpc.set_automine(False)
    signer = _funded(world)
    head = world.rpc.block_number()

    async def send(rpc: RpcClient, relay: RelayClient) -> list[str]:
        txm = TxManager(rpc, signer, world.deployment.chain_id, POLICY)
        first = await txm.prepare(TxRequest(to=SINK, value=1))
        second = await txm.prepare(TxRequest(to=SINK, value=2))
        with pytest.raises(RelayError, match="next block is"):
            await relay.send_bundle([first.raw, second.raw], head + 5)
        await relay.send_bundle([first.raw, second.raw], head + 1)
        return [first.tx_hash, second.tx_hash]

    ours, bot = asyncio.run(_race(world, send, reactions=2))
    world.rpc.mine()
    blocks = [_block_of(world, h) for h in ours]
    assert {b for b, _ in blocks} == {head + 1}
    assert [i for _, i in blocks] == sorted(i for _, i in blocks)
    assert all(_block_of(world, h)[0] > head + 1 for h in bot)
    assert world.rpc.balance(SINK) == 3


def test_bundle_that_cannot_enter_the_pool_is_refused_whole(world: DevnetWorld) -> None:
    signer = _funded(world)

    async def main() -> None:
        async with RpcClient(world.deployment.rpc_url) as rpc:
            txm = TxManager(rpc, signer, world.deployment.chain_id, POLICY)
            first = await txm.prepare(TxRequest(to=SINK, value=1))
            skipped = await txm.prepare(TxRequest(to=SINK, value=2))
            third = await txm.prepare(TxRequest(to=SINK, value=3))
            assert skipped.nonce == first.nonce + 1
            with DevnetRelay(world.deployment.rpc_url) as relay:
                client = RelayClient(relay.url, Signer(SecretKey.generate()))
                head = await rpc.block_number()
                with pytest.raises(RelayError, match="nonce"):
                    await client.send_bundle([first.raw, third.raw], head + 1)  # a nonce gap
                with pytest.raises(RelayError, match="maxBlockNumber"):
                    await client.send_private_transaction(first.raw, max_block_number=head)
                await client.aclose()

    asyncio.run(main())
    assert world.rpc.nonce(signer.address, "latest") == 0
    assert world.rpc.balance(SINK) == 0
