"""Gas refuel: when the vault's native balance falls below GAS_CRITICAL_SOL, buy
GAS_REPLENISH_USD worth of it with the quote token, as an ordinary swap intent that goes through
risk gates, the journal and the execution client like any other (so its fill is costed)."""

from __future__ import annotations

from decimal import Decimal

from phantom.amm.errors import InsufficientLiquidity
from phantom.amm.swap import quote
from phantom.core.costs import CostBreakdown
from phantom.core.orders import IntentKind, OrderIntent, SwapLeg
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.market.state import MarketView


def _holds(pool: Pool, a: Token, b: Token) -> bool:
    return {pool.token0, pool.token1} == {a, b}


def build_refuel_intent(
    intent_id: str,
    engine: str,
    now: float,
    market: MarketView,
    pay: Token,
    native: Token,
    amount_usd: Decimal,
    slippage_bps: int,
) -> OrderIntent | None:
    """A swap of ``amount_usd`` of ``pay`` into ``native`` through the pool quoting the most
    output; None when no pool trades the pair."""
    amount_in = pay.to_units(amount_usd / Decimal(repr(market.price_usd(pay))))
    best: tuple[int, Pool] | None = None
    for pool in market.pools():
        if not _holds(pool, pay, native):
            continue
        try:
            out = quote(pool, pay, amount_in)
        except InsufficientLiquidity:
            continue
        if best is None or out > best[0]:
            best = (out, pool)
    if best is None or best[0] <= 0:
        return None
    expected_out, pool = best
    fair = amount_usd / Decimal(repr(market.price_usd(native)))
    shortfall_usd = (fair - native.to_decimal(expected_out)) * Decimal(
        repr(market.price_usd(native))
    )
    return OrderIntent(
        intent_id=intent_id,
        engine=engine,
        kind=IntentKind.REFUEL,
        created_at=now,
        legs=(SwapLeg(pool.pool_id, pay, native),),
        amount_in=amount_in,
        min_amount_out=expected_out - expected_out * slippage_bps // 10_000,
        expected_amount_out=expected_out,
        expected_profit_usd=-max(shortfall_usd, Decimal(0)),
        expected_costs=CostBreakdown(slippage=max(shortfall_usd, Decimal(0))),
        notional_usd=amount_usd,
        slippage_bps=slippage_bps,
        reason=f"gas refuel: buy {amount_usd} USD of {native.symbol}",
    )
