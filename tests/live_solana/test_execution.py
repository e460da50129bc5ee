"""Live execution on the local world, step by step: a cycle lands as one Jito bundle and is
booked from balances; the journal is written before the broadcast; slippage escalates the tier
(in simulation, or when the bundle fails on landing) without ever executing twice; a dropped
bundle is rebroadcast; a closed gap is refused at no cost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from phantom.core.fills import FillStatus
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.keystore import SolanaSigner

from .sol_live_support import Desk, open_gap

SYMBOLS = ("USDC", "JUP", "BONK")


@pytest.fixture
def desk(world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner) -> Iterator[Desk]:
    d = Desk(world, tmp_path, signer, max_slippage_bps=500)
    try:
        yield d
    finally:
        d.close()


def _wallet(world: LocalSolanaWorld, signer: SolanaSigner) -> dict[str, int]:
    out = {sym: world.token_balance(signer.pubkey, sym) for sym in SYMBOLS}
    out["SOL"] = world.sol_balance(signer.pubkey)
    return out


def _trade(desk: Desk, bps: int = 300) -> None:
    """Open a gap, let the engine send one cycle, then stop feeding it (what a partly closed
    gap does next, a second cycle or not, depends on when the next block's read arrives)."""
    open_gap(desk.world, bps)
    desk.step_until(lambda: desk.run.stats.sent >= 1)
    desk.run.feeding = False
    desk.settle()


def _summary(desk: Desk) -> dict[str, Any]:
    return desk.run.summary()


def test_a_cycle_lands_as_one_bundle_and_is_booked_from_balances(
    desk: Desk, world: LocalSolanaWorld, signer: SolanaSigner
) -> None:
    before = _wallet(world, signer)
    journaled_first: list[bool] = []
    jito = desk.run.client.jito
    send = jito.send_bundle

    async def checked_send(raws: list[bytes]) -> str:
        sigs = {str(VersionedTransaction.from_bytes(r).signatures[0]) for r in raws}
        known = {r.signature for r in desk.run.journal.all()}
        journaled_first.append(sigs <= known)
        return await send(raws)

    jito.send_bundle = checked_send  # type: ignore[method-assign]
    _trade(desk)
    assert journaled_first and all(journaled_first)  # write ahead, then broadcast
    (fill,) = desk.run.ledger.fills()
    assert fill.status is FillStatus.FILLED and fill.amount_out > fill.amount_in > 0
    after = _wallet(world, signer)
    booked = {d.token.symbol: d.amount for d in fill.deltas}
    assert {s: after[s] - before[s] for s in after} == {s: booked.get(s, 0) for s in after}
    records = desk.run.journal.txs_for(fill.intent_id)
    assert len(records) == 3 and {r.leg for r in records} == {0, 1, 2}
    assert {r.status for r in records} == {"resolved"}
    for rec in records:
        assert world.chain.status(rec.signature) is not None
    summary = _summary(desk)
    assert summary["trades"] == 1 and summary["tiers_used"] == {"100": 1}
    assert summary["tips_paid_lamports"] >= 1000 and summary["failures"] == {}
    assert set(summary["chain_minus_ledger"].values()) == {"0"}
    assert summary["ledger_ok"] is True
    assert fill.pnl_usd > 0 and fill.costs.tip > 0 and fill.costs.gas > 0


def test_slippage_in_simulation_escalates_to_the_next_tier(
    desk: Desk, world: LocalSolanaWorld
) -> None:
    world.faults.price_moves_bps = [150]  # the first /swap moves its pool: simulation sees it
    _trade(desk, bps=600)
    (fill,) = desk.run.ledger.fills()
    assert fill.status is FillStatus.FILLED
    report = desk.run.client.reports[fill.intent_id]
    assert report.tiers_tried == [100, 300] and report.attempts == 1  # nothing sent at 100
    summary = _summary(desk)
    assert summary["tiers_used"] == {"300": 1}
    assert set(summary["chain_minus_ledger"].values()) == {"0"} and summary["ledger_ok"]


def test_a_bundle_failing_on_landing_escalates_and_executes_once(
    desk: Desk, world: LocalSolanaWorld
) -> None:
    jito = desk.run.client.jito
    send = jito.send_bundle
    moved: list[str] = []

    async def front_run(raws: list[bytes]) -> str:
        if not moved:  # a trade queued just ahead of the first delivery: the bundle reverts
            (intent,) = desk.run.in_flight.values()
            leg = intent.legs[0]
            pool = next(p for p in world.pools if p.name == leg.pool_id)
            world.move_pool(pool, Pubkey.from_string(leg.token_in.address), 150, queue=True)
            moved.append(leg.pool_id)
        return await send(raws)

    jito.send_bundle = front_run  # type: ignore[method-assign]
    _trade(desk, bps=600)
    (fill,) = desk.run.ledger.fills()
    assert fill.status is FillStatus.FILLED
    records = desk.run.journal.txs_for(fill.intent_id)
    first = [r for r in records if r.attempt == 1]
    second = [r for r in records if r.attempt == 2]
    assert len(first) == 3 and len(second) == 3
    assert all(world.chain.status(r.signature) is None for r in first)  # reverted as a whole
    assert all(world.chain.status(r.signature) is not None for r in second)
    assert {r.tier_bps for r in second} == {300}
    summary = _summary(desk)
    assert summary["tiers_used"] == {"300": 1} and summary["trades"] == 1
    assert set(summary["chain_minus_ledger"].values()) == {"0"} and summary["ledger_ok"]


def test_a_dropped_bundle_is_rebroadcast_and_lands_once(
    desk: Desk, world: LocalSolanaWorld
) -> None:
    world.faults.drop_first_sends = 1
    _trade(desk)
    (fill,) = desk.run.ledger.fills()
    assert fill.status is FillStatus.FILLED
    first_sig = desk.run.client.reports[fill.intent_id].signatures[0]
    assert world.chain.sends_of(first_sig) >= 2
    summary = _summary(desk)
    assert summary["rebroadcasts"] >= 1 and summary["trades"] == 1
    assert set(summary["chain_minus_ledger"].values()) == {"0"} and summary["ledger_ok"]


def test_a_closed_gap_is_refused_at_no_cost(
    world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner
) -> None:
    desk = Desk(world, tmp_path, signer)  # default tolerance: 50 bps on the cycle's output
    try:
        before = _wallet(world, signer)
        world.faults.price_moves_bps = [400]
        _trade(desk)
        (fill,) = desk.run.ledger.fills()
        assert fill.status is FillStatus.FAILED
        assert fill.failure_reason.startswith("unprofitable")
        assert fill.deltas == () and fill.costs.total == 0
        assert desk.run.journal.txs_for(fill.intent_id) == []  # nothing was ever signed
        summary = _summary(desk)
        assert summary["failures"] == {"unprofitable": 1}
        assert set(summary["chain_minus_ledger"].values()) == {"0"}
        wallet = _wallet(world, signer)
        assert wallet == before
    finally:
        desk.close()
