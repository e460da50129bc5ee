"""Route choice by sandwich risk."""

from __future__ import annotations

from decimal import Decimal

import pytest
from exec_support import (
    SOL,
    USDC,
    intent,
    market,
    orca_sol_usdc,
    params,
    raydium_sol_usdc,
    usdc_to_sol,
)

from phantom.amm.sandwich import best_sandwich
from phantom.amm.swap import required_input
from phantom.core.orders import IntentKind, Route
from phantom.execution import RoutePolicy

POLICY = RoutePolicy(medium_bps=Decimal(2), high_bps=Decimal(10), tight_slippage_bps=10)


def test_no_profitable_sandwich_goes_public() -> None:
    ray = raydium_sol_usdc()
    order = usdc_to_sol("small", 10_000, ray, slippage_bps=50, route=Route.PRIVATE)
    decision = POLICY.decide(order, market(ray))
    assert decision.sandwich_risk_bps == 0
    assert decision.route is Route.PUBLIC and decision.intent.route is Route.PUBLIC
    assert decision.intent.min_amount_out == order.min_amount_out


def test_risk_is_the_optimal_attacker_profit_over_notional() -> None:
    orca = orca_sol_usdc()
    order = usdc_to_sol("mid", 10_000, orca, slippage_bps=100)
    sandwich = best_sandwich(orca, USDC, order.amount_in, order.min_amount_out)
    assert sandwich is not None
    expected = Decimal(sandwich.attacker_profit).scaleb(-6) / Decimal(10_000) * 10_000
    risk = POLICY.sandwich_risk_bps(order, market(orca))
    assert abs(risk - expected) < Decimal("0.000001")
    assert Decimal(2) <= risk < Decimal(10)


def test_medium_risk_tightens_the_bound() -> None:
    orca = orca_sol_usdc()
    order = usdc_to_sol("mid", 10_000, orca, slippage_bps=100)
    decision = POLICY.decide(order, market(orca))
    assert decision.route is Route.PUBLIC_TIGHT
    tightened = decision.intent
    expected = order.expected_amount_out
    assert tightened.min_amount_out == expected - expected * 10 // 10_000
    assert tightened.slippage_bps == 10 and tightened.route is Route.PUBLIC_TIGHT
    assert POLICY.sandwich_risk_bps(tightened, market(orca)) < decision.sandwich_risk_bps


def test_tightening_never_loosens_the_bound() -> None:
    orca = orca_sol_usdc()
    order = usdc_to_sol("already-tight", 10_000, orca, slippage_bps=5)
    eager = RoutePolicy(Decimal("0.01"), Decimal(1_000), tight_slippage_bps=10)
    decision = eager.decide(order, market(orca))
    assert decision.route is Route.PUBLIC_TIGHT
    assert decision.intent.min_amount_out == order.min_amount_out
    assert decision.intent.slippage_bps == 5


def test_high_risk_goes_private_and_keeps_its_slippage() -> None:
    orca = orca_sol_usdc()
    order = usdc_to_sol("big", 100_000, orca, slippage_bps=300)
    decision = POLICY.decide(order, market(orca))
    assert decision.sandwich_risk_bps >= 10
    assert decision.route is Route.PRIVATE and decision.intent.route is Route.PRIVATE
    assert decision.intent.min_amount_out == order.min_amount_out
    assert decision.intent.slippage_bps == 300


def test_multi_leg_risk_uses_the_translated_first_leg_bound() -> None:
    cheap, ray = orca_sol_usdc(price=148.0), raydium_sol_usdc()
    size = 20_000 * USDC.one
    cycle = intent(
        "cycle",
        [(cheap, USDC, SOL), (ray, SOL, USDC)],
        size,
        kind=IntentKind.ARBITRAGE,
        min_amount_out=size,
        notional_usd=Decimal(20_000),
    )
    first_min = required_input(ray, SOL, size)
    sandwich = best_sandwich(cheap, USDC, size, first_min)
    assert sandwich is not None
    expected = Decimal(sandwich.attacker_profit).scaleb(-6) / Decimal(20_000) * 10_000
    risk = POLICY.sandwich_risk_bps(cycle, market(cheap, ray))
    assert abs(risk - expected) < Decimal("0.000001")


def test_unknown_reserves_use_the_probabilistic_expectation() -> None:
    order = usdc_to_sol("dyn", 1_000, "pump", tags=("liquidity_usd=100000",))
    p = params(mev_risk_rate_pct=20.0, mev_penalty_max_pct=1.0)
    policy = RoutePolicy.from_params(p, Decimal(2), Decimal(10), 10)
    decision = policy.decide(order, market())
    assert decision.sandwich_risk_bps == Decimal(10)  # 20 % * 1 % / 2 = 0.1 % = 10 bps
    assert decision.route is Route.PRIVATE
    lenient = RoutePolicy.from_params(p, Decimal(2), Decimal(20), 10)
    assert lenient.decide(order, market()).route is Route.PUBLIC_TIGHT


def test_bot_threshold_counts_small_sandwiches_as_no_risk() -> None:
    orca = orca_sol_usdc()
    order = usdc_to_sol("mid", 10_000, orca, slippage_bps=100)
    picky = params(mev_attacker_min_profit_usd=Decimal(1_000))
    policy = RoutePolicy.from_params(picky, Decimal(2), Decimal(10), 10)
    assert policy.sandwich_risk_bps(order, market(orca)) == 0


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="medium_bps <= high_bps"):
        RoutePolicy(Decimal(10), Decimal(2), 10)
    with pytest.raises(ValueError, match="tight_slippage_bps"):
        RoutePolicy(Decimal(2), Decimal(10), 0)
