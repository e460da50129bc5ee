"""Race runner: vectorbt (bench-only env ``bench/.venvs/vectorbt``).

Vectorised: ``MA.run`` for both averages, ``ma_above`` for the long regime (entries) and its
negation (exits; ``from_signals`` ignores an entry while long and an exit while flat), and
``Portfolio.from_signals`` filling at the signal bar's close (its default ``price``), a fixed
amount of 100 units, 0.1 % fees. The figure is *warm*: numba's JIT compilation is done first
on a 2,000-bar slice in the same process (its time is reported as ``warmup_s``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import vectorbt as vbt
from _common import CASH, FAST, FEE, MINUTE_NS, SIZE, SLOW, START_NS, main


def run(bars: np.ndarray) -> tuple[int, float]:
    index = pd.to_datetime(START_NS + np.arange(len(bars), dtype=np.int64) * MINUTE_NS)
    close = pd.Series(bars[:, 3], index=index, name="close")
    fast = vbt.MA.run(close, FAST)
    slow = vbt.MA.run(close, SLOW)
    entries = fast.ma_above(slow)
    exits = ~entries
    pf = vbt.Portfolio.from_signals(
        close,
        entries,
        exits,
        size=SIZE,
        size_type="amount",
        fees=FEE,
        init_cash=CASH,
        freq="1min",
    )
    buys = int((pf.orders.values["side"] == 0).sum())
    return buys, float(pf.final_value())


if __name__ == "__main__":
    main("vectorbt", vbt.__version__, run, warmup_bars=2_000)
