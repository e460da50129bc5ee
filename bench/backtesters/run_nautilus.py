"""Race runner: NautilusTrader (bench-only env ``bench/.venvs/nautilus``).

A ``BacktestEngine`` with one simulated venue (cash account, netting), an equity instrument at
9 price decimals (so the bars keep the walk's floats to 1e-9) with a 0.1 % taker fee, and 1-minute
LAST bars built by ``BarDataWrangler``. The strategy registers two ``SimpleMovingAverage``
indicators and sends market orders from ``on_bar``; with bar execution the venue's book stands at
the bar's close, so the market order fills at the signal bar's close.
"""

from __future__ import annotations

from decimal import Decimal

import nautilus_trader
import numpy as np
import pandas as pd
from _common import CASH, FAST, FEE, MINUTE_NS, SIZE, SLOW, START_NS, main
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.indicators import SimpleMovingAverage
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
from nautilus_trader.model.instruments import Equity
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.trading.strategy import Strategy

VENUE = Venue("SIM")
INSTRUMENT_ID = InstrumentId(Symbol("WALK"), VENUE)
BAR_TYPE = BarType.from_str("WALK.SIM-1-MINUTE-LAST-EXTERNAL")


class SmaCrossConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    bar_type: BarType


class SmaCross(Strategy):
    def __init__(self, config: SmaCrossConfig) -> None:
        super().__init__(config)
        self.fast = SimpleMovingAverage(FAST)
        self.slow = SimpleMovingAverage(SLOW)
        self.long = False
        self.entries = 0
        self.qty = Quantity.from_int(SIZE)

    def on_start(self) -> None:
        self.register_indicator_for_bars(self.config.bar_type, self.fast)
        self.register_indicator_for_bars(self.config.bar_type, self.slow)
        self.subscribe_bars(self.config.bar_type)

    def on_bar(self, bar: Bar) -> None:
        if not self.slow.initialized:
            return
        want = self.fast.value > self.slow.value
        if want and not self.long:
            self.submit_order(
                self.order_factory.market(self.config.instrument_id, OrderSide.BUY, self.qty)
            )
            self.long = True
        elif not want and self.long:
            self.submit_order(
                self.order_factory.market(self.config.instrument_id, OrderSide.SELL, self.qty)
            )
            self.long = False

    def on_order_filled(self, event: OrderFilled) -> None:
        if event.order_side == OrderSide.BUY:
            self.entries += 1


def run(bars: np.ndarray) -> tuple[int, float]:
    instrument = Equity(
        instrument_id=INSTRUMENT_ID,
        raw_symbol=Symbol("WALK"),
        currency=USD,
        price_precision=9,
        price_increment=Price.from_str("0.000000001"),
        lot_size=Quantity.from_int(1),
        ts_event=0,
        ts_init=0,
        maker_fee=Decimal(str(FEE)),
        taker_fee=Decimal(str(FEE)),
    )
    index = pd.to_datetime(START_NS + np.arange(len(bars), dtype=np.int64) * MINUTE_NS, utc=True)
    frame = pd.DataFrame(bars, columns=["open", "high", "low", "close", "volume"], index=index)
    data = BarDataWrangler(BAR_TYPE, instrument).process(frame)
    engine = BacktestEngine(
        BacktestEngineConfig(
            trader_id=TraderId("BENCH-001"), logging=LoggingConfig(log_level="ERROR")
        )
    )
    engine.add_venue(
        venue=VENUE,
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        base_currency=USD,
        starting_balances=[Money(CASH, USD)],
    )
    engine.add_instrument(instrument)
    engine.add_data(data)
    strategy = SmaCross(SmaCrossConfig(instrument_id=INSTRUMENT_ID, bar_type=BAR_TYPE))
    engine.add_strategy(strategy)
    engine.run()
    account = engine.trader.generate_account_report(VENUE)
    cash = float(account["total"].iloc[-1])
    units = SIZE if strategy.long else 0
    equity = cash + units * float(bars[-1, 3])
    entries = strategy.entries
    engine.dispose()
    return entries, equity


if __name__ == "__main__":
    main("nautilus_trader", nautilus_trader.__version__, run)
