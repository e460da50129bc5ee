"""Regenerate the embedded replay samples from the shared Binance data.

    python -m phantom.market.replay.make_sample [--source DIR] [--out FILE]
        [--funding-source DIR] [--funding-out FILE]

Candles: reads ``SOL_USDT-5m``, ``ETH_USDT-5m`` and ``BTC_USDT-5m`` (freqtrade feather files),
keeps 2022-11-01 00:00 .. 2022-11-30 23:55 UTC, checks that the three symbols share the same
gap-free 5-minute timestamps and writes one compressed ``.npz``: ``ts`` (int64 epoch seconds, bar
open time), ``symbols`` and ``<SYM>_open|high|low|close`` (float64, USDT).

Funding (:func:`make_funding_sample`): reads ``ETH_USDT_USDT-1h-funding_rate`` and
``BTC_USDT_USDT-1h-funding_rate`` (Binance USDT-margined perpetuals; the rate per 8-hour
settlement is in ``open``), keeps the prints of 2022-10-25 00:00 .. 2022-12-01 00:00 UTC (a week
of history before the candles start, for an engine's look-back), checks the 8-hour cadence and
writes ``ts`` (int64 epoch seconds of the settlement), ``symbols`` and ``<SYM>_rate`` (float64).

Archives are written with fixed zip metadata, so the same input gives the same bytes (and the
same sha256).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from phantom.market.replay.funding import FUNDING_FILE, FUNDING_INTERVAL_S
from phantom.market.replay.path import SAMPLE_FILE, load_feather

SYMBOLS: tuple[str, ...] = ("SOL", "ETH", "BTC")
SAMPLE_START = datetime(2022, 11, 1, 0, 0, tzinfo=UTC)
SAMPLE_LAST_BAR = datetime(2022, 11, 30, 23, 55, tzinfo=UTC)
BAR_SECONDS = 300
# the repository sits next to the shared data: <root>/main/src/phantom/market/replay/...
DEFAULT_SOURCE = Path(__file__).resolve().parents[5] / "shared/data/binance/spot_5m_2022_2023"
FUNDING_SYMBOLS: tuple[str, ...] = ("ETH", "BTC")
FUNDING_START = datetime(2022, 10, 25, 0, 0, tzinfo=UTC)
FUNDING_LAST = datetime(2022, 12, 1, 0, 0, tzinfo=UTC)
FUNDING_SOURCE = Path(__file__).resolve().parents[5] / "shared/data/binance/futures"


@dataclass(frozen=True, slots=True)
class SampleReport:
    """What :func:`make_sample` wrote and what it checked."""

    out: Path
    rows: int
    source_rows: dict[str, int]
    first_ts: int
    last_ts: int
    sha256: str
    size_bytes: int


def _source_file(source: Path, symbol: str) -> Path:
    return source / f"{symbol}_USDT-5m.feather"


def make_sample(
    source: Path = DEFAULT_SOURCE,
    out: Path = SAMPLE_FILE,
    start: datetime = SAMPLE_START,
    last_bar: datetime = SAMPLE_LAST_BAR,
) -> SampleReport:
    """Cut ``[start, last_bar]`` (bar open times, inclusive) out of the shared candles.

    Raises ``ValueError`` when a symbol has a missing, duplicate or misaligned bar in the range.
    """
    lo, hi = int(start.timestamp()), int(last_bar.timestamp())
    expected = np.arange(lo, hi + 1, BAR_SECONDS, dtype=np.int64)
    arrays: dict[str, NDArray[np.generic]] = {
        "ts": expected,
        "symbols": np.array(SYMBOLS),
    }
    source_rows: dict[str, int] = {}
    for symbol in SYMBOLS:
        path = load_feather(_source_file(source, symbol), symbol)
        source_rows[symbol] = len(path.timestamps)
        mask = (path.timestamps >= lo) & (path.timestamps <= hi)
        ts = path.timestamps[mask]
        if len(ts) != len(expected) or not np.array_equal(ts, expected):
            missing = np.setdiff1d(expected, ts)
            first = _iso(int(missing[0])) if len(missing) else "none"
            raise ValueError(
                f"{symbol}: {len(ts)} bars in range, expected {len(expected)} gap-free 5m bars; "
                f"{len(missing)} missing, first missing {first}"
            )
        bars = path.bars[symbol]
        for field in ("open", "high", "low", "close"):
            arrays[f"{symbol}_{field}"] = np.ascontiguousarray(
                getattr(bars, field)[mask], dtype=np.float64
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_npz(out, arrays)
    data = out.read_bytes()
    return SampleReport(
        out=out,
        rows=len(expected),
        source_rows=source_rows,
        first_ts=lo,
        last_ts=hi,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
    )


def _funding_file(source: Path, symbol: str) -> Path:
    return source / f"{symbol}_USDT_USDT-1h-funding_rate.feather"


def make_funding_sample(
    source: Path = FUNDING_SOURCE,
    out: Path = FUNDING_FILE,
    start: datetime = FUNDING_START,
    last: datetime = FUNDING_LAST,
) -> SampleReport:
    """Cut the 8-hour funding prints of ``[start, last]`` (inclusive) out of the shared files.

    Raises ``ValueError`` when a symbol misses a print or has one off the 8-hour grid.
    """
    import pyarrow.feather as feather

    lo, hi = int(start.timestamp()), int(last.timestamp())
    expected = np.arange(lo, hi + 1, int(FUNDING_INTERVAL_S), dtype=np.int64)
    arrays: dict[str, NDArray[np.generic]] = {
        "ts": expected,
        "symbols": np.array(FUNDING_SYMBOLS),
    }
    source_rows: dict[str, int] = {}
    for symbol in FUNDING_SYMBOLS:
        table = feather.read_table(_funding_file(source, symbol))
        raw = table.column("date").cast("int64").to_numpy(zero_copy_only=False)
        ts = np.asarray(raw, dtype=np.int64) // 1_000_000_000
        rate = np.asarray(table.column("open").to_numpy(zero_copy_only=False), dtype=np.float64)
        source_rows[symbol] = len(ts)
        mask = (ts >= lo) & (ts <= hi)
        if not np.array_equal(ts[mask], expected):
            missing = np.setdiff1d(expected, ts[mask])
            first = _iso(int(missing[0])) if len(missing) else "none"
            raise ValueError(
                f"{symbol}: {int(mask.sum())} funding prints in range, expected {len(expected)} "
                f"on the 8-hour grid; first missing {first}"
            )
        if not np.all(np.isfinite(rate[mask])):
            raise ValueError(f"{symbol}: a funding rate in range is not finite")
        arrays[f"{symbol}_rate"] = np.ascontiguousarray(rate[mask], dtype=np.float64)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_npz(out, arrays)
    data = out.read_bytes()
    return SampleReport(
        out=out,
        rows=len(expected),
        source_rows=source_rows,
        first_ts=lo,
        last_ts=hi,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
    )


def _write_npz(out: Path, arrays: dict[str, NDArray[np.generic]]) -> None:
    """``np.savez_compressed`` with fixed zip timestamps, so the bytes are reproducible."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="candle folder")
    parser.add_argument("--out", type=Path, default=SAMPLE_FILE, help="npz to write")
    parser.add_argument(
        "--funding-source", type=Path, default=FUNDING_SOURCE, help="funding-rate folder"
    )
    parser.add_argument("--funding-out", type=Path, default=FUNDING_FILE, help="npz to write")
    args = parser.parse_args(argv)
    report = make_sample(args.source, args.out)
    _print_report(report, [_source_file(args.source, s).name for s in report.source_rows])
    funding = make_funding_sample(args.funding_source, args.funding_out)
    _print_report(
        funding, [_funding_file(args.funding_source, s).name for s in funding.source_rows]
    )
    return 0


def _print_report(report: SampleReport, files: Sequence[str]) -> None:
    print(f"wrote {report.out} ({report.size_bytes} bytes)")
    print(f"rows {report.rows}: {_iso(report.first_ts)} .. {_iso(report.last_ts)}")
    for (symbol, rows), name in zip(report.source_rows.items(), files, strict=True):
        print(f"source {symbol}: {rows} rows in {name}")
    print(f"sha256 {report.sha256}")


if __name__ == "__main__":
    raise SystemExit(main())
