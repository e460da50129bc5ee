"""Builders shared by the execution tests: real-looking Solana pools, params and intents."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from typing import Any

from phantom.amm.concentrated import from_positions
from phantom.amm.swap import quote
from phantom.core.costs import CostBreakdown
from phantom.core.fees import SolanaFeeSchedule
from phantom.core.orders import IntentKind, OrderIntent, Route, SwapLeg
from phantom.core.pool import ConcentratedPool, ConstantProductPool, Pool
from phantom.core.rng import SeededRng
from phantom.core.token import Token
from phantom.execution.client import ExecutionOutcome
from phantom.execution.paper import PaperExecutionClient
from phantom.execution.params import RealismParams
from phantom.market.state import MarketState

SOL = Token("SOL", 9)
USDC = Token("USDC", 6)
JUP = Token("JUP", 6)
SOL_USD = 150.0
FEES = SolanaFeeSchedule()  # 5000 / signature, 10_000 micro-lamports * 300_000 CU, 1000 tip
BASE_PLUS_PRIORITY = 5000 + 3000


def raydium_sol_usdc(
    sol: int = 50_000, usdc: int = 7_500_000, pool_id: str = "ray-sol-usdc"
) -> ConstantProductPool:
    """A Raydium AMM-v4 style SOL/USDC pool (0.25 % fee) holding ``sol`` SOL and ``usdc`` USDC."""
    return ConstantProductPool(pool_id, "raydium", SOL, USDC, sol * SOL.one, usdc * USDC.one, 2500)


def orca_sol_usdc(price: float = SOL_USD, pool_id: str = "orca-sol-usdc") -> ConcentratedPool:
    """An Orca Whirlpool style SOL/USDC CLMM pool (0.05 % fee, spacing 64) around ``price``."""
    raw = price * USDC.one / SOL.one  # token1 base units per token0 base unit
    sqrt_price_x96 = int(math.sqrt(raw) * 2**96)
    positions = [(-23040, -14976, 10**13), (-19968, -17984, 4 * 10**13)]
    return from_positions(pool_id, "orca", SOL, USDC, 500, 64, sqrt_price_x96, positions)


def market(*pools: Pool, volatile: bool = False, sol_usd: float = SOL_USD) -> MarketState:
    state = MarketState(pools, volatile=volatile)
    state.set_price("SOL", sol_usd)
    state.set_price("USDC", 1.0)
    return state


def params(**overrides: Any) -> RealismParams:
    """Every random step off by default; tests switch on the one they study."""
    base = RealismParams(
        execution_delay_min_ms=200,
        execution_delay_max_ms=1200,
        transaction_failure_rate_pct=0.0,
        slippage_base_pct=0.3,
        slippage_impact_multiplier=0.05,
        slippage_volatility_multiplier=3.0,
        mev_risk_rate_pct=0.0,
        mev_penalty_max_pct=1.0,
        mev_attacker_min_profit_usd=Decimal("0.05"),
        partial_fill_rate_pct=0.0,
        min_fill_pct=80.0,
        fee_schedule=FEES,
        native=SOL,
    )
    return replace(base, **overrides)


def seed_params(**overrides: Any) -> RealismParams:
    """The seed's defaults (in percent units): 5 % failures, 20 % MEV, 10 % partial fills."""
    defaults: dict[str, Any] = {
        "transaction_failure_rate_pct": 5.0,
        "mev_risk_rate_pct": 20.0,
        "partial_fill_rate_pct": 10.0,
    }
    defaults.update(overrides)
    return params(**defaults)


def client(p: RealismParams | None = None, seed: int = 7) -> PaperExecutionClient:
    return PaperExecutionClient(p or params(), SeededRng(seed))


def intent(
    intent_id: str,
    legs: list[tuple[Pool | str, Token, Token]],
    amount_in: int,
    slippage_bps: int = 50,
    state: MarketState | None = None,
    route: Route = Route.PUBLIC,
    kind: IntentKind = IntentKind.SWAP,
    notional_usd: Decimal | None = None,
    min_amount_out: int | None = None,
    tags: tuple[str, ...] = (),
    signatures: int = 1,
) -> OrderIntent:
    """An intent whose expected output is the exact quote at the given pools (or ``state``'s)."""
    swap_legs = []
    expected: int | None = amount_in
    for pool, token_in, token_out in legs:
        pool_id = pool if isinstance(pool, str) else pool.pool_id
        swap_legs.append(SwapLeg(pool_id, token_in, token_out))
        if isinstance(pool, str) and state is not None:
            try:
                pool = state.pool(pool)
            except KeyError:
                pool = pool_id
        if expected is not None and not isinstance(pool, str):
            expected = quote(pool, token_in, expected)
        else:
            expected = None
    out = expected if expected is not None else 0
    if min_amount_out is None:
        min_amount_out = out - out * slippage_bps // 10_000
    token_in = legs[0][1]
    if notional_usd is None:
        price = SOL_USD if token_in == SOL else 1.0
        notional_usd = Decimal(str(price)) * token_in.to_decimal(amount_in)
    return OrderIntent(
        intent_id=intent_id,
        engine="arb",
        kind=kind,
        created_at=0.0,
        legs=tuple(swap_legs),
        amount_in=amount_in,
        min_amount_out=min_amount_out,
        expected_amount_out=out,
        expected_profit_usd=Decimal(0),
        expected_costs=CostBreakdown(),
        notional_usd=notional_usd,
        slippage_bps=slippage_bps,
        route=route,
        signatures=signatures,
        tags=tags,
    )


def usdc_to_sol(
    intent_id: str, usdc: int, pool: Pool, slippage_bps: int = 50, **kw: Any
) -> OrderIntent:
    return intent(intent_id, [(pool, USDC, SOL)], usdc * USDC.one, slippage_bps, **kw)


def run_one(
    c: PaperExecutionClient, order: OrderIntent, state: MarketState, sent_at: float = 0.0
) -> ExecutionOutcome:
    arrival = c.submit(order, sent_at)
    outcomes = c.due(arrival, state)
    assert len(outcomes) == 1
    return outcomes[0]
