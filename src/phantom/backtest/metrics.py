"""Backtest metrics, from the equity curve (one point per bar close) and the book.

Definitions (also in ``docs/backtesting.md``):

- **trades**: round trips from flat to flat; **win rate**: share of closed trades whose PnL
  (every cost included) is above zero. A trade still open at the end is reported apart.
- **total return**: final equity / initial capital - 1; **annualized**: compounded over the
  span from the first bar's open to the last bar's close, 365.25-day years.
- **drawdown**: equity against its running peak. An episode runs from the last peak before
  equity dips below it (``peak``) through its lowest point (``trough``) to the first bar back
  at or above that peak (``recovery``, ``None`` if it never came back). ``max_drawdown`` is
  the deepest; ``drawdowns`` lists the five deepest episodes.
- **Sharpe / Sortino**: on daily returns (equity at the last bar close of each UTC day, the
  first day measured from the initial capital), annualized with sqrt(365) (crypto trades every
  day), risk-free rate 0. Sortino divides by the downside deviation sqrt(mean(min(r, 0)^2)).
- **exposure**: share of bars at whose close a position was held.
- **costs** by kind (fee, slippage, mev, gas, priority_fee, tip) in USD over every fill,
  failures by reason, **rejections** by reason (risk gates, capital, refused by the model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.backtest.book import Trade
from phantom.backtest.errors import iso
from phantom.core.costs import CostBreakdown

FloatArray = npt.NDArray[np.float64]
DAY = 86_400.0
YEAR = 365.25 * DAY
PERIODICITY = "daily returns (UTC days), annualized with sqrt(365), risk-free rate 0"
USD = Decimal("0.01")


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


@dataclass(frozen=True, slots=True)
class Drawdown:
    depth_pct: float  # negative: -12.5 is a 12.5 % fall from the peak
    peak: str
    trough: str
    recovery: str | None
    peak_equity_usd: float
    trough_equity_usd: float


@dataclass(frozen=True, slots=True)
class Metrics:
    initial_usd: str
    final_equity_usd: str
    trades: int
    wins: int
    losses: int
    win_rate_pct: float | None
    avg_trade_pct: float | None
    best_trade_pct: float | None
    worst_trade_pct: float | None
    open_trade: bool
    total_return_pct: float
    annualized_return_pct: float | None
    max_drawdown: Drawdown | None
    drawdowns: tuple[Drawdown, ...]
    sharpe: float | None
    sortino: float | None
    periodicity: str
    exposure_pct: float
    costs_usd: dict[str, str]
    costs_total_usd: str
    fills: dict[str, int]
    failures: dict[str, int]
    rejections: dict[str, int]
    intents: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def drawdown_episodes(equity: FloatArray, times: FloatArray) -> list[Drawdown]:
    """Every drawdown episode, deepest first (ties: earliest first)."""
    n = equity.shape[0]
    if n < 2:
        return []
    peak = np.maximum.accumulate(equity)
    dd = np.divide(equity, peak, out=np.ones(n), where=peak > 0) - 1.0
    under = dd < 0
    if not under.any():
        return []
    edges = np.diff(np.concatenate(([False], under, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # first bar back at the peak (or n)
    depth = np.minimum.reduceat(dd, starts)
    order = np.lexsort((starts, depth))
    out: list[Drawdown] = []
    for k in order:
        s, e = int(starts[k]), int(ends[k])
        trough = s + int(np.argmin(dd[s:e]))
        p = s - 1
        out.append(
            Drawdown(
                depth_pct=_r(depth[k] * 100.0),
                peak=iso(float(times[p])),
                trough=iso(float(times[trough])),
                recovery=iso(float(times[e])) if e < n else None,
                peak_equity_usd=_r(equity[p], 2),
                trough_equity_usd=_r(equity[trough], 2),
            )
        )
    return out


def daily_returns(equity: FloatArray, times: FloatArray, initial: float) -> FloatArray:
    days = np.floor(times / DAY)
    last = np.flatnonzero(np.diff(days) != 0)
    idx = np.concatenate((last, [equity.shape[0] - 1]))
    daily = np.concatenate(([initial], equity[idx]))
    return np.diff(daily) / daily[:-1]


def sharpe_sortino(returns: FloatArray) -> tuple[float | None, float | None]:
    if returns.shape[0] < 2:
        return None, None
    mean = float(returns.mean())
    sd = float(returns.std(ddof=1))
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
    ann = float(np.sqrt(365.0))
    sharpe = _r(mean / sd * ann) if sd > 0 else None
    sortino = _r(mean / downside * ann) if downside > 0 else None
    return sharpe, sortino


def compute_metrics(
    *,
    equity: FloatArray,
    close_ts: FloatArray,
    first_open_ts: float,
    held: npt.NDArray[np.bool_],
    trades: Sequence[Trade],
    open_trade: bool,
    initial_usd: Decimal,
    final_equity_usd: Decimal,
    costs: CostBreakdown,
    fills: Mapping[str, int],
    failures: Mapping[str, int],
    rejections: Mapping[str, int],
    intents: int,
) -> Metrics:
    closed = [t for t in trades if t.exit_ts is not None]
    pcts = [t.pnl_units / t.spent * 100.0 if t.spent else 0.0 for t in closed]
    wins = sum(1 for t in closed if t.pnl_units > 0)
    initial = float(initial_usd)
    final = float(final_equity_usd)
    total = final / initial - 1.0
    years = (float(close_ts[-1]) - first_open_ts) / YEAR if close_ts.shape[0] else 0.0
    annual = None
    if years > 0 and final > 0:
        annual = _r(((final / initial) ** (1.0 / years) - 1.0) * 100.0)
    episodes = drawdown_episodes(equity, close_ts)
    sharpe, sortino = sharpe_sortino(daily_returns(equity, close_ts, initial))
    cost_map = {k: str(v.quantize(USD)) for k, v in costs.as_dict().items()}
    return Metrics(
        initial_usd=str(initial_usd.quantize(USD)),
        final_equity_usd=str(final_equity_usd.quantize(USD)),
        trades=len(closed),
        wins=wins,
        losses=len(closed) - wins,
        win_rate_pct=_r(wins / len(closed) * 100.0) if closed else None,
        avg_trade_pct=_r(float(np.mean(pcts))) if pcts else None,
        best_trade_pct=_r(max(pcts)) if pcts else None,
        worst_trade_pct=_r(min(pcts)) if pcts else None,
        open_trade=open_trade,
        total_return_pct=_r(total * 100.0),
        annualized_return_pct=annual,
        max_drawdown=episodes[0] if episodes else None,
        drawdowns=tuple(episodes[:5]),
        sharpe=sharpe,
        sortino=sortino,
        periodicity=PERIODICITY,
        exposure_pct=_r(float(held.mean()) * 100.0) if held.shape[0] else 0.0,
        costs_usd=cost_map,
        costs_total_usd=str(costs.total.quantize(USD)),
        fills=dict(sorted(fills.items())),
        failures=dict(sorted(failures.items())),
        rejections=dict(sorted(rejections.items())),
        intents=intents,
    )
