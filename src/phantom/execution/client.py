"""The execution client interface: paper now, live venues and shadow later.

A mode swaps the execution client and nothing else; the orchestrator drives every client the same
way:

1. ``submit(intent, sent_at)`` once per intent, after the intent is journaled;
2. ``next_due()`` to learn when to call back (a simulated clock jumps there; a wall clock polls);
3. ``due(now, market)`` to collect the outcomes that are known by ``now``, journaled as they come.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.pool import Pool
from phantom.market.state import MarketView


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """One intent's fill and the pool states its execution left behind.

    ``pool_changes`` holds the final state of every pool the execution touched (ours and, when a
    sandwich bot acted, the attacker's front and back runs), in first-touched order, for a
    simulated world to apply. It is empty for a failed transaction and for live venues, whose
    pool changes arrive through the market data.
    """

    fill: Fill
    pool_changes: tuple[Pool, ...] = ()


class ExecutionClient(Protocol):
    """Turns order intents into fills. Every method is required.

    - ``submit(intent, sent_at) -> float`` (required): accept an intent sent at ``sent_at``
      (seconds, the mode's clock) and return the time at which its outcome will be known: the
      sampled arrival time for paper, a confirmation deadline for live. Raises ``ValueError`` for
      an intent it refuses outright (e.g. an ``intent_id`` already in flight).
    - ``next_due() -> float | None`` (required): the earliest time an outcome may become known,
      or ``None`` when nothing is in flight.
    - ``in_flight() -> int`` (required): how many submitted intents have no outcome yet.
    - ``due(now, market) -> list[ExecutionOutcome]`` (required): the outcomes known by ``now``,
      in the order they happened. ``market`` must reflect every market event up to ``now``; paper
      executes against it, live may ignore it. Each intent yields exactly one outcome, once.
    """

    def submit(self, intent: OrderIntent, sent_at: float) -> float: ...

    def next_due(self) -> float | None: ...

    def in_flight(self) -> int: ...

    def due(self, now: float, market: MarketView) -> list[ExecutionOutcome]: ...
