"""A minimal driver for bar engines: batches in, fills decided by the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from phantom.backtest.data import Candles
from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent
from phantom.core.pool import Pool
from phantom.core.token import Token
from phantom.engines.base import EngineContext
from phantom.engines.sma import SmaEngine, SmaParams

SOL = Token("SOL", 9)
USDT = Token("USDT", 6)


class StubMarket:
    def pool(self, pool_id: str) -> Pool:
        raise KeyError(pool_id)

    def pools(self) -> Iterator[Pool]:
        return iter(())

    def price_usd(self, token: Token) -> float:
        return 1.0

    def is_volatile(self) -> bool:
        return False


def sma(**kw: object) -> SmaEngine:
    return SmaEngine(SmaParams(base=SOL, quote=USDT, **kw))  # type: ignore[arg-type]


def make_fill(
    intent: OrderIntent, status: FillStatus = FillStatus.FILLED, fraction: Decimal = Decimal(1)
) -> Fill:
    if status is FillStatus.FAILED:
        amount_in = amount_out = 0
    else:
        amount_in = int(intent.amount_in * fraction)
        amount_out = int(intent.expected_amount_out * fraction)
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
        fill_fraction=fraction if status is not FillStatus.FAILED else Decimal(0),
    )


Decide = Callable[[OrderIntent], Fill | None]  # None: rejected


def drive(
    engine: SmaEngine,
    candles: Candles,
    batch: int,
    decide: Decide = make_fill,
    cash: int = 10_000 * USDT.one,
) -> list[tuple[int, OrderIntent]]:
    """Run ``engine`` over ``candles`` in batches of ``batch`` bars; every intent resolves at
    once through ``decide``. Returns (bar index, intent) in order."""
    wallet = {USDT: cash, SOL: 0}
    sent: list[tuple[int, OrderIntent]] = []
    n = len(candles)
    for b0 in range(0, n, batch):
        bars = candles.batch(b0, min(n, b0 + batch))
        start = 0
        while start < len(bars):
            ctx = EngineContext(bars.close_time(start), StubMarket(), dict(wallet))
            d = engine.on_bars(bars, start, len(bars), ctx)
            if not d.intents:
                break
            for intent in d.intents:
                sent.append((b0 + d.index, intent))
                fill = decide(intent)
                if fill is None:
                    engine.on_rejected(intent, "test")
                    continue
                if fill.succeeded:
                    wallet[intent.token_in] -= fill.amount_in
                    wallet[intent.token_out] += fill.amount_out
                engine.on_fill(fill)
            start = d.index + 1
    return sent
