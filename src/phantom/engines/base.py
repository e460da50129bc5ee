"""The engine API. An engine never knows whether it runs in a backtest, paper or live.

An engine is synchronous and pure: it takes market events, its own state and a context, and
returns order intents. No I/O, no sleeping, no clock reads, no global state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from phantom.core.events import MarketEvent
from phantom.core.fills import Fill
from phantom.core.orders import OrderIntent
from phantom.core.token import Token
from phantom.market.state import MarketView


@dataclass(frozen=True, slots=True)
class EngineContext:
    """What the mode hands an engine with each event."""

    now: float
    market: MarketView
    available: Mapping[Token, int]  # free vault balance per token, in base units


class Engine(Protocol):
    """Required: ``name``, ``on_event``, ``on_fill``, ``on_rejected``."""

    name: str

    def on_event(self, event: MarketEvent, ctx: EngineContext) -> list[OrderIntent]:
        """React to one market event; return the intents to send (possibly none)."""
        ...

    def on_fill(self, fill: Fill) -> None:
        """An intent of this engine resolved (filled, partial or failed)."""
        ...

    def on_rejected(self, intent: OrderIntent, reason: str) -> None:
        """An intent of this engine was stopped by a risk gate before it was sent."""
        ...
