"""Realized volatility of a reference price over a rolling window of ticks.

``value`` is sqrt(sum of squared tick returns) over the window, in percent: the realized move
of the window's horizon. Unlike a mean-centred standard deviation it also sees a steady slide
(a crash is a run of same-signed returns), which is what makes fills expensive.
"""

from __future__ import annotations

import math
from collections import deque


class RollingVolatility:
    def __init__(self, window: int) -> None:
        if window < 2:
            raise ValueError(f"volatility window must be >= 2, got {window}")
        self._squares: deque[float] = deque(maxlen=window)
        self._sum = 0.0
        self._last: float | None = None

    def update(self, price: float) -> float:
        if not (price > 0 and math.isfinite(price)):
            raise ValueError(f"price must be positive and finite, got {price}")
        if self._last is not None:
            r = price / self._last - 1.0
            if len(self._squares) == self._squares.maxlen:
                self._sum -= self._squares[0]
            self._squares.append(r * r)
            self._sum += r * r
        self._last = price
        return self.value

    @property
    def value(self) -> float:
        return math.sqrt(max(self._sum, 0.0)) * 100.0

    def is_volatile(self, threshold_pct: float) -> bool:
        return self.value > threshold_pct
