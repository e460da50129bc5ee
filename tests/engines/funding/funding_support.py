"""Helpers of the funding engine tests: real prints and marks from the fixture slices, a
market view, and fills for the engine's intents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from phantom.backtest.funding.data import Series
from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.engines.base import EngineContext
from phantom.engines.funding import (
    FundingEngine,
    FundingParams,
    FundingRatePrint,
    PerpIntent,
    PerpOutcome,
    PriceSnapshot,
)

SOL = Token("SOL", 9)
BTC = Token("BTC", 8)
USDT = Token("USDT", 6)
SOL_MKT = "SOL/USDT:USDT"
BTC_MKT = "BTC/USDT:USDT"
FIX = Path(__file__).parents[2] / "fixtures" / "funding"
EIGHT_H = 8 * 3600.0


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class View:
    """A market view: the base asset at ``price`` USD, stablecoins at 1."""

    def __init__(self, base: Token, price: float) -> None:
        self.base, self.price = base, price

    def pool(self, pool_id: str) -> Any:
        raise KeyError(pool_id)

    def pools(self) -> Iterator[Any]:
        return iter(())

    def price_usd(self, token: Token) -> float:
        if token == self.base:
            return self.price
        if token == USDT:
            return 1.0
        raise KeyError(token.symbol)

    def is_volatile(self) -> bool:
        return False


def ctx(base: Token, price: float, cash_usd: float = 10_000, base_units: int = 0) -> EngineContext:
    balances = {USDT: USDT.to_units(Decimal(repr(cash_usd))), base: base_units}
    return EngineContext(0.0, View(base, price), balances)


def sol_params(**kw: Any) -> FundingParams:
    return FundingParams(base=SOL, quote=USDT, market=SOL_MKT, **kw)


def prints_of(series: Series, market: str) -> list[FundingRatePrint]:
    return [
        FundingRatePrint(float(t), market, float(r), EIGHT_H)
        for t, r in zip(series.ts, series.open, strict=True)
    ]


def spot_fill(intent: OrderIntent, fraction: Decimal = Decimal(1), ok: bool = True) -> Fill:
    """The spot swap filled ``fraction`` of its input at the intent's expected rate."""
    if not ok:
        status, amount_in, amount_out = FillStatus.FAILED, 0, 0
    else:
        amount_in = int(intent.amount_in * fraction)
        amount_out = intent.expected_amount_out * amount_in // intent.amount_in
        status = FillStatus.FILLED if fraction == 1 else FillStatus.PARTIAL
    return Fill(
        fill_id=f"{intent.intent_id}:fill",
        intent_id=intent.intent_id,
        engine=intent.engine,
        status=status,
        route=intent.route,
        sent_at=intent.created_at,
        arrived_at=intent.created_at,
        amount_in=amount_in,
        amount_out=amount_out,
        deltas=(
            BalanceDelta(intent.token_in, -amount_in),
            BalanceDelta(intent.token_out, amount_out),
        ),
        costs=CostBreakdown(),
        pnl_usd=Decimal(0),
        fill_fraction=fraction,
    )


def perp_fill(intent: PerpIntent, filled: int | None = None) -> PerpOutcome:
    size = intent.size if filled is None else filled
    return PerpOutcome(intent.intent_id, size, intent.expected_price, Decimal(0))


def open_position(engine: FundingEngine, prints: list[FundingRatePrint], price: float) -> list[Any]:
    """Feed ``prints``, then a snapshot at ``price``; fill whatever the engine sends in full."""
    c = ctx(engine.params.base, price)
    for p in prints:
        engine.on_event(p, c)
    t = prints[-1].ts
    intents = engine.on_event(PriceSnapshot(t, engine.params.market, price, price), c)
    resolve(engine, intents)
    return intents


def resolve(engine: FundingEngine, intents: list[Any]) -> None:
    from phantom.engines.funding import MarginIntent, MarginOutcome

    for intent in intents:
        if isinstance(intent, MarginIntent):
            engine.on_margin(MarginOutcome(intent.intent_id, True, intent.amount))
        elif isinstance(intent, PerpIntent):
            engine.on_perp(perp_fill(intent))
        else:
            engine.on_fill(spot_fill(intent))
