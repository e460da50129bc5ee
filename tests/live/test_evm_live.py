"""The live EVM execution client on the devnet: every outcome is built from the receipt."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from phantom.core.fills import FillStatus
from phantom.core.orders import Route, SwapLeg
from phantom.devnet.deploy import FAR_DEADLINE
from phantom.devnet.relay import DevnetRelay
from phantom.devnet.world import DevnetWorld
from phantom.execution.evm_report import chain_balances
from phantom.risk.breaker import CircuitBreaker

from .live_support import Desk, dump_weth_on

GWEI = 10**9


def _wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def test_profitable_arbitrage_lands_and_is_booked_from_the_receipt(
    world: DevnetWorld, desk: Desk
) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    tracked = (*desk.venue.tokens.values(), desk.venue.native)
    before = desk.bridge.run(chain_balances(desk.client.rpc, desk.owner, tracked))
    desk.submit(intent)
    fill = desk.outcome()
    desk.book(fill)
    after = desk.bridge.run(chain_balances(desk.client.rpc, desk.owner, tracked))
    report = desk.client.reports[intent.intent_id]

    assert fill.status is FillStatus.FILLED and report.outcome == "landed"
    # Realized from the Transfer logs; nothing intervened, so it equals the prediction exactly.
    assert report.realized_profit == report.simulated_profit == report.predicted_profit
    assert report.realized_profit is not None and report.realized_profit > 0
    deltas = {d.token.symbol: d.amount for d in fill.deltas}
    base = intent.token_in
    assert deltas[base.symbol] == after[base] - before[base] == report.realized_profit
    fee_wei = (report.gas_used or 0) * (report.effective_gas_price or 0)
    assert (
        fee_wei > 0
        and deltas["ETH"] == -fee_wei == after[desk.venue.native] - before[desk.venue.native]
    )
    # Gas split: base fee burnt (gas) + tip (priority fee), worth the fee paid.
    eth_usd = Decimal(repr(desk.market.price_usd(desk.venue.native)))
    paid_usd = Decimal(fee_wei).scaleb(-18) * eth_usd
    assert abs(fill.costs.gas + fill.costs.priority_fee - paid_usd) < Decimal("1e-9")
    assert fill.costs.priority_fee > 0 and fill.costs.tip == 0 and fill.costs.mev == 0
    # Predicted vs realized (net of gas): equal up to the gas estimate's error.
    gas_error = abs(fill.costs.network - intent.expected_costs.network)
    assert abs(fill.pnl_usd - intent.expected_profit_usd) <= gas_error + Decimal("1e-6")
    # Written ahead: the journal holds the hash and nonce of what landed.
    (record,) = desk.journal.txs_for(intent.intent_id)
    assert record.tx_hash == report.tx_hash and record.nonce == report.nonce
    assert record.purpose == "intent" and record.route == "public"
    assert desk.ledger.verify().ok


def test_simulation_refusal_costs_nothing_and_sends_nothing(world: DevnetWorld, desk: Desk) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    world.reset()  # the gap is gone on chain; the engine's view is now stale
    owner = desk.owner
    eth, nonce = world.rpc.balance(owner), world.rpc.nonce(owner)
    desk.submit(intent)
    fill = desk.outcome()
    desk.book(fill)
    assert fill.status is FillStatus.FAILED
    assert fill.failure_reason == "simulation: PhantomArb: profit below minimum"
    assert fill.deltas == () and fill.costs.total == 0 and fill.pnl_usd == 0
    assert world.rpc.balance(owner) == eth and world.rpc.nonce(owner) == nonce
    assert desk.journal.txs_for(intent.intent_id) == []
    assert desk.ledger.verify().ok


def test_onchain_revert_pays_gas_and_trips_the_breaker(world: DevnetWorld, desk: Desk) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    world.rpc.set_automine(False)
    desk.submit(intent)
    _wait_for(lambda: bool(desk.journal.txs_for(intent.intent_id)))
    (record,) = desk.journal.txs_for(intent.intent_id)
    _wait_for(lambda: world.rpc.call("eth_getTransactionByHash", record.tx_hash) is not None)
    # A competitor closes the gap first (higher fee: anvil orders the block by fee).
    dep, trader = world.deployment, world.account("trader")
    route = [dep.address("USDC"), dep.address("WETH")]
    fn = "swapExactTokensForTokens"
    data = world.calldata("UniswapV2Router02", fn, 80_000 * 10**6, 0, route, trader, FAR_DEADLINE)
    world.rpc.send(trader, dep.address("dexB.router"), data, gas=250_000,
                   maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=10 * GWEI)  # fmt: skip
    world.rpc.mine()
    fill = desk.outcome()
    desk.book(fill)
    assert fill.status is FillStatus.FAILED
    assert fill.failure_reason.startswith("reverted: PhantomArb: profit below minimum")
    report = desk.client.reports[intent.intent_id]
    assert report.outcome == "reverted" and report.gas_used
    fee_wei = report.gas_used * (report.effective_gas_price or 0)
    assert {d.token.symbol: d.amount for d in fill.deltas} == {"ETH": -fee_wei}
    assert fill.costs.network > 0 and fill.pnl_usd == -fill.costs.network
    breaker = CircuitBreaker(max_consecutive_failures=1, cooldown_s=60)
    now = time.time()
    breaker.on_fill(fill, now)
    assert breaker.trips == 1 and breaker.is_open(now)
    assert desk.ledger.verify().ok


def test_private_route_goes_through_the_relay(world: DevnetWorld, tmp_path: Path) -> None:
    with DevnetRelay(world.deployment.rpc_url) as relay:
        desk = Desk(world, tmp_path, relay_url=relay.url)
        try:
            dump_weth_on(world)
            desk.read_market()
            desk.open_vault()
            intent = desk.best_intent(route=Route.PRIVATE)
            desk.submit(intent)
            fill = desk.outcome()
            desk.book(fill)
            report = desk.client.reports[intent.intent_id]
        finally:
            desk.close()
    assert fill.status is FillStatus.FILLED and fill.route is Route.PRIVATE
    assert report.realized_profit == report.simulated_profit and report.realized_profit
    (event,) = relay.events
    assert event.method == "eth_sendPrivateTransaction" and event.tx_hashes == (report.tx_hash,)
    assert event.block_number == report.block_number


def test_receipt_timeout_cancels_and_books_the_cancellation(
    world: DevnetWorld, tmp_path: Path
) -> None:
    desk = Desk(world, tmp_path, receipt_timeout_s=1.0)
    try:
        dump_weth_on(world)
        desk.read_market()
        desk.open_vault()
        intent = desk.best_intent()
        world.rpc.set_automine(False)
        desk.submit(intent)
        _wait_for(lambda: len(desk.journal.txs_for(intent.intent_id)) == 2, timeout=15)
        cancel_hash = desk.journal.txs_for(intent.intent_id)[1].tx_hash
        # journaled before its broadcast: wait until the node has it, then mine
        _wait_for(lambda: world.rpc.call("eth_getTransactionByHash", cancel_hash) is not None)
        world.rpc.mine()  # the cancellation replaced the order in the pool: it is what lands
        fill = desk.outcome()
        desk.book(fill)
        original, cancel = desk.journal.txs_for(intent.intent_id)
    finally:
        desk.close()
    assert (original.purpose, cancel.purpose) == ("intent", "cancel")
    assert original.nonce == cancel.nonce
    assert fill.status is FillStatus.FAILED and fill.failure_reason.startswith("timeout:")
    assert world.rpc.receipt(original.tx_hash) is None
    assert [d.token.symbol for d in fill.deltas] == ["ETH"] and fill.costs.network > 0


def test_unsupported_intent_is_refused_without_sending(world: DevnetWorld, desk: Desk) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()
    v = desk.venue
    usdc, weth, wbtc = v.token("USDC"), v.token("WETH"), v.token("WBTC")
    legs = (
        SwapLeg("dexA:WETH/USDC", usdc, weth),
        SwapLeg("dexA:WETH/WBTC", weth, wbtc),
        SwapLeg("dexB:WETH/WBTC", wbtc, weth),
    )
    three = replace(intent, intent_id="three-legs", legs=legs)
    desk.submit(three)
    fill = desk.outcome()
    assert fill.status is FillStatus.FAILED and fill.failure_reason.startswith("unsupported:")
    assert fill.costs.total == 0 and fill.deltas == ()


def test_a_failed_write_ahead_sends_nothing(
    world: DevnetWorld, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump_weth_on(world)
    desk.read_market()
    desk.open_vault()
    intent = desk.best_intent()

    def broken(**_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(desk.journal, "record_signed", broken)
    owner = desk.owner
    nonce = world.rpc.nonce(owner, "latest")
    desk.submit(intent)
    fill = desk.outcome()
    assert fill.status is FillStatus.FAILED and "disk full" in fill.failure_reason
    assert fill.costs.total == 0
    assert world.rpc.nonce(owner, "pending") == world.rpc.nonce(owner, "latest") == nonce
