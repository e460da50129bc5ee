"""The engine API. An engine never knows whether it runs in a backtest, paper or live.

An engine is synchronous and pure: it takes market events, its own state and a context, and
returns order intents. No I/O, no sleeping, no clock reads, no global state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from phantom.core.construct import fast_constructor
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


# --- the batched bar API (backtests on candles, and any bar-driven engine) ---------------------


@dataclass(frozen=True, slots=True)
class BarBatch:
    """A chunk of consecutive candles of one instrument, as numpy arrays (read-only views).

    ``ts`` is each bar's open time in seconds since the Unix epoch; a bar's close, at
    ``ts[i] + timeframe_s``, is the moment its ``close`` price is known and an engine may act on
    it. Batches of one run follow each other in time: an engine carries its warm state (the last
    closes its indicators need) from one batch to the next, so the batch size never changes a
    decision. A price tick is a batch of one bar with ``timeframe_s == 0``.
    """

    symbol: str
    timeframe_s: float
    ts: npt.NDArray[np.float64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def close_time(self, index: int) -> float:
        return float(self.ts[index]) + self.timeframe_s


@dataclass(frozen=True, slots=True)
class BarDecision:
    """What :meth:`BarEngine.on_bars` found: the first bar (``index``) at whose close the engine
    wants ``intents`` sent, or ``index == stop`` and no intents when nothing in the range."""

    index: int
    intents: tuple[OrderIntent, ...] = ()


def _native_decision(index: int, intents: tuple[OrderIntent, ...]) -> BarDecision:
    o = BarDecision.__new__(BarDecision)
    o.index = index  # type: ignore[misc]
    o.intents = intents  # type: ignore[misc]
    return o


# ``BarDecision(index, intents)``, faster (see ``phantom.core.construct``)
new_decision: Callable[[int, tuple[OrderIntent, ...]], BarDecision] = fast_constructor(
    BarDecision, _native_decision
)


class BarEngine(Engine, Protocol):
    """An engine that also takes candles in batches (see ``docs/backtesting.md``, speed design).

    The mode calls ``on_bars(bars, 0, stop, ctx)`` first for each new batch, then again with
    ``start = decision.index + 1`` (after sending the intents) or ``start = stop`` (after
    resolving the executions due by then), until ``start == len(bars)``. The engine computes its
    indicators once per batch, vectorised, and only scans for the next bar that needs an order;
    it never sees a bar past ``stop``, so every fill due before a bar's close reaches
    ``on_fill`` before the engine decides at that bar. ``ctx`` is valid for every bar in
    ``[start, stop)``: no execution resolves in between (``ctx.now`` is the close of
    ``bars[start]``; an intent decided at bar ``i`` is stamped ``bars.close_time(i)``).
    """

    @property
    def data_roles(self) -> Mapping[str, str]:
        """Role name -> what data it expects (e.g. ``"price"``: candles)."""
        ...

    def on_bars(self, bars: BarBatch, start: int, stop: int, ctx: EngineContext) -> BarDecision:
        """Scan ``bars[start:stop]``; return the first bar whose close produces intents."""
        ...
