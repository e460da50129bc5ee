"""The backtester: engines over recorded data, in simulated time, realistic and naive.

Entry point: :func:`run_backtest` with a :class:`BacktestSpec`; reports with
:func:`phantom.backtest.report.write_reports`. See ``docs/backtesting.md``.
"""

from phantom.backtest.api import run_backtest
from phantom.backtest.data import Candles, GapPolicy, load_candles, load_funding, load_trades
from phantom.backtest.errors import DataError
from phantom.backtest.metrics import Drawdown, Metrics
from phantom.backtest.spec import BacktestResult, BacktestSpec, Mode, ModeResult, default_realism

__all__ = [
    "BacktestResult",
    "BacktestSpec",
    "Candles",
    "DataError",
    "Drawdown",
    "GapPolicy",
    "Metrics",
    "Mode",
    "ModeResult",
    "default_realism",
    "load_candles",
    "load_funding",
    "load_trades",
    "run_backtest",
]
