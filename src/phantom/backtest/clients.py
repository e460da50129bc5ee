"""Execution clients of the backtest: the naive one, and a venue fee on top of any client.

Both implement :class:`phantom.execution.client.ExecutionClient`, so the runner drives naive and
realistic runs the same way; the realistic run uses the paper client of paper mode unchanged.
Fills are made with the fill builder's positional constructors (one per order: the hot path).
"""

from __future__ import annotations

import heapq
from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, FillStatus
from phantom.core.orders import OrderIntent
from phantom.execution.client import ExecutionClient, ExecutionOutcome
from phantom.execution.fill_builder import new_costs, new_delta, new_fill, usd_price
from phantom.execution.paper import new_outcome
from phantom.execution.realism import RefusedIntent
from phantom.market.state import MarketView

USD_QUANTUM = Decimal("1e-12")
_ZERO = Decimal(0)
_ONE = Decimal(1)
_NO_COSTS = CostBreakdown()
_FILLED, _FAILED = FillStatus.FILLED, FillStatus.FAILED
_NAIVE_NOTES = ("naive: instant, full, at the signal price, no costs",)


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
        queue = self._queue
        while queue and queue[0][0] <= now:
            sent_at, _, intent = heapq.heappop(queue)
            legs = intent.legs
            intent_id = intent.intent_id
            fill = new_fill(
                f"{intent_id}:fill",
                intent_id,
                intent.engine,
                _FILLED,
                intent.route,
                sent_at,
                sent_at,
                intent.amount_in,
                intent.expected_amount_out,
                (
                    new_delta(legs[0].token_in, -intent.amount_in),
                    new_delta(legs[-1].token_out, intent.expected_amount_out),
                ),
                _NO_COSTS,
                _ZERO,
                _ONE,
                False,
                "",
                _NAIVE_NOTES,
            )
            out.append(new_outcome(fill, ()))
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
        self.next_due = inner.next_due  # straight to the inner client (one call, not two)
        self.in_flight = inner.in_flight
        self.fee_pct = fee_pct
        self._fee_ppm = int(fee_pct * 10_000)
        self._note = f"venue fee: {fee_pct} % of the output, "
        self._intents: dict[str, OrderIntent] = {}

    def submit(self, intent: OrderIntent, sent_at: float) -> float:
        arrival = self.inner.submit(intent, sent_at)
        self._intents[intent.intent_id] = intent
        return arrival

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]:
        try:
            outcomes = self.inner.due(now, market)
        except RefusedIntent as exc:
            self._intents.pop(exc.intent_id, None)
            raise
        if not outcomes:
            return outcomes
        charge = self._charge
        return [charge(o, market) for o in outcomes]

    def _charge(self, outcome: ExecutionOutcome, market: MarketView) -> ExecutionOutcome:
        fill = outcome.fill
        intent = self._intents.pop(fill.intent_id, None)
        if intent is None or fill.status is _FAILED or self._fee_ppm == 0:
            return outcome
        token = intent.legs[-1].token_out
        fee_units = -(-fill.amount_out * self._fee_ppm // 1_000_000)
        raw = market.price_usd(token)
        price = usd_price(raw) if type(raw) is float else Decimal(repr(raw))  # same decimal
        fee_usd = (Decimal(fee_units).scaleb(-token.decimals) * price).quantize(USD_QUANTUM)
        # the output's delta loses the fee (a delta of its own if there is none); zeros dropped
        deltas: list[BalanceDelta] = []
        charged = False
        for d in fill.deltas:
            t = d.token
            if not charged and (t is token or (t.symbol == token.symbol and t == token)):
                charged = True
                if d.amount != fee_units:
                    deltas.append(new_delta(token, d.amount - fee_units))
            elif d.amount != 0:
                deltas.append(d)
        if not charged and fee_units != 0:
            deltas.append(new_delta(token, -fee_units))
        c = fill.costs
        return new_outcome(
            new_fill(
                fill.fill_id,
                fill.intent_id,
                fill.engine,
                fill.status,
                fill.route,
                fill.sent_at,
                fill.arrived_at,
                fill.amount_in,
                fill.amount_out - fee_units,
                tuple(deltas),
                new_costs(c.fee + fee_usd, c.slippage, c.mev, c.gas, c.priority_fee, c.tip),
                fill.pnl_usd - fee_usd,
                fill.fill_fraction,
                fill.sandwiched,
                fill.failure_reason,
                (*fill.notes, f"{self._note}{fee_units} units"),
            ),
            outcome.pool_changes,
        )
