"""PNG charts of a backtest (matplotlib, Agg backend: no display needed).

Long runs are decimated for drawing (each bucket of bars keeps its lowest and highest point,
so a crash or a spike is never smoothed away); the numbers in the report come from every bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.backtest.metrics import Drawdown
from phantom.backtest.spec import BacktestResult, Mode, ModeResult

FloatArray = npt.NDArray[np.float64]
MAX_POINTS = 4000
COLORS = {Mode.REALISTIC: "#1f77b4", Mode.NAIVE: "#ff7f0e", "hold": "#7f7f7f"}
CHART_FILES = ("equity.png", "compare.png", "trades.png", "drawdowns.png", "crashes.png")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def decimate(values: FloatArray, max_points: int = MAX_POINTS) -> npt.NDArray[np.intp]:
    """Indexes to draw: the min and max of each bucket, in order, first and last kept."""
    n = values.shape[0]
    if n <= max_points:
        return np.arange(n)
    k = int(np.ceil(n / (max_points // 2)))
    m = n // k * k
    blocks = values[:m].reshape(-1, k)
    base = np.arange(0, m, k)
    idx = np.concatenate(
        (base + blocks.argmin(axis=1), base + blocks.argmax(axis=1), [0, n - 1], np.arange(m, n))
    )
    return np.unique(idx)


def _dates(ts: FloatArray) -> npt.NDArray[np.datetime64]:
    return (ts * 1000.0).astype("datetime64[ms]")


def _date(iso: str) -> np.datetime64:
    return np.datetime64(iso.rstrip("Z"))


def _finish(fig: Any, ax: Any, path: Path, title: str) -> None:
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    _plt().close(fig)


def _primary(result: BacktestResult) -> ModeResult:
    return result.runs.get(Mode.REALISTIC) or next(iter(result.runs.values()))


def equity_chart(result: BacktestResult, path: Path) -> None:
    """The equity curve, every drawdown shaded, the largest labelled with their dates."""
    plt = _plt()
    run = _primary(result)
    t = result.close_ts
    idx = decimate(run.equity)
    peak = np.maximum.accumulate(run.equity)
    fig, ax = plt.subplots(figsize=(11, 5))
    x = _dates(t[idx])
    ax.plot(x, run.equity[idx], color=COLORS[run.mode], lw=1.0, label=f"{run.mode} equity")
    ax.fill_between(x, run.equity[idx], peak[idx], color="red", alpha=0.25, label="drawdown")
    _label_drawdowns(ax, run.metrics.drawdowns)
    ax.set_ylabel("equity (USD)")
    ax.legend(loc="upper left", fontsize=8)
    _finish(fig, ax, path, f"{result.spec.engine}: {run.mode} equity, drawdowns shaded")


def _label_drawdowns(ax: Any, drawdowns: Sequence[Drawdown], under: bool = False) -> None:
    """A ``#k`` at each of the largest drawdowns' troughs, and a box listing their dates."""
    lines = []
    for rank, dd in enumerate(drawdowns, start=1):
        y = dd.depth_pct if under else dd.trough_equity_usd
        ax.plot([_date(dd.trough)], [y], marker="v", color="black", ms=4)
        ax.annotate(
            f"#{rank}",
            xy=(_date(dd.trough), y),
            xytext=(0, -11),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
        rec = dd.recovery[:10] if dd.recovery else "not recovered"
        lines.append(
            f"#{rank} {dd.depth_pct:6.1f}%  peak {dd.peak[:10]}  trough {dd.trough[:10]}  "
            f"recovery {rec}"
        )
    if lines:
        ax.text(
            0.99,
            0.98,
            "\n".join(lines),
            transform=ax.transAxes,
            ha="right",
            va="top",
            multialignment="left",
            fontsize=7,
            family="monospace",
            bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85, "lw": 0.3},
        )


def compare_chart(result: BacktestResult, path: Path) -> None:
    """Realistic and naive equity with buy-and-hold of the traded asset."""
    plt = _plt()
    t = result.close_ts
    fig, ax = plt.subplots(figsize=(11, 5))
    series: list[tuple[str, FloatArray, str]] = [
        (f"{m} ({r.metrics.total_return_pct:+.1f}%)", r.equity, COLORS[m])
        for m, r in result.runs.items()
    ]
    hold_ret = (float(result.buy_and_hold[-1]) / float(result.spec.initial_usd) - 1) * 100
    series.append((f"buy and hold ({hold_ret:+.1f}%)", result.buy_and_hold, COLORS["hold"]))
    lows = min(float(s[1].min()) for s in series)
    highs = max(float(s[1].max()) for s in series)
    for label, values, color in series:
        idx = decimate(values)
        ax.plot(_dates(t[idx]), values[idx], lw=1.0, color=color, label=label)
    if lows > 0 and highs / lows > 20:
        ax.set_yscale("log")
    ax.set_ylabel("equity (USD)")
    ax.legend(loc="upper left", fontsize=8)
    _finish(fig, ax, path, "equity: realistic vs naive vs buy and hold")


def trades_chart(result: BacktestResult, path: Path) -> None:
    """The price with the entries and exits of the realistic run (the first mode otherwise)."""
    plt = _plt()
    run = _primary(result)
    c = result.candles
    idx = decimate(c.close)
    fig, ax = plt.subplots(figsize=(11, 5))
    ax.plot(_dates(result.close_ts[idx]), c.close[idx], color="black", lw=0.7, label="close")
    for buy, marker, color, name in ((True, "^", "green", "entry"), (False, "v", "red", "exit")):
        pts = [m for m in run.markers if m.buy is buy]
        if pts:
            ax.scatter(
                _dates(np.array([m.ts for m in pts])),
                [m.price for m in pts],
                marker=marker,
                color=color,
                s=14,
                alpha=0.7,
                label=f"{name} ({len(pts)})",
                zorder=3,
            )
    if float(c.close.max()) / float(c.close.min()) > 20:
        ax.set_yscale("log")
    ax.set_ylabel(f"{result.base.symbol}/{result.quote.symbol}")
    ax.legend(loc="upper left", fontsize=8)
    _finish(fig, ax, path, f"{c.symbol}: {run.mode} entries and exits")


def drawdowns_chart(result: BacktestResult, path: Path) -> None:
    """The underwater curve of each mode, the five largest drawdowns labelled with dates."""
    plt = _plt()
    t = result.close_ts
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for mode, run in result.runs.items():
        peak = np.maximum.accumulate(run.equity)
        under = (run.equity / peak - 1.0) * 100.0
        idx = decimate(under)
        ax.fill_between(_dates(t[idx]), under[idx], 0, color=COLORS[mode], alpha=0.35, label=mode)
    run = _primary(result)
    for dd in run.metrics.drawdowns:
        end = _date(dd.recovery) if dd.recovery else _dates(t[-1:])[0]
        ax.axvspan(_date(dd.peak), end, color="red", alpha=0.06)
    _label_drawdowns(ax, run.metrics.drawdowns, under=True)
    ax.set_ylabel("below the running peak (%)")
    ax.legend(loc="lower left", fontsize=8)
    _finish(fig, ax, path, f"drawdowns ({run.mode}: the five largest labelled)")


def crashes_chart(result: BacktestResult, path: Path) -> None:
    """The price, known crashes in range shaded, each labelled with the strategy's PnL."""
    plt = _plt()
    c = result.candles
    run = _primary(result)
    idx = decimate(c.close)
    fig, ax = plt.subplots(figsize=(11, 5))
    ax.plot(_dates(result.close_ts[idx]), c.close[idx], color="black", lw=0.7)
    top = float(c.close.max())
    for k, ev in enumerate(run.events):
        start, end = (
            np.datetime64(ev.first_day),
            np.datetime64(ev.last_day) + np.timedelta64(1, "D"),
        )
        ax.axvspan(start, end, color="red", alpha=0.25)
        lines = [ev.name]
        for mode, r in result.runs.items():
            match = [e for e in r.events if e.key == ev.key]
            if match:
                lines.append(f"{mode}: {match[0].pnl_usd:+,.0f} USD ({match[0].pnl_pct:+.1f}%)")
        ax.annotate(
            "\n".join(lines),
            xy=(start, top * (0.95 - 0.12 * (k % 3))),
            fontsize=6.5,
            ha="center",
            va="top",
            bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8, "lw": 0.3},
        )
    ax.set_ylabel(f"{result.base.symbol}/{result.quote.symbol}")
    _finish(fig, ax, path, "known crashes in range, with the strategy's PnL during each")


def write_charts(result: BacktestResult, out: Path) -> list[str]:
    """Write every chart into ``out``; returns the file names written."""
    makers = (equity_chart, compare_chart, trades_chart, drawdowns_chart, crashes_chart)
    for name, make in zip(CHART_FILES, makers, strict=True):
        make(result, out / name)
    return list(CHART_FILES)
