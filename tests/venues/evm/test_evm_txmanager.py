"""TxManager against a real anvil: every path, on the real Uniswap V2 artifacts."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from phantom.devnet.anvil import AnvilProcess
from phantom.venues.evm.abi import encode_call
from phantom.venues.evm.errors import (
    BroadcastFailed,
    EvmError,
    FeeCapExceeded,
    ReceiptTimeout,
    RpcError,
    SimulationReverted,
)
from phantom.venues.evm.fees import FeePolicy
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.evm.txmanager import SentTx, TxRequest

from .evm_support import ETH, GWEI, deploy, make_txm, run

SUPPLY = 10**24
OTHER = "0x000000000000000000000000000000000000bEEF"


def transfer(token: str, amount: int, to: str = OTHER, gas_limit: int | None = None) -> TxRequest:
    data = encode_call("transfer(address,uint256)", [to, amount])
    return TxRequest(to=token, data=data, gas_limit=gas_limit)


async def token_balance(rpc: RpcClient, token: str, owner: str) -> int:
    out = await rpc.call(
        {"to": token, "data": "0x" + encode_call("balanceOf(address)", [owner]).hex()}
    )
    return int.from_bytes(out, "big")


def test_send_success_and_hooks(node: AnvilProcess, key: SecretKey) -> None:
    journal: list[tuple[str, str, int]] = []

    async def on_sent(tx_hash: str, nonce: int, raw: bytes) -> None:
        journal.append(("sent", tx_hash, nonce))

    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(
                rpc,
                key,
                on_signed=lambda h, n, r: journal.append(("signed", h, n)),
                on_sent=on_sent,
            )
            token = await deploy(txm, "v2-core", "ERC20", ["uint256"], [SUPPLY])
            call = transfer(token, 5)
            estimate = await rpc.estimate_gas(
                {"from": txm.address, "to": token, "data": "0x" + call.data.hex()}
            )
            out = await txm.send(call, receipt_timeout_s=5)
            assert out.ok and out.reason is None and out.nonce == 1
            assert out.receipt.logs and out.receipt.logs[0].address == token
            assert out.fee_wei == out.gas_used * out.receipt.effective_gas_price > 0
            assert await token_balance(rpc, token, OTHER) == 5
            tx = await rpc.get_transaction(out.tx_hash)
            assert tx is not None and tx.max_priority_fee_per_gas == GWEI
            assert tx.gas == -(-estimate * 12 // 10)  # estimate + 20 %, rounded up
            assert txm.inflight() == {}
            # write-ahead: signed before sent, for each tx
            assert [kind for kind, _, _ in journal] == ["signed", "sent", "signed", "sent"]
            assert journal[2][1] == journal[3][1] == out.tx_hash

    run(main())


def test_revert_caught_in_simulation_sends_nothing(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            token = await deploy(txm, "v2-core", "ERC20", ["uint256"], [SUPPLY])
            nonce_before = await rpc.get_transaction_count(txm.address, "pending")
            with pytest.raises(SimulationReverted) as info:
                await txm.send(transfer(token, SUPPLY + 1), receipt_timeout_s=5)
            assert info.value.reason.kind == "error"
            assert info.value.reason.message == "ds-math-sub-underflow"
            assert info.value.stage == "eth_call"
            assert await rpc.get_transaction_count(txm.address, "pending") == nonce_before
            assert txm.inflight() == {} and txm.nonces.records == {}
            # The router's deadline check: Error(string) "UniswapV2Router: EXPIRED".
            weth = await deploy(txm, "v2-periphery", "WETH9")
            factory = await deploy(txm, "v2-core", "UniswapV2Factory", ["address"], [txm.address])
            router = await deploy(
                txm, "v2-periphery", "UniswapV2Router02", ["address", "address"], [factory, weth]
            )
            data = encode_call(
                "swapExactETHForTokens(uint256,address[],address,uint256)",
                [0, [weth, token], txm.address, 0],
            )
            with pytest.raises(SimulationReverted, match="UniswapV2Router: EXPIRED"):
                await txm.send(TxRequest(to=router, data=data, value=10**15), receipt_timeout_s=5)
            # WETH9 withdraw above the balance: require() without a message.
            data = encode_call("withdraw(uint256)", [1])
            with pytest.raises(SimulationReverted) as empty:
                await txm.send(TxRequest(to=weth, data=data), receipt_timeout_s=5)
            assert empty.value.reason.kind == "empty"
            # simulate=False still refuses when gas estimation reverts.
            with pytest.raises(SimulationReverted) as est:
                await txm.send(TxRequest(to=weth, data=data), simulate=False, receipt_timeout_s=5)
            assert est.value.stage == "eth_estimateGas"
            assert await rpc.get_transaction_count(txm.address, "pending") == nonce_before + 3

    run(main())


def test_status_zero_on_chain_with_reason(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            token = await deploy(txm, "v2-core", "ERC20", ["uint256"], [SUPPLY])
            # 1) simulate=False with a fixed gas limit: mined, reverted.
            out = await txm.send(
                transfer(token, SUPPLY + 1, gas_limit=100_000), simulate=False, receipt_timeout_s=5
            )
            assert out.status == "reverted" and not out.ok and out.receipt.status == 0
            assert out.reason is not None and out.reason.message == "ds-math-sub-underflow"
            # 2) out of gas is named as such (a new holder slot needs more than 30k gas).
            oog = await txm.send(
                transfer(token, 1, to="0x" + "42" * 20, gas_limit=30_000),
                simulate=False,
                receipt_timeout_s=5,
            )
            assert oog.status == "reverted" and oog.reason is not None
            assert "out of gas" in oog.reason.message
            # 3) two txs that both pass simulation, but the first empties the balance.
            await rpc.request("evm_setAutomine", [False])
            first = await txm.submit(transfer(token, SUPPLY, to=OTHER))
            second = await txm.submit(transfer(token, SUPPLY, to=OTHER))
            await rpc.request("evm_mine")
            ok, bad = await txm.wait(first, timeout_s=5), await txm.wait(second, timeout_s=5)
            assert ok.ok and bad.status == "reverted"
            assert bad.receipt.block_number == ok.receipt.block_number
            assert bad.reason is not None and bad.reason.message == "ds-math-sub-underflow"

    run(main())


def test_receipt_timeout_then_replace(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            await rpc.request("evm_setAutomine", [False])
            request = TxRequest(to=OTHER, value=ETH)
            started = time.monotonic()
            with pytest.raises(ReceiptTimeout) as info:
                await txm.send(request, receipt_timeout_s=0.4)
            assert 0.4 <= time.monotonic() - started < 3
            assert info.value.nonce == 0 and info.value.tx_hash.startswith("0x")
            original = txm.inflight()[0][0]
            assert original.tx_hash == info.value.tx_hash
            with pytest.raises(ValueError, match=">= 10"):
                await txm.replace(original, bump_pct=5)
            replacement = await txm.replace(original, bump_pct=10)
            assert replacement.nonce == original.nonce and replacement.tx_hash != original.tx_hash
            for old, new in (
                (original.fees.max_fee_per_gas, replacement.fees.max_fee_per_gas),
                (original.fees.max_priority_fee_per_gas, replacement.fees.max_priority_fee_per_gas),
            ):
                assert new * 100 >= old * 110 and new >= old + 1
            await rpc.request("evm_mine")
            out = await txm.wait(original, timeout_s=5)  # waits on every tx at that nonce
            assert out.ok and out.tx_hash == replacement.tx_hash
            assert await rpc.get_transaction_receipt(original.tx_hash) is None
            assert await rpc.get_balance(OTHER) == ETH  # paid once
            assert await rpc.get_transaction_count(txm.address, "latest") == 1

    run(main())


def test_cancel_stuck_transaction(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            await rpc.request("evm_setAutomine", [False])
            stuck = await txm.submit(TxRequest(to=OTHER, value=ETH))
            cancel = await txm.cancel(stuck)
            assert cancel.nonce == stuck.nonce and cancel.request.to == txm.address
            assert cancel.request.value == 0 and cancel.gas_limit == 21_000
            assert (
                cancel.fees.max_priority_fee_per_gas
                >= stuck.fees.max_priority_fee_per_gas * 11 // 10
            )
            await rpc.request("evm_mine")
            out = await txm.wait(stuck, timeout_s=5)
            assert out.ok and out.tx_hash == cancel.tx_hash
            assert await rpc.get_balance(OTHER) == 0
            # cancel by nonce (nothing known in flight here): fills the nonce with a no-op.
            by_nonce = await txm.cancel(1)
            await rpc.request("evm_mine")
            assert (await txm.wait(by_nonce, timeout_s=5)).ok

    run(main())


def test_fee_caps_abort_before_anything_is_sent(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            base = (await rpc.fee_history(1, "latest", [])).next_base_fee
            tight = FeePolicy(max_base_fee_wei=base - 1, max_priority_fee_wei=GWEI)
            txm = make_txm(rpc, key, policy=tight)
            with pytest.raises(FeeCapExceeded, match="base fee") as info:
                await txm.send(TxRequest(to=OTHER, value=1), receipt_timeout_s=5)
            assert info.value.needed_wei == base
            assert await rpc.get_transaction_count(txm.address, "pending") == 0
            assert txm.nonces.records == {} and txm.inflight() == {}
            # A stuck tx whose replacement would pass the caps is not replaced either.
            capped = FeePolicy(
                max_base_fee_wei=10 * GWEI, max_priority_fee_wei=GWEI, min_priority_fee_wei=GWEI
            )
            txm = make_txm(rpc, key, policy=capped)
            await rpc.request("evm_setAutomine", [False])
            sent = await txm.submit(TxRequest(to=OTHER, value=1))
            with pytest.raises(FeeCapExceeded, match="replacement priority fee"):
                await txm.replace(sent)
            assert len(txm.inflight()[0]) == 1

    run(main())


def test_broadcast_rejected_releases_the_nonce(node: AnvilProcess) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            poor = SecretKey.generate()  # no balance: the node rejects the tx
            txm = make_txm(rpc, poor)
            with pytest.raises(BroadcastFailed) as info:
                await txm.send(
                    TxRequest(to=OTHER, value=ETH, gas_limit=21_000),
                    simulate=False,
                    receipt_timeout_s=5,
                )
            assert info.value.nonce == 0 and isinstance(info.value.cause, RpcError)
            assert txm.nonces.records == {}
            await rpc.request("anvil_setBalance", [txm.address, hex(10 * ETH)])
            out = await txm.send(TxRequest(to=OTHER, value=ETH), receipt_timeout_s=5)
            assert out.ok and out.nonce == 0  # the released nonce was reused: no gap

    run(main())


def test_nonce_gap_after_crash_is_reconciled(node: AnvilProcess, key: SecretKey) -> None:
    journal: dict[int, str | None] = {}
    hang = asyncio.Event()
    entered = asyncio.Event()

    async def on_signed(tx_hash: str, nonce: int, raw: bytes) -> None:
        journal[nonce] = tx_hash
        if nonce == 0:  # the process "hangs" after journaling nonce 0, before broadcasting
            entered.set()
            await hang.wait()

    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            await rpc.request("evm_setAutomine", [False])
            txm = make_txm(rpc, key, on_signed=on_signed)
            first = asyncio.create_task(txm.submit(TxRequest(to=OTHER, value=1)))
            await entered.wait()
            second = await txm.submit(TxRequest(to=OTHER, value=2))
            assert second.nonce == 1
            first.cancel()  # crash: nonce 0 never reached the node
            with pytest.raises(asyncio.CancelledError):
                await first
            assert await rpc.get_transaction_count(txm.address, "pending") == 0

            # Restart: a fresh manager with only the journal to go on.
            restarted = make_txm(rpc, key)
            report = await restarted.nonces.reconcile(journal)
            assert report.missing == [0] and report.in_mempool == [1] and report.has_gap
            assert report.next_nonce == 0 and report.confirmed == []
            fill = await restarted.cancel(0)  # fill the gap with a no-op
            assert fill.nonce == 0
            nxt = await restarted.submit(TxRequest(to=OTHER, value=3))
            assert nxt.nonce == 2
            await rpc.request("evm_mine")
            assert (await restarted.wait(fill, timeout_s=5)).ok
            assert (await restarted.wait(nxt, timeout_s=5)).ok
            assert await rpc.get_transaction_count(restarted.address, "latest") == 3
            assert await rpc.get_balance(OTHER) == 2 + 3
            again = await restarted.nonces.reconcile(journal)
            assert again.missing == [] and again.confirmed == [0, 1] and not again.has_gap

    run(main())


def test_wrong_chain_is_refused(node: AnvilProcess, key: SecretKey) -> None:
    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            txm.chain_id = 1
            with pytest.raises(EvmError, match="on chain 31337, expected 1"):
                await txm.send(TxRequest(to=OTHER, value=1), receipt_timeout_s=5)

    run(main())


def test_logs_and_errors_never_hold_the_key(
    node: AnvilProcess, key: SecretKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    async def main() -> None:
        async with RpcClient(node.rpc_url) as rpc:
            txm = make_txm(rpc, key)
            texts.extend([repr(txm), repr(txm.signer), repr(txm.nonces)])
            for call in (TxRequest(to=OTHER, value=10**30), TxRequest(to=OTHER, value=1)):
                try:
                    out = await txm.send(call, receipt_timeout_s=5)
                    texts.append(repr(out))
                except Exception as exc:
                    texts.append(repr(exc) + str(exc))
            sent: SentTx | None = None
            await rpc.request("evm_setAutomine", [False])
            sent = await txm.submit(TxRequest(to=OTHER, value=1))
            texts.append(repr(sent))

    run(main())
    secret = key.reveal().hex()
    blob = "\n".join(texts) + caplog.text
    assert "tx sent" in caplog.text
    assert secret not in blob.lower()
    assert Signer(key).address in blob
