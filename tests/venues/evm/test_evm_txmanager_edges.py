"""TxManager edge paths on anvil: a nonce taken by someone else, an uncertain broadcast,
prepared-but-unsent transactions."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from phantom.devnet.anvil import AnvilProcess
from phantom.venues.evm.errors import BroadcastUncertain, EvmError, TxDropped
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey
from phantom.venues.evm.txmanager import TxRequest

from .evm_support import make_txm, run, stub_http_server

OTHER = "0x000000000000000000000000000000000000bEEF"


def test_nonce_used_by_another_sender_process_is_reported_dropped(
    node: AnvilProcess, key: SecretKey
) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            await rpc.request("evm_setAutomine", [False])
            ours = make_txm(rpc, key)
            sent = await ours.submit(TxRequest(to=OTHER, value=5))
            elsewhere = make_txm(rpc, key)  # e.g. a wallet app using the same key
            await elsewhere.cancel(sent)  # it replaces nonce 0 with higher fees
            await rpc.request("evm_mine")
            with pytest.raises(TxDropped) as info:
                await ours.wait(sent, timeout_s=5)
            assert info.value.nonce == 0 and info.value.tx_hash == sent.tx_hash
            assert ours.inflight() == {} and await rpc.get_balance(OTHER) == 0

    run(main())


def test_lost_broadcast_answer_keeps_the_nonce(node: AnvilProcess, key: SecretKey) -> None:
    """The node gets the tx but its answer is lost: BroadcastUncertain, then wait() finds it."""
    delayed: list[bytes] = []

    def proxy(body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        resp = httpx.post(node.rpc_url, content=body, headers={"content-type": "application/json"})
        if json.loads(body).get("method") == "eth_sendRawTransaction" and not delayed:
            delayed.append(body)
            time.sleep(0.6)  # the first answer comes after the client's timeout
        return resp.status_code, resp.content

    async def main(url: str) -> None:
        async with RpcClient(url, timeout_s=0.3) as rpc:
            txm = make_txm(rpc, key)
            with pytest.raises(BroadcastUncertain) as info:
                await txm.submit(TxRequest(to=OTHER, value=7, gas_limit=21_000), simulate=False)
            sent = info.value.sent
            assert sent.nonce == 0 and txm.nonces.records == {0: sent.tx_hash}
            out = await txm.wait(sent, timeout_s=5)
            assert out.ok and await rpc.get_balance(OTHER) == 7
            nxt = await txm.send(TxRequest(to=OTHER, value=1), receipt_timeout_s=5)
            assert nxt.nonce == 1 and len(delayed) == 1

    with stub_http_server(proxy) as url:
        run(main(url))


def test_prepare_then_abandon_gives_the_nonce_back(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            prepared = await txm.prepare(TxRequest(to=OTHER, value=1))
            assert prepared.nonce == 0 and await rpc.get_transaction(prepared.tx_hash) is None
            txm.abandon(prepared)
            assert txm.inflight() == {} and txm.nonces.records == {}
            out = await txm.send(TxRequest(to=OTHER, value=2), receipt_timeout_s=5)
            assert out.ok and out.nonce == 0

    run(main())


def test_adopt_a_journaled_hash_after_restart_and_replace_it(
    node: AnvilProcess, key: SecretKey
) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            await rpc.request("evm_setAutomine", [False])
            before = make_txm(rpc, key)
            stuck = await before.submit(TxRequest(to=OTHER, value=9))
            journaled_hash = stuck.tx_hash
            after = make_txm(rpc, key)  # restarted process: nothing in memory
            adopted = await after.adopt(journaled_hash)
            assert adopted.nonce == stuck.nonce
            assert adopted.fees.max_fee_per_gas == stuck.fees.max_fee_per_gas
            assert adopted.fees.max_priority_fee_per_gas == stuck.fees.max_priority_fee_per_gas
            assert adopted.request.to == OTHER and adopted.request.value == 9
            bumped = await after.replace(adopted)
            assert (
                bumped.fees.max_priority_fee_per_gas * 100
                >= stuck.fees.max_priority_fee_per_gas * 110
            )
            await rpc.request("evm_mine")
            out = await after.wait(adopted, timeout_s=5)
            assert out.ok and out.tx_hash == bumped.tx_hash and await rpc.get_balance(OTHER) == 9
            with pytest.raises(EvmError, match="unknown to the node"):
                await after.adopt("0x" + "00" * 32)

    run(main())
