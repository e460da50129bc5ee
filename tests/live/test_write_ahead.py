"""Write ahead on the live send path.

- A hash recorded by ``EvmTxJournal.record_signed`` survives SIGKILL the moment the call returns
  (before any broadcast could happen), also across the journal's own checkpoints.
- The journal checkpoints in ``mark`` / ``mark_tx`` (after an outcome), never in
  ``record_signed`` (between signing and broadcasting).
- ``EvmLiveClient.submit(journaled=False)`` simulates at once but signs nothing before
  ``journaled``; ``withdraw`` leaves no transaction, no nonce and no outcome behind.
- ``LiveRun``: when the ledger cannot journal an intent, the error propagates and nothing is
  signed or sent for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from phantom.app.live_loop import LiveRun
from phantom.app.live_run import live_session
from phantom.app.settings import load_settings
from phantom.core.events import PoolUpdate
from phantom.devnet.world import DevnetWorld
from phantom.execution.evm_devnet import devnet_venue
from phantom.execution.evm_journal import CHECKPOINT_WRITES, EvmTxJournal
from phantom.risk.breaker import KillSwitch
from phantom.venues.evm.signer import SecretKey, Signer

from .live_support import Desk, dump_weth_on


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError("condition not met in time")


def _record(journal: EvmTxJournal, i: int) -> str:
    tx_hash = f"0x{i:064x}"
    journal.record_signed(
        tx_hash=tx_hash, intent_id=f"intent-{i}", purpose="intent", route="public",
        chain_id=31337, sender="0x" + "ab" * 20, nonce=i, raw=bytes([i % 256]) * 120,
    )  # fmt: skip
    return tx_hash


# -- the journal ---------------------------------------------------------------------------------


def test_a_recorded_hash_survives_sigkill_right_after_record_signed(tmp_path: Path) -> None:
    path = tmp_path / "evm_txs.sqlite"
    cycles = 3 * CHECKPOINT_WRITES  # several checkpoints, then a record and the kill
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from phantom.execution.evm_journal import EvmTxJournal
        journal = EvmTxJournal(Path({str(path)!r}))
        for i in range({cycles}):
            journal.record_signed(tx_hash=f"0x{{i:064x}}", intent_id=f"intent-{{i}}",
                purpose="intent", route="public", chain_id=31337, sender="0x" + "ab" * 20,
                nonce=i, raw=b"r" * 120)
            journal.mark(f"intent-{{i}}", "resolved", "landed")
        journal.record_signed(tx_hash="0x" + "ff" * 32, intent_id="last", purpose="intent",
            route="public", chain_id=31337, sender="0x" + "ab" * 20, nonce={cycles},
            raw=b"last")
        os.kill(os.getpid(), signal.SIGKILL)  # as if killed before the broadcast
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    journal = EvmTxJournal(path)
    try:
        records = journal.all()
        assert len(records) == cycles + 1
        assert [r.tx_hash for r in journal.open_records()] == ["0x" + "ff" * 32]
        assert journal.open_records()[0].raw == b"last"
        assert all(r.status == "resolved" for r in records[:-1])
    finally:
        journal.close()


def test_checkpoints_happen_in_mark_never_in_record_signed(tmp_path: Path) -> None:
    journal = EvmTxJournal(tmp_path / "evm_txs.sqlite")
    statements: list[str] = []
    journal.conn.set_trace_callback(statements.append)
    checkpoints_in: dict[str, int] = {"record_signed": 0, "mark": 0, "mark_tx": 0}
    try:
        for i in range(4 * CHECKPOINT_WRITES):
            for name, call in (
                ("record_signed", lambda i=i: _record(journal, i)),
                ("mark_tx" if i % 3 else "mark",
                 lambda i=i: journal.mark_tx(f"0x{i:064x}", "resolved") if i % 3
                 else journal.mark(f"intent-{i}", "resolved")),
            ):  # fmt: skip
                statements.clear()
                call()
                checkpoints_in[name] += sum("wal_checkpoint" in s for s in statements)
        assert checkpoints_in["record_signed"] == 0
        assert checkpoints_in["mark"] + checkpoints_in["mark_tx"] >= 3
        assert len(journal.all()) == 4 * CHECKPOINT_WRITES
        assert journal.open_records() == []
        # the WAL is recycled, not grown without bound
        wal = Path(str(journal.path) + "-wal")
        assert wal.stat().st_size < 4 * 1024 * 1024
    finally:
        journal.close()


# -- the gate on the devnet ------------------------------------------------------------------------


def test_held_submit_simulates_but_signs_nothing_until_journaled(
    world: DevnetWorld, desk: Desk
) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    desk.client.submit(intent, time.time(), journaled=False)
    report = desk.client.reports[intent.intent_id]
    _wait_for(lambda: report.t_simulated is not None)
    time.sleep(0.2)  # time enough to have signed and sent, were it allowed
    assert report.t_signed is None and report.tx_hash is None
    assert desk.journal.txs_for(intent.intent_id) == []
    desk.ledger.journal_intent(intent)
    desk.client.journaled(intent.intent_id)
    fill = desk.outcome()
    assert fill.succeeded and report.t_simulated < report.t_signed  # type: ignore[operator]
    assert [r.tx_hash for r in desk.journal.txs_for(intent.intent_id)] == [report.tx_hash]


def test_withdrawn_submit_leaves_no_transaction_nonce_or_outcome(
    world: DevnetWorld, desk: Desk
) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    nonce_before = world.rpc.nonce(desk.owner)
    desk.client.submit(intent, time.time(), journaled=False)
    desk.client.withdraw(intent.intent_id)
    assert desk.client.in_flight() == 0
    report = desk.client.reports[intent.intent_id]
    _wait_for(lambda: report.t_simulated is not None)  # it ran, and found the gate closed
    time.sleep(0.2)
    assert report.t_signed is None and report.tx_hash is None
    assert desk.client.due(time.time(), desk.market) == []
    assert desk.journal.txs_for(intent.intent_id) == []
    assert world.rpc.nonce(desk.owner) == nonce_before
    # the same key keeps working: the next intent lands at the untouched nonce
    desk.submit(desk.best_intent())
    assert desk.outcome().succeeded
    assert world.rpc.nonce(desk.owner) == nonce_before + 1


def test_live_run_sends_nothing_when_the_ledger_cannot_journal(
    world: DevnetWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(
        {
            "mode": "live", "enable_trading": True, "state_dir": str(tmp_path / "var"),
            "logs_dir": str(tmp_path / "logs"), "sandwich_risk_medium_bps": "100000",
            "sandwich_risk_high_bps": "100000",
        }
    )  # fmt: skip
    dep = world.deployment
    key = SecretKey.from_hex(dep.account("arbitrageur").private_key.get_secret_value())
    live = LiveRun(settings, live_session(tmp_path / "var", "wa", 0), devnet_venue(dep),
                   Signer(key), KillSwitch(), rpc_url=dep.rpc_url, ws_url=dep.ws_url,
                   relay_url=None)  # fmt: skip
    live.bridge.start()
    try:
        live._start()
        nonce_before = world.rpc.nonce(live.client.owner)
        dump_weth_on(world)
        spec = next(p for p in live.venue.pools if p.pool_id == "dexB:WETH/USDC")
        update = PoolUpdate(time.time(), spec.snapshot(*world.reserves("dexB", "WETH/USDC")))

        def refuse(intent: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(live.ledger, "journal_intent", refuse)
        with pytest.raises(OSError, match="disk full"):
            live._handle(update, feed=True)
        assert live.client.in_flight() == 0 and live.in_flight == {}
        time.sleep(0.5)  # the simulation it started finishes and finds the gate closed
        assert live.client.due(time.time(), live.market) == []
        assert live.journal.all() == []
        assert world.rpc.nonce(live.client.owner) == nonce_before
        assert live.ledger.pending_intents("arb") == []
    finally:
        live.bridge.run(live.client.aclose())
        live.bridge.stop()
        live.ledger.close()
        live.journal.close()


def test_kill_is_not_needed_for_the_hash_to_be_on_disk_before_broadcast(
    world: DevnetWorld, desk: Desk
) -> None:
    """At the moment of the broadcast the hash is already readable by another connection."""
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    seen: list[list[str]] = []
    rpc = desk.client.rpc
    send = rpc.send_raw_transaction

    async def spy(raw: bytes) -> str:
        other = EvmTxJournal(desk.journal.path)  # a second connection: committed data only
        try:
            seen.append([r.tx_hash for r in other.all()])
        finally:
            other.close()
        return await send(raw)

    rpc.send_raw_transaction = spy  # type: ignore[method-assign]
    desk.submit(intent)
    fill = desk.outcome()
    assert fill.succeeded
    report = desk.client.reports[intent.intent_id]
    assert seen == [[report.tx_hash]]
    assert os.path.exists(desk.journal.path)
