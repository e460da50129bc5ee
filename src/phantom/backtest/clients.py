"""The naive execution client of the backtest (the realistic run uses paper mode's client, with
the venue's taker fee in its realism parameters).

It implements :class:`phantom.execution.client.ExecutionClient`, so the runner drives naive and
realistic runs the same way. Fills are made with the fill builder's positional constructors
(one per order: the hot path).
"""

from __future__ import annotations

import heapq
from decimal import Decimal

from phantom.core.costs import CostBreakdown
from phantom.core.fills import FillStatus
from phantom.core.orders import OrderIntent
from phantom.execution.client import ExecutionOutcome
from phantom.execution.fill_builder import new_delta, new_fill
from phantom.execution.paper import new_outcome
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
