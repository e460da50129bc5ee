"""Race runner: backtrader (bench-only env ``bench/.venvs/backtrader``).

Orders fill at the signal bar's close (``broker.set_coc(True)``, backtrader's cheat-on-close);
commission 0.1 % of value; observers off (``stdstats=False``), preloaded, ``runonce`` indicators.
"""

from __future__ import annotations

from typing import Any

import backtrader as bt
import numpy as np
from _common import CASH, FAST, FEE, MINUTE_NS, SIZE, SLOW, START_NS, main


class ArrayFeed(bt.feed.DataBase):  # type: ignore[misc]
    """Bars straight from the numpy array (backtrader's own feeds want CSV or pandas)."""

    params = (("bars", None),)

    def start(self) -> None:
        super().start()
        self._rows = self.p.bars.tolist()
        self._i = 0

    def _load(self) -> bool:
        if self._i >= len(self._rows):
            return False
        o, h, lo, c, v = self._rows[self._i]
        ts = (START_NS + self._i * MINUTE_NS) / 1e9
        self.lines.datetime[0] = bt.date2num(bt.datetime.datetime.utcfromtimestamp(ts))
        self.lines.open[0], self.lines.high[0], self.lines.low[0] = o, h, lo
        self.lines.close[0], self.lines.volume[0] = c, v
        self.lines.openinterest[0] = 0.0
        self._i += 1
        return True


class SmaCross(bt.Strategy):  # type: ignore[misc]
    def __init__(self) -> None:
        self.fast = bt.ind.SMA(self.data.close, period=FAST)
        self.slow = bt.ind.SMA(self.data.close, period=SLOW)
        self.entries = 0

    def next(self) -> None:
        want = self.fast[0] > self.slow[0]
        if want and not self.position:
            self.buy(size=SIZE)
        elif not want and self.position:
            self.close()

    def notify_order(self, order: Any) -> None:
        if order.status == order.Completed and order.isbuy():
            self.entries += 1


def run(bars: np.ndarray) -> tuple[int, float]:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(ArrayFeed(bars=bars))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=FEE)
    cerebro.broker.set_coc(True)
    strategy = cerebro.run()[0]
    return strategy.entries, cerebro.broker.getvalue()


if __name__ == "__main__":
    main("backtrader", bt.__version__, run)
