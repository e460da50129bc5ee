"""Paper execution: the queue, latency, determinism, failures and the slippage bound."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from exec_support import (
    BASE_PLUS_PRIORITY,
    SOL,
    USDC,
    client,
    intent,
    market,
    orca_sol_usdc,
    params,
    raydium_sol_usdc,
    run_one,
    seed_params,
    usdc_to_sol,
)

from phantom.amm.swap import quote
from phantom.core.fills import FillStatus
from phantom.core.orders import Route
from phantom.execution import ExecutionClient, PaperExecutionClient, RefusedIntent
from phantom.execution.fill_builder import fill_id_for


def _conforms(c: ExecutionClient) -> ExecutionClient:
    return c


def test_paper_client_implements_the_interface() -> None:
    c = client()
    assert _conforms(c) is c
    assert c.next_due() is None
    assert c.in_flight() == 0


def test_latency_is_within_bounds_and_nothing_fills_before_arrival() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client(params(execution_delay_min_ms=300, execution_delay_max_ms=900))
    arrivals = [c.submit(usdc_to_sol(f"i{n}", 100, ray), sent_at=10.0) for n in range(50)]
    assert all(10.3 <= a <= 10.9 for a in arrivals)
    assert len(set(arrivals)) > 40  # sampled, not constant
    assert c.in_flight() == 50
    assert c.next_due() == min(arrivals)
    assert c.due(min(arrivals) - 1e-6, state) == []
    outcomes = c.due(10.9, state)
    assert [o.fill.arrived_at for o in outcomes] == sorted(arrivals)
    assert c.in_flight() == 0 and c.next_due() is None


def test_fill_uses_the_pool_state_at_arrival_not_at_signal() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client()
    order = usdc_to_sol("late", 1_000, ray, slippage_bps=100)
    arrival = c.submit(order, sent_at=0.0)
    moved = raydium_sol_usdc(sol=49_900, usdc=7_515_000)  # someone bought SOL meanwhile
    state.set_pool(moved)
    fill = c.due(arrival, state)[0].fill
    assert fill.status is FillStatus.FILLED
    assert fill.amount_out == quote(moved, USDC, order.amount_in)
    assert fill.amount_out < order.expected_amount_out
    assert fill.costs.slippage > 0
    assert fill.arrived_at == arrival and fill.sent_at == 0.0


def test_same_seed_gives_identical_fills_and_another_seed_does_not() -> None:
    def run(seed: int) -> list[object]:
        ray, orca = raydium_sol_usdc(), orca_sol_usdc()
        state = market(ray, orca)
        c = client(seed_params(mev_risk_rate_pct=50.0, partial_fill_rate_pct=30.0), seed=seed)
        for n in range(200):
            pool = orca if n % 2 else ray
            c.submit(usdc_to_sol(f"i{n}", 500 + 97 * n, pool, slippage_bps=100), sent_at=n * 0.5)
        fills: list[object] = []
        while (t := c.next_due()) is not None:
            for outcome in c.due(t, state):
                for pool_after in outcome.pool_changes:
                    state.set_pool(pool_after)
                fills.append(outcome.fill)
        return fills

    first, again, other = run(11), run(11), run(12)
    assert len(first) == 200
    assert first == again
    assert first != other
    statuses = {f.status for f in first}  # type: ignore[attr-defined]
    assert statuses == {FillStatus.FILLED, FillStatus.PARTIAL, FillStatus.FAILED}


def test_failed_transaction_pays_base_and_priority_fee_only() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client(params(transaction_failure_rate_pct=100.0))
    for route in Route:
        order = replace(usdc_to_sol(f"f-{route}", 1_000, ray), route=route, signatures=2)
        outcome = run_one(c, order, state)
        fill = outcome.fill
        assert fill.status is FillStatus.FAILED and not fill.succeeded
        assert fill.failure_reason == "dropped or reverted by the network"
        assert outcome.pool_changes == ()
        lamports = 2 * 5000 + 3000
        assert [(d.token, d.amount) for d in fill.deltas] == [(SOL, -lamports)]
        assert fill.costs.gas == Decimal("0.0015")  # 10_000 lamports at $150
        assert fill.costs.priority_fee == Decimal("0.00045")
        assert fill.costs.tip == 0 and fill.costs.fee == 0 and fill.costs.mev == 0
        assert fill.pnl_usd == -fill.costs.network
        assert fill.amount_in == 0 and fill.amount_out == 0 and fill.fill_fraction == 0


def test_failure_frequency_matches_the_rate() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client(params(transaction_failure_rate_pct=5.0), seed=3)
    for n in range(2_000):
        c.submit(usdc_to_sol(f"i{n}", 10, ray, slippage_bps=300), sent_at=float(n))
    fills = [o.fill for o in c.due(3_000.0, state)]
    failed = sum(f.status is FillStatus.FAILED for f in fills)
    assert len(fills) == 2_000
    assert 70 <= failed <= 130  # expected 100, sd ~9.7


def test_slippage_bound_reverts_and_pays_no_tip() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client()
    for route in (Route.PUBLIC, Route.PRIVATE):
        order = usdc_to_sol(f"tight-{route}", 1_000, ray, slippage_bps=0, route=route)
        state.set_pool(ray)
        arrival = c.submit(order, 0.0)
        state.set_pool(raydium_sol_usdc(sol=49_990, usdc=7_501_500))  # price moved against us
        outcome = c.due(arrival, state)[0]
        fill = outcome.fill
        got = quote(state.pool(ray.pool_id), USDC, order.amount_in)
        assert fill.status is FillStatus.FAILED
        assert fill.failure_reason == f"slippage: output {got} < min {order.min_amount_out}"
        assert [(d.token, d.amount) for d in fill.deltas] == [(SOL, -BASE_PLUS_PRIORITY)]
        assert fill.costs.tip == 0
        assert outcome.pool_changes == ()


def test_a_swap_the_pool_cannot_serve_reverts() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    dust = intent("dust", [(ray, SOL, USDC)], amount_in=1, min_amount_out=0)  # 1 lamport -> 0
    outcome = run_one(client(), dust, state)
    assert outcome.fill.status is FillStatus.FAILED
    assert outcome.fill.failure_reason.startswith("insufficient liquidity in ray-sol-usdc")
    assert outcome.pool_changes == ()


def test_fill_id_is_derived_from_the_intent_and_duplicates_are_refused() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client()
    order = usdc_to_sol("dup", 100, ray)
    c.submit(order, 0.0)
    with pytest.raises(ValueError, match="already in flight"):
        c.submit(order, 0.1)
    fill = c.due(5.0, state)[0].fill
    assert fill.fill_id == fill_id_for("dup") == "dup:fill"
    with pytest.raises(ValueError, match="sent_at"):
        c.submit(usdc_to_sol("nan", 100, ray), float("nan"))


def test_unpriceable_intent_is_refused_and_the_others_stay_queued() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client()
    good = usdc_to_sol("good", 100, ray)
    unknown_pool = usdc_to_sol("no-liquidity", 100, ray)
    unknown_pool = replace(unknown_pool, legs=(replace(unknown_pool.legs[0], pool_id="nowhere"),))
    c.submit(good, 0.0)
    c.submit(unknown_pool, 0.0)
    with pytest.raises(RefusedIntent, match="no-liquidity.*liquidity_usd="):
        c.due(5.0, state)
    assert c.in_flight() == 1
    assert [o.fill.intent_id for o in c.due(5.0, state)] == ["good"]


def test_token_without_a_price_is_refused() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    state2 = type(state)([ray])
    state2.set_price("SOL", 150.0)  # USDC has no reference price
    c: PaperExecutionClient = client()
    c.submit(usdc_to_sol("x", 100, ray), 0.0)
    with pytest.raises(RefusedIntent, match="USDC is unknown to the market"):
        c.due(5.0, state2)
