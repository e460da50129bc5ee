"""Clocks. An engine never reads the time itself; the mode hands it a clock."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...


class WallClock:
    def now(self) -> float:
        return time.time()


class SimClock:
    """Simulated time that only moves forward when told to."""

    def __init__(self, start: float) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, ts: float) -> None:
        if ts < self._now:
            raise ValueError(f"simulated clock cannot go back from {self._now} to {ts}")
        self._now = ts
