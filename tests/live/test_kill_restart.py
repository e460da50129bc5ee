"""SIGKILL between send and receipt: after the restart the fill is booked exactly once."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

from phantom.devnet.world import DevnetWorld
from phantom.portfolio.ledger import Ledger

from .live_support import dump_weth_pending
from .proc_support import ledger_path, prepare, start


def _journaled_and_broadcast(tmp: Path, world: DevnetWorld) -> str | None:
    for path in (tmp / "var" / "sessions").glob("live-*/evm_txs.sqlite"):
        con = sqlite3.connect(path)
        try:
            rows = con.execute("SELECT tx_hash FROM evm_txs").fetchall()
        except sqlite3.OperationalError:  # the file exists, its table not yet
            rows = []
        finally:
            con.close()
        for (tx_hash,) in rows:
            if world.rpc.call("eth_getTransactionByHash", tx_hash) is not None:
                return str(tx_hash)
    return None


def test_kill_between_send_and_receipt_books_the_fill_exactly_once(
    world: DevnetWorld, tmp_path: Path
) -> None:
    env = prepare(world, tmp_path)
    world.rpc.set_automine(False)  # the arbitrage will wait in the pool: kill it there
    proc = start(tmp_path, env, "--duration", "120", tag="first")
    try:
        dump_weth_pending(world)
        world.rpc.mine()  # the gap opens; the live process sees the Sync logs and sends
        deadline = time.monotonic() + 45
        tx_hash = None
        while tx_hash is None and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "first.stderr").read_text()
            time.sleep(0.05)
            if (tmp_path / "var" / "sessions").exists():
                tx_hash = _journaled_and_broadcast(tmp_path, world)
        assert tx_hash is not None, "the live process never sent its arbitrage"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert world.rpc.receipt(tx_hash) is None  # killed between send and receipt
    world.rpc.mine()
    receipt = world.rpc.receipt(tx_hash)
    assert receipt is not None and receipt["status"] == "0x1"
    ledger = Ledger(ledger_path(tmp_path))
    try:
        (pending,) = ledger.pending_intents()
        assert ledger.fills() == []
    finally:
        ledger.close()

    world.rpc.set_automine(True)
    summary_path = tmp_path / "summary.json"
    again = start(
        tmp_path, env, "--duration", "2", "--summary-json", str(summary_path), tag="again"
    )
    assert again.wait(timeout=60) == 0, (tmp_path / "again.stderr").read_text()
    summary = json.loads(summary_path.read_text())
    assert summary["reconciled"] == {"book": 1}
    assert summary["ledger_ok"] is True
    assert set(summary["chain_minus_ledger"].values()) == {"0"}
    ledger = Ledger(ledger_path(tmp_path))
    try:
        fills = [f for f in ledger.fills() if f.intent_id == pending.intent_id]
        assert len(fills) == 1 and fills[0].status.value == "filled"
        assert any(tx_hash in note for note in fills[0].notes)
        assert ledger.pending_intents() == []
        assert ledger.verify().ok
    finally:
        ledger.close()
