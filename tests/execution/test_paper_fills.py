"""Paper execution: partial fills, the dynamic slippage model, overlays and fill consistency."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal

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
    seed_params,
    usdc_to_sol,
)

from phantom.amm.swap import quote, swap
from phantom.core.fills import Fill, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, Route
from phantom.core.token import Token


def test_partial_fills_are_between_min_fill_and_the_whole() -> None:
    orca = orca_sol_usdc()
    state = market(orca)
    c = client(params(partial_fill_rate_pct=100.0, min_fill_pct=80.0))
    fractions = []
    for n in range(200):
        order = usdc_to_sol(f"p{n}", 2_000, orca, slippage_bps=100)
        fill = run_one(c, order, state, sent_at=float(n)).fill
        assert fill.status is FillStatus.PARTIAL
        assert Decimal("0.8") <= fill.fill_fraction < 1
        ppm = int(fill.fill_fraction * 1_000_000)
        assert fill.amount_in == order.amount_in * ppm // 1_000_000
        assert fill.amount_out == quote(orca, USDC, fill.amount_in)  # recomputed, in integers
        fractions.append(fill.fill_fraction)
    assert min(fractions) < Decimal("0.82") and max(fractions) > Decimal("0.98")


def test_partial_fill_frequency_matches_the_rate() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client(params(partial_fill_rate_pct=10.0), seed=5)
    for n in range(2_000):
        c.submit(usdc_to_sol(f"i{n}", 10, ray, slippage_bps=300), sent_at=float(n))
    fills = [o.fill for o in c.due(3_000.0, state)]
    partial = sum(f.status is FillStatus.PARTIAL for f in fills)
    assert 160 <= partial <= 240  # expected 200, sd ~13.4


def test_partial_arbitrage_cycle_scales_the_whole_cycle() -> None:
    cheap, ray = orca_sol_usdc(price=148.0), raydium_sol_usdc()
    state = market(cheap, ray)
    size = 20_000 * USDC.one
    cycle = intent(
        "cycle",
        [(cheap, USDC, SOL), (ray, SOL, USDC)],
        size,
        kind=IntentKind.ARBITRAGE,
        min_amount_out=size + 50 * USDC.one,
    )
    fill = run_one(client(params(partial_fill_rate_pct=100.0)), cycle, state).fill
    assert fill.status is FillStatus.PARTIAL
    reduced = fill.amount_in
    assert reduced < size
    assert fill.amount_out == quote(ray, SOL, quote(cheap, USDC, reduced))
    assert fill.amount_out >= cycle.min_amount_out * reduced // size  # bound scaled with size
    assert [(d.token, d.amount) for d in fill.deltas] == [
        (USDC, fill.amount_out - reduced),
        (SOL, -8000),
    ]


def _dynamic_out(usd_in: Decimal, slip: Decimal) -> int:
    sol = usd_in * (1 - slip) / Decimal(150)
    return int(sol.scaleb(9).to_integral_value(rounding=ROUND_FLOOR))


def test_dynamic_model_when_reserves_are_unknown() -> None:
    tags = ("liquidity_usd=500000",)
    order = usdc_to_sol("dyn", 1_000, "pump-sol-usdc", tags=tags, min_amount_out=0)
    calm = run_one(client(), order, market()).fill
    # (0.3 % + 0.05 * 1000 / 500000) = 0.31 %
    assert calm.amount_out == _dynamic_out(Decimal(1000), Decimal("0.0031"))
    assert abs(calm.costs.slippage - Decimal("3.1")) < Decimal("0.000001")
    assert calm.costs.fee == 0
    assert any("dynamic model" in note for note in calm.notes)
    stormy = run_one(client(), replace(order, intent_id="dyn2"), market(volatile=True)).fill
    assert stormy.amount_out == _dynamic_out(Decimal(1000), Decimal("0.0093"))  # x3
    bigger = replace(order, intent_id="dyn3", notional_usd=Decimal(100_000))
    big = run_one(client(), bigger, market()).fill  # the model prices the notional as the size
    assert big.amount_out == _dynamic_out(Decimal(1000), Decimal("0.013"))


def test_dynamic_and_exact_legs_mix() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    jup = Token("JUP", 6)
    state.set_price("JUP", 0.5)
    order = intent(
        "mixed",
        [(ray, USDC, SOL), ("meteora-sol-jup", SOL, jup)],
        1_000 * USDC.one,
        state=state,
        min_amount_out=0,
        tags=("liquidity_usd=2000000",),
    )
    fill = run_one(client(), order, state).fill
    sol_out = quote(ray, USDC, order.amount_in)
    usd = Decimal(sol_out).scaleb(-9) * Decimal(150) * (1 - Decimal("0.003025"))
    assert fill.amount_out == int((usd / Decimal("0.5")).scaleb(6).to_integral_value(ROUND_FLOOR))
    assert fill.costs.fee == Decimal("2.5")  # the exact leg's 0.25 % LP fee


def test_intents_due_together_see_each_others_pool_changes() -> None:
    ray = raydium_sol_usdc()
    state = market(ray)
    c = client(params(execution_delay_min_ms=500, execution_delay_max_ms=500))
    first = usdc_to_sol("first", 50_000, ray, slippage_bps=300)
    second = usdc_to_sol("second", 50_000, ray, slippage_bps=300)
    c.submit(first, 0.0)
    c.submit(second, 0.0)
    a, b = c.due(1.0, state)
    after_first = swap(ray, USDC, first.amount_in)
    assert a.fill.amount_out == after_first.amount_out
    assert a.pool_changes == (after_first.pool_after,)
    after_second = swap(after_first.pool_after, USDC, second.amount_in)
    assert b.fill.amount_out == after_second.amount_out < a.fill.amount_out
    assert b.pool_changes == (after_second.pool_after,)
    assert state.pool(ray.pool_id) == ray  # the caller's market is never mutated


def _check_consistent(order: OrderIntent, fill: Fill) -> None:
    sigs = order.signatures
    tip = 1000 if (order.route is Route.PRIVATE and fill.succeeded) else 0
    lamports = 5000 * sigs + 3000 + tip
    expected: dict[Token, int] = {}
    for token, amount in (
        (order.token_in, -fill.amount_in),
        (order.token_out, fill.amount_out),
        (SOL, -lamports),
    ):
        expected[token] = expected.get(token, 0) + amount
    assert {d.token: d.amount for d in fill.deltas} == {t: a for t, a in expected.items() if a}
    assert len({d.token for d in fill.deltas}) == len(fill.deltas)
    c = fill.costs
    assert min(c.fee, c.mev, c.gas, c.priority_fee, c.tip) >= 0
    assert c.gas == Decimal(5000 * sigs).scaleb(-9) * 150
    assert c.tip == Decimal(tip).scaleb(-9) * 150
    edge = [Decimal(n.split("=", 1)[1]) for n in fill.notes if n.startswith("edge_usd=")]
    if fill.succeeded:
        assert c.slippage >= -Decimal("1e-9")  # impact at arrival is a cost
        assert fill.pnl_usd == edge[0] - c.total
    else:
        assert fill.pnl_usd == -c.total and not edge
    assert fill.fill_id == f"{order.intent_id}:fill"
    if fill.succeeded:
        assert 0 < fill.amount_in <= order.amount_in
        assert fill.amount_out >= order.min_amount_out * fill.amount_in // order.amount_in
    else:
        assert (c.fee, c.mev, c.slippage, fill.amount_in, fill.amount_out) == (0, 0, 0, 0, 0)
        assert fill.failure_reason


def test_every_fill_is_consistent() -> None:
    ray, orca = raydium_sol_usdc(), orca_sol_usdc(price=149.0)
    state = market(ray, orca)
    c = client(seed_params(mev_risk_rate_pct=60.0, partial_fill_rate_pct=30.0), seed=21)
    orders: dict[str, OrderIntent] = {}
    for n in range(400):
        pool = (ray, orca, "pump-sol-usdc")[n % 3]
        route = (Route.PUBLIC, Route.PUBLIC_TIGHT, Route.PRIVATE)[n % 5 % 3]
        if n % 4 == 0:
            order = intent(
                f"s{n}",
                [(pool, SOL, USDC)],
                (1 + n % 37) * SOL.one,
                slippage_bps=20 + n % 300,
                state=state,
                route=route,
                tags=("liquidity_usd=300000",),
                signatures=1 + n % 2,
            )
            if isinstance(pool, str):
                order = replace(order, min_amount_out=0)
        else:
            order = usdc_to_sol(
                f"u{n}",
                100 + 211 * n,
                pool,
                slippage_bps=10 + n % 400,
                state=state,
                route=route,
                tags=("liquidity_usd=300000",),
            )
            if isinstance(pool, str):
                order = replace(order, min_amount_out=order.amount_in // 160 * 1000)
        orders[order.intent_id] = order
        c.submit(order, sent_at=n * 0.3)
    fills: list[Fill] = []
    while (t := c.next_due()) is not None:
        for outcome in c.due(t, state):
            for pool_after in outcome.pool_changes:
                state.set_pool(pool_after)
            fills.append(outcome.fill)
    assert len(fills) == 400
    for fill in fills:
        _check_consistent(orders[fill.intent_id], fill)
    statuses = {f.status for f in fills}
    assert statuses == {FillStatus.FILLED, FillStatus.PARTIAL, FillStatus.FAILED}
    assert any(f.sandwiched for f in fills)
    assert any(f.costs.slippage > 0 for f in fills)  # price impact is charged
    assert any(f.failure_reason.startswith("slippage:") for f in fills)
