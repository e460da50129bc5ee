"""Loading the recorded series a funding backtest needs (driver side: this module does I/O).

Formats (``../shared/data/README.md``): freqtrade-style Arrow IPC (``.feather``) tables with a
UTC ``date`` column and ``open, high, low, close``; in ``*-funding_rate.feather`` the rate per
settlement is in ``open``. Rows must be strictly increasing in time; a bad file is refused with
its path and the first offending row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.feather as feather

FloatArray = npt.NDArray[np.float64]
COLUMNS = ("date", "open", "high", "low", "close")


class SeriesError(ValueError):
    """A data file the backtest cannot use (missing column, unsorted rows, bad values)."""


@dataclass(frozen=True, slots=True)
class Series:
    """Bars (or funding prints) of one file; ``ts`` is each row's date (bar open), seconds."""

    path: str
    ts: FloatArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    timeframe_s: float

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def close_ts(self) -> FloatArray:
        return self.ts + self.timeframe_s

    def window(self, start: float | None, end: float | None) -> Series:
        """Rows with ``start <= ts <= end`` (``None``: unbounded)."""
        i0 = 0 if start is None else int(np.searchsorted(self.ts, start, side="left"))
        i1 = len(self) if end is None else int(np.searchsorted(self.ts, end, side="right"))
        s = slice(i0, i1)
        return Series(
            self.path,
            self.ts[s],
            self.open[s],
            self.high[s],
            self.low[s],
            self.close[s],
            self.timeframe_s,
        )


def to_epoch(value: float | int | str | datetime | None) -> float | None:
    """Epoch seconds from seconds, an ISO date/time (UTC when naive) or a datetime."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _column(table: Any, name: str, path: str) -> FloatArray:
    values = np.asarray(table.column(name).to_numpy(), dtype=np.float64)
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise SeriesError(f"{path}: column {name!r} has a non-finite value at row {bad}")
    return values


def load_series(path: Path | str, *, prices: bool = True) -> Series:
    """Read a candle file (``prices``: every price must be > 0) or a funding file."""
    p = str(path)
    try:
        table = feather.read_table(p)
    except (OSError, pa.ArrowInvalid) as exc:
        raise SeriesError(f"{p}: cannot read ({exc})") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise SeriesError(f"{p}: missing column(s) {', '.join(missing)}")
    if table.num_rows == 0:
        raise SeriesError(f"{p}: no rows")
    dates = table.column("date").cast(pa.timestamp("ns", tz="UTC"))
    ts = np.asarray(dates.to_numpy(), dtype="datetime64[ns]").astype(np.int64) / 1e9
    ts = np.asarray(ts, dtype=np.float64)
    steps = np.diff(ts)
    if steps.shape[0] and np.any(steps <= 0):
        bad = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise SeriesError(f"{p}: rows not strictly increasing in time at row {bad}")
    cols = {c: _column(table, c, p) for c in COLUMNS[1:]}
    if prices:
        for name, values in cols.items():
            if np.any(values <= 0):
                bad = int(np.flatnonzero(values <= 0)[0])
                raise SeriesError(f"{p}: {name} must be > 0 (row {bad})")
    timeframe = float(np.median(steps)) if steps.shape[0] else 0.0
    return Series(p, ts, cols["open"], cols["high"], cols["low"], cols["close"], timeframe)


def symbol_of(path: Path | str) -> tuple[str, str]:
    """``SOL_USDT-5m.feather`` or ``SOL_USDT_USDT-1h-funding_rate.feather`` -> (SOL, USDT)."""
    stem = Path(path).name.split("-", 1)[0]
    parts = stem.split("_")
    if len(parts) < 2:
        raise SeriesError(f"{path}: cannot tell BASE_QUOTE from the file name")
    return parts[0].upper(), parts[1].upper()
