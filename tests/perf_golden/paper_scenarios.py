"""A fixed, varied workload for :class:`PaperExecutionClient`, recorded call by call.

Every route, failures, slippage and liquidity reverts, partial fills (rounding to the whole
included), exact sandwiches, "not worth it" bots, the probabilistic MEV penalty, dynamic-model
legs (calm and volatile), mixed exact/dynamic paths, multi-leg cycles, several intents due in one
call (each seeing the others' pool changes) and refused intents. The record is the golden file
``paper_fills.json``: it pins every field of every fill bit for bit.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from exec_support import (
    JUP,
    SOL,
    USDC,
    client,
    intent,
    market,
    orca_sol_usdc,
    params,
    raydium_sol_usdc,
    seed_params,
    usdc_to_sol,
)

from phantom.core.orders import IntentKind, OrderIntent, Route
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.execution.paper import PaperExecutionClient
from phantom.execution.realism import RefusedIntent
from phantom.market.state import MarketState

from .serialize import outcome_dict

ROUTES = (Route.PUBLIC, Route.PUBLIC_TIGHT, Route.PRIVATE)
TAG = ("liquidity_usd=300000",)


class Recorder:
    """Drives one client against one market, applying pool changes as a paper world does."""

    def __init__(self, c: PaperExecutionClient, state: MarketState) -> None:
        self.c, self.state = c, state
        self.log: list[dict[str, Any]] = []

    def submit(self, order: OrderIntent, sent_at: float) -> None:
        arrival = self.c.submit(order, sent_at)
        self.log.append({"submit": order.intent_id, "arrival": repr(arrival)})

    def due(self, now: float) -> None:
        """Collect everything due by ``now``, refusals included (one per call, as raised)."""
        while True:
            try:
                outcomes = self.c.due(now, self.state)
            except RefusedIntent as exc:
                self.log.append({"refused": exc.intent_id, "reason": str(exc)})
                continue
            for outcome in outcomes:
                for pool in outcome.pool_changes:
                    self.state.set_pool(pool)
            self.log.append(
                {
                    "due": repr(now),
                    "outcomes": [outcome_dict(o) for o in outcomes],
                    "in_flight": self.c.in_flight(),
                    "next_due": repr(self.c.next_due()),
                }
            )
            return


def _mixed() -> list[dict[str, Any]]:
    """Seeded draws (5 % failures, 60 % MEV, 30 % partial) over 360 varied intents, several
    due per call, pools moving as fills land."""
    ray, orca = raydium_sol_usdc(), orca_sol_usdc(price=149.0)
    cheap = orca_sol_usdc(price=147.0, pool_id="orca-cheap")
    state = market(ray, orca, cheap)
    state.set_price("JUP", 0.5)
    rec = Recorder(
        client(seed_params(mev_risk_rate_pct=60.0, partial_fill_rate_pct=30.0), 21), state
    )
    t = 0.0
    for n in range(360):
        pool: Pool | str = (ray, orca, "pump-sol-usdc")[n % 3]
        route = ROUTES[n % 5 % 3]
        kind = n % 6
        if kind == 0:
            order = intent(
                f"s{n}",
                [(pool, SOL, USDC)],
                (1 + n % 37) * SOL.one,
                slippage_bps=20 + n % 300,
                state=state,
                route=route,
                tags=TAG,
                signatures=1 + n % 2,
            )
            if isinstance(pool, str):
                order = replace(order, min_amount_out=0)
        elif kind == 1:
            size = (5_000 + 97 * n) * USDC.one
            order = intent(
                f"c{n}",
                [(cheap, USDC, SOL), (ray, SOL, USDC)],
                size,
                kind=IntentKind.ARBITRAGE,
                state=state,
                route=route,
                min_amount_out=size - size * (n % 50) // 10_000,
                signatures=2,
            )
        elif kind == 2:
            order = intent(
                f"m{n}",
                [(ray, USDC, SOL), ("meteora-sol-jup", SOL, JUP)],
                (100 + 13 * n) * USDC.one,
                state=state,
                route=route,
                min_amount_out=0,
                tags=("liquidity_usd=2000000",),
            )
        else:
            order = usdc_to_sol(
                f"u{n}",
                100 + 211 * n,
                pool,
                slippage_bps=10 + n % 400,
                state=state,
                route=route,
                tags=TAG,
            )
        rec.submit(order, t)
        if n % 4 == 3:  # a few intents in flight, then everything due in one call
            t += 2.0
            state.set_volatile(n % 7 == 0)
            rec.due(t)
        t += 0.25
    rec.due(t + 5.0)
    return rec.log


def _mev() -> list[dict[str, Any]]:
    """Every bot always looks; half the orders are partly filled."""
    orca, ray = orca_sol_usdc(), raydium_sol_usdc()
    state = market(orca, ray)
    rec = Recorder(client(params(mev_risk_rate_pct=100.0, partial_fill_rate_pct=50.0), 3), state)
    orders = [
        usdc_to_sol("loose", 100_000, orca, slippage_bps=300),
        usdc_to_sol("loose-tight", 100_000, orca, slippage_bps=300, route=Route.PUBLIC_TIGHT),
        usdc_to_sol("loose-private", 100_000, orca, slippage_bps=300, route=Route.PRIVATE),
        usdc_to_sol("small", 10_000, ray, slippage_bps=100),
        usdc_to_sol("dust-profit", 50, orca, slippage_bps=300),
        intent("sell", [(orca, SOL, USDC)], 400 * SOL.one, slippage_bps=250, state=state),
        intent(
            "cycle",
            [(orca, USDC, SOL), (ray, SOL, USDC)],
            30_000 * USDC.one,
            kind=IntentKind.ARBITRAGE,
            min_amount_out=29_000 * USDC.one,
        ),
        usdc_to_sol("pump", 2_000, "pump-sol-usdc", tags=TAG, min_amount_out=0),
        usdc_to_sol("pump-bound", 2_000, "pump-sol-usdc", tags=TAG, min_amount_out=13 * SOL.one),
        intent("pump-sell", [("pump-sol-usdc", SOL, USDC)], 3 * SOL.one, tags=TAG),
    ]
    for k, order in enumerate(orders):
        for rep in range(4):
            rec.submit(replace(order, intent_id=f"{order.intent_id}-{rep}"), 10.0 * k + rep)
        rec.due(10.0 * k + 9.0)
    return rec.log


def _edges() -> list[dict[str, Any]]:
    """Failures, reverts, partial fills that round to the whole, volatile dynamic legs."""
    ray, orca = raydium_sol_usdc(), orca_sol_usdc()
    log: list[dict[str, Any]] = []
    state = market(ray, orca)
    rec = Recorder(client(params(transaction_failure_rate_pct=100.0), 1), state)
    rec.submit(usdc_to_sol("fail-public", 100, ray), 0.0)
    rec.submit(usdc_to_sol("fail-private", 100, ray, route=Route.PRIVATE, signatures=3), 0.0)
    rec.due(2.0)
    log += rec.log
    rec = Recorder(client(params(partial_fill_rate_pct=100.0, min_fill_pct=100.0), 2), state)
    rec.submit(usdc_to_sol("whole-anyway", 1_000, orca), 0.0)
    rec.submit(intent("one-lamport", [(ray, SOL, USDC)], 1, min_amount_out=0), 0.0)
    rec.due(2.0)
    log += rec.log
    rec = Recorder(client(params(partial_fill_rate_pct=100.0, min_fill_pct=1.0), 4), state)
    rec.submit(intent("tiny", [(orca, USDC, SOL)], 3, min_amount_out=0), 0.0)
    big = usdc_to_sol("big-partial", 900_000, ray, slippage_bps=100)
    rec.submit(big, 0.0)
    rec.submit(
        replace(big, intent_id="bound-too-tight", min_amount_out=big.expected_amount_out), 0.0
    )
    rec.due(2.0)
    log += rec.log
    rec = Recorder(client(params(), 5), state)
    bound = usdc_to_sol("slip", 1_000, ray)
    rec.submit(replace(bound, min_amount_out=bound.expected_amount_out + 1), 0.0)
    rec.submit(intent("dust", [(ray, SOL, USDC)], 1, min_amount_out=0), 0.0)
    rec.submit(usdc_to_sol("drain", 50_000_000, ray, min_amount_out=0), 0.0)
    rec.due(2.0)
    state.set_volatile(True)
    for k, notional in enumerate((Decimal("0.5"), Decimal(1_000), Decimal("123456.789"))):
        order = usdc_to_sol(f"storm{k}", 1_000, "pump-sol-usdc", tags=TAG, min_amount_out=0)
        rec.submit(replace(order, notional_usd=notional), 10.0 + k)
    rec.due(20.0)
    log += rec.log
    return log


def _refusals() -> list[dict[str, Any]]:
    """Each refused intent is queued beside a good one: the refusal is raised alone, the good one
    stays queued and fills on the next call."""
    ray = raydium_sol_usdc()
    state = market(ray)
    state.set_price("JUP", 0.5)
    rec = Recorder(client(seed_params(), 9), state)
    good = usdc_to_sol("good", 100, ray)
    nowhere = replace(good, intent_id="no-tag", legs=(replace(good.legs[0], pool_id="nowhere"),))
    bonk = Token("BONK", 5)
    bad = [
        nowhere,
        replace(nowhere, intent_id="bad-tag", tags=("liquidity_usd=lots",)),
        replace(nowhere, intent_id="zero-tag", tags=("liquidity_usd=0",)),
        replace(nowhere, intent_id="no-notional", tags=TAG, notional_usd=Decimal(0)),
        intent("no-price", [("bonk-pool", USDC, bonk)], 100, min_amount_out=0, tags=TAG),
        replace(good, intent_id="wrong-pair", legs=(replace(good.legs[0], token_out=JUP),)),
    ]
    for k, order in enumerate(bad):
        rec.submit(replace(good, intent_id=f"good-{k}"), 10.0 * k)
        rec.submit(order, 10.0 * k + 0.5)
        rec.due(10.0 * k + 5.0)
    rec.submit(replace(good, intent_id="good-last"), 100.0)
    for order in bad[3:]:  # refused together: the first is raised, all are dropped
        rec.submit(replace(order, intent_id=f"{order.intent_id}-again"), 100.0)
    rec.due(105.0)
    return rec.log


def paper_golden() -> dict[str, Any]:
    return {"mixed": _mixed(), "mev": _mev(), "edges": _edges(), "refusals": _refusals()}
