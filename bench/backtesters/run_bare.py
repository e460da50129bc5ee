"""Race runner: a bare Python loop (the reference every framework's overhead is measured from).

Running sums for both averages, one pass over the bars, trade on the signal bar's close.
"""

from __future__ import annotations

import platform

import numpy as np
from _common import CASH, FAST, FEE, SIZE, SLOW, main


def run(bars: np.ndarray) -> tuple[int, float]:
    closes = bars[:, 3].tolist()
    cash, units, trades = CASH, 0, 0
    fast_sum = slow_sum = 0.0
    for i, close in enumerate(closes):
        fast_sum += close
        slow_sum += close
        if i >= FAST:
            fast_sum -= closes[i - FAST]
        if i >= SLOW:
            slow_sum -= closes[i - SLOW]
        if i < SLOW - 1:
            continue
        want = fast_sum / FAST > slow_sum / SLOW
        if want and units == 0:
            value = SIZE * close
            cash -= value + value * FEE
            units = SIZE
            trades += 1
        elif not want and units:
            value = units * close
            cash += value - value * FEE
            units = 0
    return trades, cash + units * closes[-1]


if __name__ == "__main__":
    main("bare-python", platform.python_version(), run)
