"""Restart reconciliation: the journal against the chain decides every pending intent."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from phantom.core.fills import FillStatus
from phantom.core.orders import OrderIntent
from phantom.devnet.world import DevnetWorld
from phantom.execution.evm_reconcile import Reconciled, reconcile_pending
from phantom.portfolio.errors import DuplicateFill
from phantom.portfolio.models import IntentStatus
from phantom.venues.evm.signer import SecretKey, Signer

from .live_support import Desk, dump_weth_on

SINK = "0x" + "44" * 20


def _wait(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def _crash_after_send(world: DevnetWorld, workdir: Path, mined: bool) -> tuple[OrderIntent, str]:
    """Send an arbitrage and 'crash' before its outcome is booked (the desk just goes away)."""
    desk = Desk(world, workdir)
    try:
        dump_weth_on(world)
        desk.read_market()
        desk.open_vault()
        intent = desk.best_intent()
        if not mined:
            world.rpc.set_automine(False)
        desk.submit(intent)
        _wait(lambda: bool(desk.journal.txs_for(intent.intent_id)))
        tx_hash = desk.journal.txs_for(intent.intent_id)[0].tx_hash
        if mined:
            _wait(lambda: world.rpc.receipt(tx_hash) is not None)
        else:
            _wait(lambda: world.rpc.call("eth_getTransactionByHash", tx_hash) is not None)
    finally:
        desk.close()
    return intent, tx_hash


def _restart(
    world: DevnetWorld, workdir: Path, wait_s: float = 5.0
) -> tuple[Desk, list[Reconciled]]:
    desk = Desk(world, workdir)
    desk.read_market()
    pending = [j.intent for j in desk.ledger.pending_intents()]
    return desk, desk.bridge.run(reconcile_pending(desk.client, pending, wait_s=wait_s))


def test_a_mined_transaction_is_booked_once_from_its_receipt(
    world: DevnetWorld, tmp_path: Path
) -> None:
    intent, tx_hash = _crash_after_send(world, tmp_path, mined=True)
    desk, results = _restart(world, tmp_path)
    try:
        (item,) = results
        assert item.action == "book" and item.tx_hash == tx_hash and item.result is not None
        fill = desk.client.fill_for(item.result, desk.market)
        desk.book(fill)
        with pytest.raises(DuplicateFill):
            desk.book(fill)
        assert fill.status is FillStatus.FILLED and fill.intent_id == intent.intent_id
        assert desk.ledger.pending_intents() == [] and len(desk.ledger.fills()) == 1
        assert desk.ledger.verify().ok
        # a second restart finds nothing left to do
        pending = [j.intent for j in desk.ledger.pending_intents()]
        assert desk.bridge.run(reconcile_pending(desk.client, pending, wait_s=1)) == []
    finally:
        desk.close()


def test_a_pending_transaction_is_waited_for(world: DevnetWorld, tmp_path: Path) -> None:
    _intent, tx_hash = _crash_after_send(world, tmp_path, mined=False)
    timer = threading.Timer(0.5, world.rpc.mine)
    timer.start()
    desk, results = _restart(world, tmp_path, wait_s=10)
    timer.join()
    try:
        (item,) = results
        assert item.action == "book" and item.tx_hash == tx_hash and item.result is not None
        assert item.result.kind == "landed"
        desk.book(desk.client.fill_for(item.result, desk.market))
        assert desk.ledger.verify().ok
    finally:
        desk.close()


def test_a_transaction_that_never_lands_is_cancelled_then_booked(
    world: DevnetWorld, tmp_path: Path
) -> None:
    intent, tx_hash = _crash_after_send(world, tmp_path, mined=False)
    desk, results = _restart(world, tmp_path, wait_s=0.5)  # nothing mines: wait, cancel, wait
    try:
        (item,) = results
        assert item.action == "unresolved"  # still pending: left for the next start
        records = desk.journal.txs_for(intent.intent_id)
        assert [r.purpose for r in records] == ["intent", "cancel"]
        assert records[0].nonce == records[1].nonce
    finally:
        desk.close()
    world.rpc.mine()  # the cancellation (higher fees) is what lands
    desk, results = _restart(world, tmp_path)
    try:
        (item,) = results
        assert item.action == "book" and item.result is not None
        assert item.result.kind == "cancelled" and item.tx_hash == records[1].tx_hash
        fill = desk.client.fill_for(item.result, desk.market)
        desk.book(fill)
        assert fill.status is FillStatus.FAILED and fill.costs.network > 0
        assert world.rpc.receipt(tx_hash) is None
        assert desk.ledger.verify().ok
    finally:
        desk.close()


def _journal_only(desk: Desk, world: DevnetWorld) -> tuple[OrderIntent, int]:
    """An intent journaled with a signed transaction that was never broadcast (a crash between
    the write-ahead hook and eth_sendRawTransaction)."""
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    desk.ledger.journal_intent(intent)
    key = world.deployment.account("arbitrageur").private_key.get_secret_value()
    signer = Signer(SecretKey.from_hex(key))
    nonce = world.rpc.nonce(signer.address)
    tx = {"type": 2, "chainId": world.deployment.chain_id, "nonce": nonce, "to": SINK,
          "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
          "data": b"", "accessList": []}  # fmt: skip
    signed = signer.sign_transaction(tx)
    desk.journal.record_signed(tx_hash=signed.tx_hash, intent_id=intent.intent_id,
                               purpose="intent", route="public", chain_id=31337,
                               sender=signer.address, nonce=nonce, raw=signed.raw)  # fmt: skip
    return intent, nonce


def test_never_broadcast_and_nonce_unused_is_abandoned(world: DevnetWorld, desk: Desk) -> None:
    intent, _ = _journal_only(desk, world)
    pending = [j.intent for j in desk.ledger.pending_intents()]
    (item,) = desk.bridge.run(reconcile_pending(desk.client, pending, wait_s=1))
    assert item.action == "abandon" and "never reached the node" in item.reason
    desk.ledger.resolve_intent(intent.intent_id, IntentStatus.ABANDONED, item.reason)
    assert desk.ledger.verify().ok


def test_nonce_used_by_another_transaction_is_abandoned(world: DevnetWorld, desk: Desk) -> None:
    _intent, nonce = _journal_only(desk, world)
    owner = world.account("arbitrageur")
    world.rpc.transact(owner, SINK, value=2, gas=21_000)  # takes the same nonce
    assert world.rpc.nonce(owner, "latest") == nonce + 1
    pending = [j.intent for j in desk.ledger.pending_intents()]
    (item,) = desk.bridge.run(reconcile_pending(desk.client, pending, wait_s=1))
    assert item.action == "abandon" and f"nonce {nonce} was used" in item.reason


def test_an_intent_with_no_signed_transaction_is_abandoned(world: DevnetWorld, desk: Desk) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    desk.ledger.journal_intent(intent)
    (item,) = desk.bridge.run(reconcile_pending(desk.client, [intent], wait_s=1))
    assert item.action == "abandon" and "no transaction was signed" in item.reason
