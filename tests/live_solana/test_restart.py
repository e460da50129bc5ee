"""Restart reconciliation by signature.

- SIGKILL of a live process between the bundle's landing and its confirmation (the world's slow
  confirmations): after the restart the fill is booked exactly once and the ledger verifies.
- A crash after the signatures were journaled, with the bundle never landing (the world drops
  it): the restart waits until the blockhash expires and abandons the intent.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

from phantom.core.fills import FillStatus
from phantom.localsolana.world import LocalSolanaWorld
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.venues.solana.keystore import SolanaSigner

from .sol_live_support import (
    FAST,
    Desk,
    only_session_dir,
    open_gap,
    publish,
    start_live,
    subprocess_env,
    wait_for,
)


def _journaled(tmp: Path) -> list[str]:
    sigs: list[str] = []
    for path in (tmp / "var" / "sessions").glob("live-solana-local-*/solana_txs.sqlite"):
        con = sqlite3.connect(path)
        try:
            sigs += [str(r[0]) for r in con.execute("SELECT signature FROM solana_txs")]
        except sqlite3.OperationalError:  # the file exists, its table not yet
            pass
        finally:
            con.close()
    return sigs


def test_kill_between_send_and_confirmation_books_the_fill_exactly_once(
    world: LocalSolanaWorld, tmp_path: Path, key_path: Path, signer: SolanaSigner
) -> None:
    publish(world, tmp_path, key_path)
    world.faults.confirm_after_blocks = 40  # landed ("processed") for 2 s before "confirmed"
    open_gap(world, 300)  # already open at start: the first look at the pools trades it
    env = subprocess_env(tmp_path)
    proc = start_live(tmp_path, env, FAST, "--duration", "60", tag="first")
    landed: list[str] = []
    try:

        def processed() -> bool:
            assert proc.poll() is None, (tmp_path / "first.stderr").read_text()
            landed[:] = [s for s in _journaled(tmp_path) if world.chain.status(s) is not None]
            return bool(landed)

        wait_for(processed, 45, "the bundle to land")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    statuses = [world.chain.status(s) for s in landed]
    assert all(s is not None and s["confirmationStatus"] == "processed" for s in statuses)
    ledger = Ledger(only_session_dir(tmp_path) / "ledger.sqlite")
    try:
        (pending,) = ledger.pending_intents()
        assert ledger.fills() == []
    finally:
        ledger.close()

    summary_path = tmp_path / "summary.json"
    again = start_live(tmp_path, env, FAST, "--duration", "1", "--summary-json",
                       str(summary_path), tag="again")  # fmt: skip
    assert again.wait(timeout=60) == 0, (tmp_path / "again.stderr").read_text()
    summary = json.loads(summary_path.read_text())
    assert summary["reconciled"] == {"book": 1}
    assert summary["ledger_ok"] is True
    assert set(summary["chain_minus_ledger"].values()) == {"0"}
    ledger = Ledger(only_session_dir(tmp_path) / "ledger.sqlite")
    try:
        fills = [f for f in ledger.fills() if f.intent_id == pending.intent.intent_id]
        assert len(fills) == 1 and fills[0].status is FillStatus.FILLED
        assert all(any(sig in note for note in fills[0].notes) for sig in landed)
        assert ledger.pending_intents() == []
        assert ledger.verify().ok
    finally:
        ledger.close()


def test_a_journaled_bundle_that_never_lands_is_abandoned_after_expiry(
    world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner
) -> None:
    world.faults.blockhash_validity_blocks = 30  # 1.5 s
    world.faults.blackhole_first_txs = 1_000  # every bundle vanishes
    desk = Desk(world, tmp_path, signer)
    open_gap(world, 300)
    desk.step_until(lambda: bool(desk.run.journal.all()))
    records = desk.run.journal.all()
    intent_id = records[0].intent_id
    desk.close()  # the crash: the client is abandoned mid-flight
    world.faults.blackhole_first_txs = 0
    again = Desk(world, tmp_path, signer)
    try:
        assert again.run.reconciled == {"abandon": 1}
        # it waited until no journaled signature could land any more
        assert world.chain.height > max(r.last_valid_block_height for r in records)
        journaled = again.run.ledger.intent(intent_id)
        assert journaled is not None and journaled.status is IntentStatus.ABANDONED
        assert [f for f in again.run.ledger.fills() if f.intent_id == intent_id] == []
        assert all(r.status == "resolved" for r in again.run.journal.txs_for(intent_id))
        assert again.run.ledger.verify().ok
    finally:
        again.close()
