"""Paper execution: sandwiches on public routes, private routes, tight routes, the MEV penalty."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from exec_support import (
    SOL,
    USDC,
    client,
    intent,
    market,
    orca_sol_usdc,
    params,
    raydium_sol_usdc,
    run_one,
    usdc_to_sol,
)

from phantom.amm.sandwich import best_sandwich
from phantom.amm.swap import quote
from phantom.core.fills import FillStatus
from phantom.core.orders import IntentKind, Route
from phantom.execution import RoutePolicy

ALWAYS_SEEN = params(mev_risk_rate_pct=100.0)


def test_public_loose_order_is_sandwiched_down_to_its_bound() -> None:
    orca = orca_sol_usdc()
    state = market(orca)
    order = usdc_to_sol("loose", 100_000, orca, slippage_bps=300)
    outcome = run_one(client(ALWAYS_SEEN), order, state)
    fill = outcome.fill
    expected = best_sandwich(orca, USDC, order.amount_in, order.min_amount_out)
    assert expected is not None
    assert fill.sandwiched and fill.status is FillStatus.FILLED
    assert fill.amount_out == expected.victim_out
    assert order.min_amount_out <= fill.amount_out
    assert (fill.amount_out - order.min_amount_out) / order.min_amount_out < 1e-4
    clean_loss = order.expected_amount_out - fill.amount_out
    assert fill.costs.mev == Decimal(clean_loss).scaleb(-9) * 150
    assert fill.costs.mev > Decimal(2_000)  # most of the 3 % slack went to the bot
    assert outcome.pool_changes == (expected.pool_after,)  # front-run, ours, back-run


def test_bot_skips_a_sandwich_that_does_not_pay_its_fees() -> None:
    ray = raydium_sol_usdc()  # 0.25 % fee: a 10k order in a 15M pool cannot be sandwiched
    state = market(ray)
    order = usdc_to_sol("small", 10_000, ray, slippage_bps=100)
    outcome = run_one(client(ALWAYS_SEEN), order, state)
    assert not outcome.fill.sandwiched
    assert outcome.fill.amount_out == order.expected_amount_out
    assert outcome.fill.costs.mev == 0
    assert any("not worth it" in note for note in outcome.fill.notes)


def test_bot_needs_more_than_its_minimum_profit() -> None:
    orca = orca_sol_usdc()
    state = market(orca)
    order = usdc_to_sol("loose", 100_000, orca, slippage_bps=300)
    picky = replace(ALWAYS_SEEN, mev_attacker_min_profit_usd=Decimal(1_000_000))
    assert not run_one(client(picky), order, state).fill.sandwiched


def test_private_order_is_never_sandwiched_and_pays_the_tip() -> None:
    orca = orca_sol_usdc()
    state = market(orca)
    c = client(ALWAYS_SEEN)
    for n in range(20):
        order = usdc_to_sol(f"p{n}", 100_000, orca, slippage_bps=300, route=Route.PRIVATE)
        outcome = run_one(c, order, state, sent_at=float(n))
        fill = outcome.fill
        assert not fill.sandwiched and fill.costs.mev == 0
        assert fill.amount_out == quote(orca, USDC, order.amount_in)
        assert fill.costs.tip == Decimal("0.00015")  # 1000 lamports at $150
        sol_delta = next(d.amount for d in fill.deltas if d.token == SOL)
        assert sol_delta == fill.amount_out - (5000 + 3000 + 1000)


def test_tight_route_reduces_mev() -> None:
    orca = orca_sol_usdc()
    state = market(orca)
    loose = usdc_to_sol("loose", 100_000, orca, slippage_bps=300)
    tight = RoutePolicy(Decimal(2), Decimal(10_000), 10).tighten(loose)
    assert tight.route is Route.PUBLIC_TIGHT and tight.min_amount_out > loose.min_amount_out
    loose_fill = run_one(client(ALWAYS_SEEN), loose, state).fill
    tight_fill = run_one(client(ALWAYS_SEEN), replace(tight, intent_id="tight"), state).fill
    assert tight_fill.costs.mev < loose_fill.costs.mev / 10
    assert tight_fill.amount_out >= tight.min_amount_out
    assert tight_fill.amount_out > loose_fill.amount_out


def test_multi_leg_cycle_bound_is_translated_to_the_first_leg() -> None:
    cheap = orca_sol_usdc(price=148.0)
    ray = raydium_sol_usdc()
    state = market(cheap, ray)
    size = 20_000 * USDC.one
    cycle = intent(
        "cycle",
        [(cheap, USDC, SOL), (ray, SOL, USDC)],
        size,
        kind=IntentKind.ARBITRAGE,
        min_amount_out=size,  # break-even: everything above is the bot's to take
    )
    assert cycle.expected_amount_out > size
    outcome = run_one(client(ALWAYS_SEEN), cycle, state)
    fill = outcome.fill
    assert fill.sandwiched
    assert size <= fill.amount_out < cycle.expected_amount_out
    assert (fill.amount_out - size) / size < Decimal("0.0001")
    netted = [(USDC, fill.amount_out - size)] if fill.amount_out > size else []  # zero dropped
    assert [(d.token, d.amount) for d in fill.deltas] == [*netted, (SOL, -(5000 + 3000))]
    assert {p.pool_id for p in outcome.pool_changes} == {cheap.pool_id, ray.pool_id}
    # the same cycle sent privately keeps its edge
    private = replace(cycle, intent_id="cycle-p", route=Route.PRIVATE)
    private_fill = run_one(client(ALWAYS_SEEN), private, state).fill
    assert private_fill.amount_out == cycle.expected_amount_out
    assert private_fill.pnl_usd > fill.pnl_usd


def test_probabilistic_penalty_when_reserves_are_unknown() -> None:
    state = market()
    c = client(replace(ALWAYS_SEEN, mev_penalty_max_pct=1.0))
    losses = []
    for n in range(300):
        order = usdc_to_sol(
            f"u{n}",
            1_000,
            "pump-sol-usdc",
            slippage_bps=500,
            tags=("liquidity_usd=500000",),
            min_amount_out=0,
        )
        fill = run_one(c, order, state, sent_at=float(n)).fill
        clean = run_one(client(), replace(order, intent_id=f"c{n}"), state, float(n)).fill
        loss = clean.amount_out - fill.amount_out
        assert 0 <= loss <= clean.amount_out // 100 + 1
        assert fill.sandwiched == (loss > 0)
        assert fill.costs.mev == Decimal(loss).scaleb(-9) * 150
        losses.append(loss / clean.amount_out)
    assert 0.004 < sum(losses) / len(losses) < 0.006  # uniform(0, 1 %): mean 0.5 %
    assert max(losses) > 0.009


def test_probabilistic_penalty_never_breaks_the_bound() -> None:
    state = market()
    tags = ("liquidity_usd=500000",)
    probe = usdc_to_sol("probe", 1_000, "pump", tags=tags, min_amount_out=0)
    clean_out = run_one(client(), probe, state).fill.amount_out
    c = client(replace(ALWAYS_SEEN, mev_penalty_max_pct=50.0))
    for n in range(50):
        order = replace(probe, intent_id=f"b{n}", min_amount_out=clean_out - 1_000)
        fill = run_one(c, order, state, sent_at=float(n)).fill
        assert fill.status is FillStatus.FILLED
        assert clean_out - 1_000 <= fill.amount_out <= clean_out
