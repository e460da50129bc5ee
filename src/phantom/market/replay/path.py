"""A recorded reference price path: OHLC candles per symbol on shared timestamps.

``PricePath.price_at`` turns each candle into a continuous path so the intra-bar extremes are
visited: open -> first extreme -> second extreme -> close, piecewise linear. An up bar
(close > open) visits the low first, a down bar the high first, a flat bar the extreme nearer
the open first. Time inside a bar is shared out in proportion to each leg's length, so the price
moves at a constant speed through the bar (equal thirds when the bar is completely flat). Between
two bars separated by a gap the price runs linearly from the earlier close to the later open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FIELDS: tuple[str, ...] = ("open", "high", "low", "close")
SAMPLE_FILE = Path(__file__).parent / "data" / "sol_eth_btc_5m_2022-11.npz"
_TS_DIVISOR = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


class PathError(ValueError):
    """A price path is malformed (names the source, row and column)."""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True, eq=False)
class Bars:
    """One symbol's candles, aligned with :attr:`PricePath.timestamps`."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray

    def column(self, field: str) -> FloatArray:
        if field not in FIELDS:
            raise KeyError(f"unknown candle field {field!r}")
        array: FloatArray = getattr(self, field)
        return array


class PricePath:
    """Candles (bar open times in epoch seconds) for one or more symbols, validated.

    ``start`` is the first bar's open time, ``end`` the last bar's close time
    (``timestamps[-1] + bar_seconds``).
    """

    def __init__(
        self,
        timestamps: IntArray,
        bars: Mapping[str, Bars],
        bar_seconds: int | None = None,
        source: str = "price path",
    ) -> None:
        self.source = source
        ts = np.asarray(timestamps, dtype=np.int64)
        if ts.ndim != 1 or len(ts) == 0:
            raise PathError(f"{source}: needs at least one bar")
        if not bars:
            raise PathError(f"{source}: needs at least one symbol")
        self._check_timestamps(ts)
        diffs = np.diff(ts)
        inferred = int(diffs.min()) if len(diffs) else 300
        self.bar_seconds = inferred if bar_seconds is None else int(bar_seconds)
        if self.bar_seconds <= 0:
            raise PathError(f"{source}: bar_seconds must be positive, got {self.bar_seconds}")
        if len(diffs) and diffs.min() < self.bar_seconds:
            row = int(np.argmax(diffs < self.bar_seconds)) + 1
            raise PathError(
                f"{source}: row {row} ({_iso(int(ts[row]))}) starts before the previous "
                f"{self.bar_seconds}s bar ends"
            )
        self.timestamps: IntArray = ts
        self.bars: dict[str, Bars] = {}
        self._legs: dict[str, tuple[FloatArray, ...]] = {}
        for symbol, raw in bars.items():
            checked = self._check_bars(symbol, raw, ts)
            self.bars[symbol] = checked
            self._legs[symbol] = _legs(checked)
        self.symbols: tuple[str, ...] = tuple(self.bars)
        self._ts_float = ts.astype(np.float64)

    # --- validation ---
    def _check_timestamps(self, ts: IntArray) -> None:
        diffs = np.diff(ts)
        bad = np.flatnonzero(diffs <= 0)
        if len(bad):
            row = int(bad[0]) + 1
            what = "duplicates" if diffs[bad[0]] == 0 else "is earlier than"
            raise PathError(
                f"{self.source}: row {row}: timestamp {_iso(int(ts[row]))} {what} row {row - 1} "
                f"({_iso(int(ts[row - 1]))}); timestamps must be strictly increasing"
            )

    def _check_bars(self, symbol: str, raw: Bars, ts: IntArray) -> Bars:
        columns: dict[str, FloatArray] = {}
        for field in FIELDS:
            column = np.ascontiguousarray(raw.column(field), dtype=np.float64)
            if column.shape != ts.shape:
                raise PathError(
                    f"{self.source}: {symbol} {field} has {column.size} rows, "
                    f"timestamps have {ts.size}"
                )
            bad = np.flatnonzero(~(column > 0) | ~np.isfinite(column))
            if len(bad):
                row = int(bad[0])
                raise PathError(
                    f"{self.source}: row {row} ({_iso(int(ts[row]))}): {symbol} {field} must be "
                    f"a finite price > 0, got {column[row]!r}"
                )
            columns[field] = column
        o, h, lo, c = (columns[f] for f in FIELDS)
        for name, bad_mask in (
            ("high below open/close/low", h < np.maximum(np.maximum(o, c), lo)),
            ("low above open/close", lo > np.minimum(o, c)),
        ):
            bad = np.flatnonzero(bad_mask)
            if len(bad):
                row = int(bad[0])
                raise PathError(
                    f"{self.source}: row {row} ({_iso(int(ts[row]))}): {symbol} {name} "
                    f"(o={o[row]}, h={h[row]}, l={lo[row]}, c={c[row]})"
                )
        return Bars(open=o, high=h, low=lo, close=c)

    # --- access ---
    def __len__(self) -> int:
        return len(self.timestamps)

    def __repr__(self) -> str:
        return (
            f"PricePath({self.source!r}, {', '.join(self.symbols)}, {len(self)} bars of "
            f"{self.bar_seconds}s, {_iso(self.start)} .. {_iso(self.end)})"
        )

    @property
    def start(self) -> float:
        return float(self.timestamps[0])

    @property
    def end(self) -> float:
        return float(self.timestamps[-1] + self.bar_seconds)

    def price_at(self, symbol: str, ts: float) -> float:
        """The continuous intra-bar price of ``symbol`` at ``ts`` (``start <= ts <= end``)."""
        legs = self._symbol_legs(symbol)
        return self._interpolate(legs, *self._locate(ts))

    def prices_at(self, ts: float) -> dict[str, float]:
        """``price_at`` for every symbol (one bar lookup)."""
        where = self._locate(ts)
        return {s: self._interpolate(self._legs[s], *where) for s in self.symbols}

    def bar_index(self, ts: float) -> int:
        """Index of the bar open at ``ts`` (clamped to the path; in a gap, the bar before)."""
        index = int(np.searchsorted(self._ts_float, ts, side="right")) - 1
        return min(max(index, 0), len(self.timestamps) - 1)

    def activity(self, symbol: str) -> FloatArray:
        """Each bar's range ``(high - low) / open`` relative to the median over the path
        (1.0 = a typical bar; the FTX crash bars reach 10-40)."""
        self._symbol_legs(symbol)  # a KeyError naming the known symbols
        bars = self.bars[symbol]
        ranges = (bars.high - bars.low) / bars.open
        median = float(np.median(ranges))
        if median <= 0:
            return np.ones_like(ranges)
        result: FloatArray = ranges / median
        return result

    def slice(self, start: float, end: float) -> PricePath:
        """The bars whose open time lies in ``[start, end)``."""
        mask = (self._ts_float >= start) & (self._ts_float < end)
        if not mask.any():
            raise PathError(
                f"{self.source}: no bars open in [{_iso(start)}, {_iso(end)}); the path spans "
                f"{_iso(self.start)} .. {_iso(self.end)}"
            )
        bars = {
            s: Bars(*(np.ascontiguousarray(b.column(f)[mask]) for f in FIELDS))
            for s, b in self.bars.items()
        }
        return PricePath(self.timestamps[mask], bars, self.bar_seconds, self.source)

    # --- interpolation ---
    def _symbol_legs(self, symbol: str) -> tuple[FloatArray, ...]:
        try:
            return self._legs[symbol]
        except KeyError:
            raise KeyError(
                f"{self.source}: no prices for {symbol}; symbols are {', '.join(self.symbols)}"
            ) from None

    def _locate(self, ts: float) -> tuple[int, float]:
        """(bar index, seconds since that bar's open)."""
        if not self.start <= ts <= self.end:
            raise ValueError(
                f"{self.source}: time {ts} ({_iso(ts)}) is outside the path "
                f"{_iso(self.start)} .. {_iso(self.end)}"
            )
        index = int(np.searchsorted(self._ts_float, ts, side="right")) - 1
        return index, ts - float(self._ts_float[index])

    def _interpolate(self, legs: tuple[FloatArray, ...], index: int, offset: float) -> float:
        o, a, b, c, k1, k2 = legs
        span = float(self.bar_seconds)
        if offset >= span:  # after the bar's close: the end, or a gap before the next bar
            close = float(c[index])
            if index + 1 >= len(self.timestamps):
                return close
            gap = float(self._ts_float[index + 1] - self._ts_float[index]) - span
            u = (offset - span) / gap
            return close + (float(o[index + 1]) - close) * u
        u = offset / span
        p1, p2 = float(k1[index]), float(k2[index])
        if u < p1:
            return _lerp(float(o[index]), float(a[index]), u / p1)
        if u < p2:
            return _lerp(float(a[index]), float(b[index]), (u - p1) / (p2 - p1))
        return _lerp(float(b[index]), float(c[index]), (u - p2) / (1.0 - p2))


def _lerp(x: float, y: float, u: float) -> float:
    return x + (y - x) * u


def _legs(bars: Bars) -> tuple[FloatArray, ...]:
    """Per bar: open, first extreme, second extreme, close and the two knot fractions."""
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    low_first = (c > o) | ((c == o) & (o - lo <= h - o))
    first = np.where(low_first, lo, h)
    second = np.where(low_first, h, lo)
    d1, d2, d3 = np.abs(first - o), np.abs(second - first), np.abs(c - second)
    total = d1 + d2 + d3
    flat = total <= 0
    safe = np.where(flat, 1.0, total)
    k1 = np.where(flat, 1.0 / 3.0, d1 / safe)
    k2 = np.where(flat, 2.0 / 3.0, (d1 + d2) / safe)
    return o, first, second, c, k1, k2


# --- loaders ---
def load_sample(path: Path | None = None) -> PricePath:
    """The embedded FTX-crash sample (``None``), another ``.npz`` sample, or one feather file."""
    if path is None:
        return load_npz(SAMPLE_FILE)
    path = Path(path)
    if path.suffix == ".npz":
        return load_npz(path)
    if path.suffix == ".feather":
        return load_feather(path)
    raise PathError(f"{path}: expected a .npz sample or a .feather candle file")


def load_npz(path: Path) -> PricePath:
    """A sample written by :mod:`phantom.market.replay.make_sample`."""
    if not path.is_file():
        raise PathError(f"{path}: sample file not found")
    with np.load(path, allow_pickle=False) as data:
        keys = set(data.files)
        for key in ("ts", "symbols"):
            if key not in keys:
                raise PathError(f"{path}: missing array {key!r}")
        ts = np.asarray(data["ts"], dtype=np.int64)
        bars: dict[str, Bars] = {}
        for symbol in (str(s) for s in data["symbols"]):
            missing = [f"{symbol}_{f}" for f in FIELDS if f"{symbol}_{f}" not in keys]
            if missing:
                raise PathError(f"{path}: missing array {missing[0]!r}")
            bars[symbol] = Bars(*(np.asarray(data[f"{symbol}_{f}"], np.float64) for f in FIELDS))
    return PricePath(ts, bars, source=str(path))


def load_feather(path: Path, symbol: str | None = None) -> PricePath:
    """A freqtrade-style candle file (``date`` UTC, ``open``, ``high``, ``low``, ``close``).

    ``symbol`` defaults to the file name's base asset (``SOL_USDT-5m.feather`` -> ``SOL``).
    """
    import pyarrow.feather as feather

    path = Path(path)
    if not path.is_file():
        raise PathError(f"{path}: candle file not found")
    if symbol is None:
        symbol = path.name.split("_")[0].split("-")[0].split(".")[0].upper()
    table = feather.read_table(path)
    names = set(table.column_names)
    for column in ("date", *FIELDS):
        if column not in names:
            raise PathError(f"{path}: missing column {column!r} (has {sorted(names)})")
    date = table.column("date")
    unit = getattr(date.type, "unit", None)
    if unit not in _TS_DIVISOR:
        raise PathError(f"{path}: column 'date' must be a timestamp, got {date.type}")
    raw = np.asarray(date.cast("int64").to_numpy(zero_copy_only=False), dtype=np.int64)
    divisor = _TS_DIVISOR[unit]
    if np.any(raw % divisor):
        row = int(np.flatnonzero(raw % divisor)[0])
        raise PathError(f"{path}: row {row}: timestamp is not a whole second")
    columns = [
        np.asarray(table.column(f).to_numpy(zero_copy_only=False), dtype=np.float64) for f in FIELDS
    ]
    return PricePath(raw // divisor, {symbol: Bars(*columns)}, source=str(path))
