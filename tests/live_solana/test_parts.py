"""The parts: pool states from vault balances, the signature journal, the outcome of signatures
the chain never saw, and the engine's bundle cost estimate."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from phantom.app.live_solana_config import BundleCosts
from phantom.app.live_solana_world import SOL, describe
from phantom.core.events import MarketEvent, PoolUpdate
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.pool import ConstantProductPool
from phantom.execution.solana_journal import SignedTx, SolanaTxJournal
from phantom.execution.solana_reconcile import read_outcome
from phantom.localsolana.world import LocalSolanaWorld
from phantom.market.solana_source import SolanaPoolSource
from phantom.market.state import MarketState
from phantom.venues.solana.router import EndpointConfig, SmartRouter
from phantom.venues.solana.rpc import SolanaRpc

from .sol_live_support import open_gap, wait_for


def test_pool_states_come_from_the_vaults_once_per_block(world: LocalSolanaWorld) -> None:
    venue = describe(world, "w").venue()
    events: list[MarketEvent] = []

    async def scenario() -> tuple[int, int, int]:
        router = SmartRouter([EndpointConfig(url=world.rpc_url)])
        source = SolanaPoolSource(router, venue.pools, events.append)
        try:
            await source.snapshot()
            first = len(events)
            unchanged = await source.poll_once()  # nothing moved: nothing emitted
            open_gap(world, 100)
            height = world.chain.height
            await asyncio.to_thread(wait_for, lambda: world.chain.height > height, 5, "a block")
            return first, unchanged, await source.poll_once()
        finally:
            await router.aclose()

    first, unchanged, moved_count = asyncio.run(scenario())
    assert (first, unchanged, moved_count) == (len(venue.pools), 0, 1)  # one moved: one update
    moved = events[-1]
    assert isinstance(moved, PoolUpdate) and moved.pool.pool_id == "USDC-JUP"
    assert isinstance(moved.pool, ConstantProductPool)
    pool = world.pools[0]
    r_usdc, r_jup = world.reserves(pool, world.mints["USDC"])
    assert (moved.pool.reserve0, moved.pool.reserve1) == (r_usdc, r_jup)


def test_reference_prices_come_from_the_usdc_pools(world: LocalSolanaWorld) -> None:
    from phantom.market.evm_source import ReferencePrices

    venue = describe(world, "w").venue()
    market = MarketState()

    async def scenario() -> None:
        router = SmartRouter([EndpointConfig(url=world.rpc_url)])
        prices = ReferencePrices({"USDC": 1.0, "SOL": 150.0}, ("USDC-JUP", "BONK-USDC"))
        try:
            await SolanaPoolSource(router, venue.pools, market.apply, prices=prices).snapshot()
        finally:
            await router.aclose()

    asyncio.run(scenario())
    tokens = {t.symbol: t for t in venue.tokens().values()}
    assert abs(market.price_usd(tokens["JUP"]) - 0.5) < 1e-9
    assert abs(market.price_usd(tokens["BONK"]) - 0.000025) < 1e-12
    assert market.price_usd(SOL) == 150.0


def test_the_journal_commits_an_attempt_whole_and_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    journal = SolanaTxJournal(path)
    txs = [SignedTx(f"sig{k}", k, bytes([k]) * 70) for k in range(3)]
    journal.record_attempt(intent_id="i1", attempt=1, tier_bps=100, last_valid_block_height=99,
                           route="jito_bundle", signer="me", tip_lamports=1000,
                           txs=txs)  # fmt: skip
    journal.record_attempt(intent_id="i1", attempt=1, tier_bps=100, last_valid_block_height=99,
                           route="jito_bundle", signer="me", tip_lamports=1000,
                           txs=txs[:1])  # fmt: skip  # a repeat changes nothing
    journal.close()
    again = SolanaTxJournal(path)
    try:
        rows = again.txs_for("i1")
        assert [(r.signature, r.leg, r.raw) for r in rows] == [
            (t.signature, t.leg, t.raw) for t in txs
        ]
        assert {r.status for r in again.open_records()} == {"signed"}
        assert again.mark("i1", "resolved", "booked") == 3 and again.open_records() == []
    finally:
        again.close()


def test_signatures_the_chain_never_saw_are_unknown_until_expiry(
    world: LocalSolanaWorld, tmp_path: Path
) -> None:
    journal = SolanaTxJournal(tmp_path / "j.sqlite")
    sig = "5" * 87
    height = world.chain.height
    journal.record_attempt(intent_id="i", attempt=1, tier_bps=100,
                           last_valid_block_height=height + 2, route="jito_bundle", signer="me",
                           tip_lamports=1000, txs=[SignedTx(sig, 0, b"x" * 80)])  # fmt: skip

    async def outcomes() -> list[str]:
        router = SmartRouter([EndpointConfig(url=world.rpc_url)])
        rpc = SolanaRpc(router)
        try:
            records = journal.txs_for("i")
            early = await read_outcome(rpc, records, "confirmed")
            await asyncio.to_thread(wait_for, lambda: world.chain.height > height + 2, 5, "expiry")
            late = await read_outcome(rpc, records, "confirmed")
            return [early.state, late.state]
        finally:
            await router.aclose()

    try:
        assert asyncio.run(outcomes()) == ["unknown", "expired"]
    finally:
        journal.close()


def test_bundle_costs_price_every_signature_the_priority_fees_and_one_tip() -> None:
    schedule = SolanaFeeSchedule(5000, 10_000, 300_000, 1000)
    costs = BundleCosts(schedule, SOL, signatures_per_leg=2)
    assert costs.lamports(3) == (30_000, 6000, 1000)
    market = MarketState()
    market.set_price("SOL", 100.0)
    breakdown = costs((), market)  # no legs: only the tip
    assert breakdown.tip == Decimal("0.0001") and breakdown.gas == 0
