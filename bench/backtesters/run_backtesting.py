"""Race runner: backtesting.py (bench-only env ``bench/.venvs/backtesting``).

``trade_on_close=True`` (fill at the signal bar's close), commission 0.1 % of value per fill,
``finalize_trades=True`` so a trade still open at the end is counted.
"""

from __future__ import annotations

import warnings

import backtesting
import numpy as np
import pandas as pd
from _common import CASH, FAST, FEE, MINUTE_NS, SIZE, SLOW, START_NS, main
from backtesting import Backtest, Strategy


def sma(values: np.ndarray, n: int) -> np.ndarray:
    return pd.Series(values).rolling(n).mean().to_numpy()


class SmaCross(Strategy):
    def init(self) -> None:
        self.fast = self.I(sma, self.data.Close, FAST)
        self.slow = self.I(sma, self.data.Close, SLOW)

    def next(self) -> None:
        want = self.fast[-1] > self.slow[-1]
        if want and not self.position:
            self.buy(size=SIZE)
        elif not want and self.position:
            self.position.close()


def run(bars: np.ndarray) -> tuple[int, float]:
    index = pd.to_datetime(START_NS + np.arange(len(bars), dtype=np.int64) * MINUTE_NS)
    frame = pd.DataFrame(bars, columns=["Open", "High", "Low", "Close", "Volume"], index=index)
    bt = Backtest(
        frame,
        SmaCross,
        cash=CASH,
        commission=FEE,
        trade_on_close=True,
        finalize_trades=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = bt.run()
    return len(stats["_trades"]), float(stats["Equity Final [$]"])


if __name__ == "__main__":
    main("backtesting.py", backtesting.__version__, run)
