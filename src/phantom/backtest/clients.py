"""Execution clients of the backtest: the naive one, and a venue fee on top of any client.

Both implement :class:`phantom.execution.client.ExecutionClient`, so the runner drives naive and
realistic runs the same way; the realistic run uses the paper client of paper mode unchanged.
"""

from __future__ import annotations

import heapq
from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import OrderIntent
from phantom.execution.client import ExecutionClient, ExecutionOutcome
from phantom.execution.realism import RefusedIntent
from phantom.market.state import MarketView

USD_QUANTUM = Decimal("1e-12")
_ZERO = Decimal(0)
_NO_COSTS = CostBreakdown()


class NaiveExecutionClient:
    """Fills instantly, in full, at the signal price (the intent's ``expected_amount_out``),
    with no cost of any kind: how most backtesters fill."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, OrderIntent]] = []
        self._seq = 0

    def submit(self, intent: OrderIntent, sent_at: float) -> float:
        heapq.heappush(self._queue, (sent_at, self._seq, intent))
        self._seq += 1
        return sent_at

    def next_due(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def in_flight(self) -> int:
        return len(self._queue)

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]:
        out: list[ExecutionOutcome] = []
        while self._queue and self._queue[0][0] <= now:
            sent_at, _, intent = heapq.heappop(self._queue)
            fill = Fill(
                fill_id=f"{intent.intent_id}:fill",
                intent_id=intent.intent_id,
                engine=intent.engine,
                status=FillStatus.FILLED,
                route=intent.route,
                sent_at=sent_at,
                arrived_at=sent_at,
                amount_in=intent.amount_in,
                amount_out=intent.expected_amount_out,
                deltas=(
                    BalanceDelta(intent.token_in, -intent.amount_in),
                    BalanceDelta(intent.token_out, intent.expected_amount_out),
                ),
                costs=_NO_COSTS,
                pnl_usd=_ZERO,
                notes=("naive: instant, full, at the signal price, no costs",),
            )
            out.append(ExecutionOutcome(fill))
        return out


class VenueFeeClient:
    """Charges a venue's taker fee, ``fee_pct`` percent of what a landed order receives (as a
    CEX charges it, in the received asset; rounded up to a whole base unit), on top of ``inner``.

    The fee is booked as cost kind ``fee`` and taken off ``amount_out``, the output delta and
    ``pnl_usd``, so ``pnl_usd == edge_usd - costs.total`` still holds. Failed fills are unchanged.
    """

    def __init__(self, inner: ExecutionClient, fee_pct: Decimal) -> None:
        if not Decimal(0) <= fee_pct < Decimal(100):
            raise ValueError(f"fee_pct must be in [0, 100), got {fee_pct}")
        self.inner = inner
        self.fee_pct = fee_pct
        self._fee_ppm = int(fee_pct * 10_000)
        self._intents: dict[str, OrderIntent] = {}

    def submit(self, intent: OrderIntent, sent_at: float) -> float:
        arrival = self.inner.submit(intent, sent_at)
        self._intents[intent.intent_id] = intent
        return arrival

    def next_due(self) -> float | None:
        return self.inner.next_due()

    def in_flight(self) -> int:
        return self.inner.in_flight()

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]:
        try:
            outcomes = self.inner.due(now, market)
        except RefusedIntent as exc:
            self._intents.pop(exc.intent_id, None)
            raise
        return [self._charge(o, market) for o in outcomes]

    def _charge(self, outcome: ExecutionOutcome, market: MarketView) -> ExecutionOutcome:
        fill = outcome.fill
        intent = self._intents.pop(fill.intent_id, None)
        if intent is None or not fill.succeeded or self._fee_ppm == 0:
            return outcome
        token = intent.token_out
        fee_units = -(-fill.amount_out * self._fee_ppm // 1_000_000)
        price = Decimal(repr(market.price_usd(token)))
        fee_usd = (Decimal(fee_units).scaleb(-token.decimals) * price).quantize(USD_QUANTUM)
        deltas = list(fill.deltas)
        for k, d in enumerate(deltas):
            if d.token == token:
                deltas[k] = BalanceDelta(token, d.amount - fee_units)
                break
        else:
            deltas.append(BalanceDelta(token, -fee_units))
        c = fill.costs
        charged = Fill(
            fill_id=fill.fill_id,
            intent_id=fill.intent_id,
            engine=fill.engine,
            status=fill.status,
            route=fill.route,
            sent_at=fill.sent_at,
            arrived_at=fill.arrived_at,
            amount_in=fill.amount_in,
            amount_out=fill.amount_out - fee_units,
            deltas=tuple(d for d in deltas if d.amount != 0),
            costs=CostBreakdown(c.fee + fee_usd, c.slippage, c.mev, c.gas, c.priority_fee, c.tip),
            pnl_usd=fill.pnl_usd - fee_usd,
            fill_fraction=fill.fill_fraction,
            sandwiched=fill.sandwiched,
            failure_reason=fill.failure_reason,
            notes=(*fill.notes, f"venue fee: {self.fee_pct} % of the output, {fee_units} units"),
        )
        return ExecutionOutcome(charged, outcome.pool_changes)
