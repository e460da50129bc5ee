"""Loading recorded market data: candles, funding rates and raw trades.

Formats (see ``../shared/data/README.md``): freqtrade-style Arrow IPC (``.feather``) or Parquet
tables. Candles: ``date`` (UTC timestamp), ``open, high, low, close, volume``. Funding: ``date``
and the rate per settlement in ``open``. Trades: ``timestamp`` (ms), ``price``, ``amount``,
``side`` and ``id``.

Every check reports the file and the first offending rows (index in the file, timestamp) with a
typed :class:`~phantom.backtest.errors.DataError`; nothing is filled or dropped silently. Gaps
against the timeframe (the median spacing of the rows) follow a :class:`GapPolicy`: ``error``
raises :class:`MissingTimestamps`, ``report`` keeps the rows as they are and lists the gaps
(``Candles.gaps``), ``fill`` forward-fills them with flat bars (volume 0) and counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from phantom.backtest.errors import (
    BadPrices,
    BadRow,
    BadValues,
    DataError,
    DuplicateTimestamps,
    DuplicateTrades,
    EmptyData,
    MissingColumns,
    MissingTimestamps,
    UnsortedTimestamps,
    iso,
)
from phantom.engines.base import BarBatch

FloatArray = npt.NDArray[np.float64]
CANDLE_COLUMNS = ("open", "high", "low", "close", "volume")
GAP_FACTOR = 1.5  # a spacing above 1.5 timeframes is a gap


class GapPolicy(StrEnum):
    ERROR = "error"
    REPORT = "report"
    FILL = "fill"


@dataclass(frozen=True, slots=True)
class Gap:
    """Rows missing after row ``index`` (0-based in the file) dated ``after``."""

    index: int
    after: str
    missing: int

    def as_dict(self) -> dict[str, Any]:
        return {"after_row": self.index, "after": self.after, "missing_bars": self.missing}


@dataclass(frozen=True, slots=True)
class Candles:
    """Validated candles of one instrument; ``ts`` is each bar's open time (epoch seconds)."""

    path: str
    symbol: str
    timeframe_s: float
    ts: FloatArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    gaps: tuple[Gap, ...] = ()
    filled_bars: int = 0
    first_row: int = 0  # index in the file of the first bar kept

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def close_ts(self) -> FloatArray:
        return self.ts + self.timeframe_s

    def batch(self, i0: int, i1: int) -> BarBatch:
        s = slice(i0, i1)
        return BarBatch(
            self.symbol,
            self.timeframe_s,
            self.ts[s],
            self.open[s],
            self.high[s],
            self.low[s],
            self.close[s],
            self.volume[s],
        )


@dataclass(frozen=True, slots=True)
class FundingRates:
    """Funding prints: ``rate`` per settlement (0.0001 is 0.01 %) at ``ts`` (epoch seconds)."""

    path: str
    interval_s: float
    ts: FloatArray
    rate: FloatArray
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True, slots=True)
class Trades:
    """Raw trades in time order; ``buy`` is True for a taker buy."""

    path: str
    ts: FloatArray
    price: FloatArray
    amount: FloatArray
    buy: npt.NDArray[np.bool_]


# --- reading ---------------------------------------------------------------------------------
def read_table(path: Path) -> Any:
    """An Arrow table from a ``.feather``/``.arrow``/``.ipc`` or ``.parquet``/``.pq`` file."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if suffix in (".feather", ".arrow", ".ipc"):
        import pyarrow.feather as feather

        return feather.read_table(path)
    raise ValueError(f"{path}: unknown data format {suffix!r} (use .feather or .parquet)")


def _require(table: Any, path: str, names: tuple[str, ...]) -> None:
    missing = [n for n in names if n not in table.column_names]
    if missing:
        rows = [BadRow(-1, "-", f"column {n!r} absent") for n in missing]
        raise MissingColumns(path, rows, len(missing), f"columns present: {table.column_names}")


def _float_column(table: Any, name: str) -> FloatArray:
    import pyarrow as pa

    col = table.column(name).cast(pa.float64())
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def _seconds(table: Any, name: str, path: str, unit_ms: bool = False) -> FloatArray:
    """A timestamp column (or integer milliseconds) as float epoch seconds."""
    import pyarrow as pa

    col = table.column(name)
    if col.null_count:
        idx = np.flatnonzero(np.asarray(col.is_null().to_numpy(zero_copy_only=False)))
        rows = [BadRow(int(i), "null", "timestamp is null") for i in idx[:5]]
        raise BadValues(path, rows, int(idx.shape[0]))
    if pa.types.is_timestamp(col.type):
        ns = col.cast(pa.timestamp("ns", tz=col.type.tz)).cast(pa.int64())
        return np.asarray(ns.to_numpy(zero_copy_only=False), dtype=np.float64) / 1e9
    raw = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    return raw / 1000.0 if unit_ms or (raw.size and raw.max() > 1e11) else raw


def symbol_of(path: Path) -> str:
    """``SOL_USDT-1h.feather`` -> ``SOL/USDT``; ``SOL_USDT_USDT-1h-futures`` -> ``SOL/USDT``."""
    parts = path.name.split("-")[0].split("_")
    if len(parts) >= 2:
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


# --- checks ----------------------------------------------------------------------------------
def _rows(idx: npt.NDArray[np.intp], ts: FloatArray, detail: list[str]) -> list[BadRow]:
    return [BadRow(int(i), iso(float(ts[i])), d) for i, d in zip(idx, detail, strict=False)]


def check_values(path: str, ts: FloatArray, columns: dict[str, FloatArray], positive: bool) -> None:
    """NaN (or, with ``positive``, values <= 0) in any of ``columns`` -> :class:`BadPrices`."""
    bad = np.zeros(ts.shape[0], dtype=bool)
    for values in columns.values():
        bad |= ~np.isfinite(values) | ((values <= 0) if positive else False)
    idx = np.flatnonzero(bad)
    if idx.shape[0]:
        details = [
            ", ".join(
                f"{n}={v[i]!r}"
                for n, v in columns.items()
                if not np.isfinite(v[i]) or (positive and v[i] <= 0)
            )
            for i in idx[:5]
        ]
        raise BadPrices(path, _rows(idx[:5], ts, details), int(idx.shape[0]))


def check_order(path: str, ts: FloatArray, allow_equal: bool = False) -> None:
    """Timestamps must never go backwards (nor repeat, unless ``allow_equal``)."""
    diffs = np.diff(ts)
    back = np.flatnonzero(diffs < 0) + 1
    if back.shape[0]:
        details = [f"earlier than row {i - 1} ({iso(float(ts[i - 1]))})" for i in back[:5]]
        raise UnsortedTimestamps(path, _rows(back[:5], ts, details), int(back.shape[0]))
    if not allow_equal:
        dup = np.flatnonzero(diffs == 0) + 1
        if dup.shape[0]:
            details = [f"same time as row {i - 1}" for i in dup[:5]]
            raise DuplicateTimestamps(path, _rows(dup[:5], ts, details), int(dup.shape[0]))


def infer_timeframe(ts: FloatArray) -> float:
    """The timeframe: the median spacing of the rows, in seconds (rounded to the millisecond)."""
    if ts.shape[0] < 2:
        return 0.0
    return round(float(np.median(np.diff(ts))), 3)


def find_gaps(ts: FloatArray, timeframe_s: float, first_row: int = 0) -> tuple[Gap, ...]:
    if ts.shape[0] < 2 or timeframe_s <= 0:
        return ()
    diffs = np.diff(ts)
    idx = np.flatnonzero(diffs > GAP_FACTOR * timeframe_s)
    return tuple(
        Gap(int(i) + first_row, iso(float(ts[i])), round(float(diffs[i]) / timeframe_s) - 1)
        for i in idx
    )


def gap_error(path: str, gaps: tuple[Gap, ...], timeframe_s: float) -> MissingTimestamps:
    rows = [BadRow(g.index, g.after, f"{g.missing} bar(s) missing after it") for g in gaps]
    hint = (
        f"timeframe {timeframe_s:g} s; pass --fill-gaps to forward-fill them, "
        "or --gaps report to keep the rows as they are"
    )
    return MissingTimestamps(path, rows, len(gaps), hint)


def fill_gaps(candles: Candles) -> Candles:
    """Forward-fill every gap with flat bars at the last close (volume 0)."""
    if not candles.gaps:
        return candles
    n, tf = len(candles), candles.timeframe_s
    reps = np.ones(n, dtype=np.intp)
    for g in candles.gaps:
        reps[g.index - candles.first_row] += g.missing
    src = np.repeat(np.arange(n), reps)
    starts = np.repeat(np.cumsum(reps) - reps, reps)
    offs = np.arange(src.shape[0]) - starts
    filled = offs > 0
    close = candles.close[src]

    def carry(values: FloatArray) -> FloatArray:
        return np.where(filled, close, values[src])

    return replace(
        candles,
        ts=candles.ts[src] + offs * tf,
        open=carry(candles.open),
        high=carry(candles.high),
        low=carry(candles.low),
        close=close,
        volume=np.where(filled, 0.0, candles.volume[src]),
        filled_bars=int(filled.sum()),
    )


# --- loaders ---------------------------------------------------------------------------------
def load_candles(
    path: Path | str,
    *,
    gaps: GapPolicy = GapPolicy.ERROR,
    start: float | None = None,
    end: float | None = None,
    symbol: str | None = None,
) -> Candles:
    """Candles in ``[start, end]`` (bar open times, epoch seconds; ``None``: unbounded).

    Prices and order are checked over the whole file; gaps only inside the selected range."""
    p = Path(path)
    name = str(path)
    table = read_table(p)
    _require(table, name, ("date", *CANDLE_COLUMNS))
    ts = _seconds(table, "date", name)
    cols = {c: _float_column(table, c) for c in CANDLE_COLUMNS}
    if ts.shape[0] == 0:
        raise EmptyData(name, [], 0)
    check_values(name, ts, {c: cols[c] for c in ("open", "high", "low", "close")}, True)
    vol = cols["volume"]
    bad_vol = np.flatnonzero(~np.isfinite(vol) | (vol < 0))
    if bad_vol.shape[0]:
        details = [f"volume={vol[i]!r}" for i in bad_vol[:5]]
        raise BadValues(name, _rows(bad_vol[:5], ts, details), int(bad_vol.shape[0]))
    check_order(name, ts)
    timeframe = infer_timeframe(ts)
    i0 = 0 if start is None else int(np.searchsorted(ts, start, side="left"))
    i1 = ts.shape[0] if end is None else int(np.searchsorted(ts, end, side="right"))
    if i1 <= i0:
        raise EmptyData(name, [], 0, f"no bar between {_opt(start)} and {_opt(end)}")
    sel = slice(i0, i1)
    found = find_gaps(ts[sel], timeframe, first_row=i0)
    if found and gaps is GapPolicy.ERROR:
        raise gap_error(name, found, timeframe)
    kept = {c: np.ascontiguousarray(cols[c][sel]) for c in CANDLE_COLUMNS}
    candles = Candles(
        path=name,
        symbol=symbol or symbol_of(p),
        timeframe_s=timeframe,
        ts=np.ascontiguousarray(ts[sel]),
        open=kept["open"],
        high=kept["high"],
        low=kept["low"],
        close=kept["close"],
        volume=kept["volume"],
        gaps=found,
        first_row=i0,
    )
    return fill_gaps(candles) if gaps is GapPolicy.FILL else candles


def _opt(ts: float | None) -> str:
    return "-" if ts is None else iso(ts)


def load_funding(path: Path | str, *, gaps: GapPolicy = GapPolicy.ERROR) -> FundingRates:
    """Funding rates (``open`` column); rates may be negative, never NaN."""
    p = Path(path)
    name = str(path)
    table = read_table(p)
    _require(table, name, ("date", "open"))
    ts = _seconds(table, "date", name)
    if ts.shape[0] == 0:
        raise EmptyData(name, [], 0)
    rate = _float_column(table, "open")
    bad = np.flatnonzero(~np.isfinite(rate))
    if bad.shape[0]:
        details = [f"rate={rate[i]!r}" for i in bad[:5]]
        raise BadValues(name, _rows(bad[:5], ts, details), int(bad.shape[0]))
    check_order(name, ts)
    interval = infer_timeframe(ts)
    found = find_gaps(ts, interval)
    if found and gaps is GapPolicy.ERROR:
        raise gap_error(name, found, interval)
    if gaps is GapPolicy.FILL:
        raise DataError(name, [], 0, "funding gaps cannot be forward-filled (a rate is a print)")
    return FundingRates(name, interval, ts, rate, found)


def load_trades(path: Path | str) -> Trades:
    """Raw trades; equal timestamps are normal, going backwards or repeating an id is not."""
    p = Path(path)
    name = str(path)
    table = read_table(p)
    _require(table, name, ("timestamp", "price", "amount", "side"))
    ts = _seconds(table, "timestamp", name, unit_ms=True)
    if ts.shape[0] == 0:
        raise EmptyData(name, [], 0)
    price = _float_column(table, "price")
    amount = _float_column(table, "amount")
    check_values(name, ts, {"price": price, "amount": amount}, True)
    check_order(name, ts, allow_equal=True)
    if "id" in table.column_names:
        ids = np.asarray(table.column("id").to_numpy(zero_copy_only=False))
        order = np.argsort(ids, kind="stable")
        same = np.flatnonzero(ids[order][1:] == ids[order][:-1]) + 1
        if same.shape[0]:
            dup = np.sort(order[same])
            details = [f"id {ids[i]!r} seen before" for i in dup[:5]]
            raise DuplicateTrades(name, _rows(dup[:5], ts, details), int(dup.shape[0]))
    sides = np.asarray(table.column("side").to_numpy(zero_copy_only=False))
    return Trades(name, ts, price, amount, sides == "buy")
