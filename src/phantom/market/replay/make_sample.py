"""Regenerate the embedded replay sample from the shared Binance 5-minute candles.

    python -m phantom.market.replay.make_sample [--source DIR] [--out FILE]

Reads ``SOL_USDT-5m``, ``ETH_USDT-5m`` and ``BTC_USDT-5m`` (freqtrade feather files), keeps
2022-11-01 00:00 .. 2022-11-30 23:55 UTC, checks that the three symbols share the same gap-free
5-minute timestamps and writes one compressed ``.npz``: ``ts`` (int64 epoch seconds, bar open
time), ``symbols`` and ``<SYM>_open|high|low|close`` (float64, USDT). The archive is written with
fixed zip metadata, so the same input gives the same bytes (and the same sha256).
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

from phantom.market.replay.path import SAMPLE_FILE, load_feather

SYMBOLS: tuple[str, ...] = ("SOL", "ETH", "BTC")
SAMPLE_START = datetime(2022, 11, 1, 0, 0, tzinfo=UTC)
SAMPLE_LAST_BAR = datetime(2022, 11, 30, 23, 55, tzinfo=UTC)
BAR_SECONDS = 300
# the repository sits next to the shared data: <root>/main/src/phantom/market/replay/...
DEFAULT_SOURCE = Path(__file__).resolve().parents[5] / "shared/data/binance/spot_5m_2022_2023"


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
    args = parser.parse_args(argv)
    report = make_sample(args.source, args.out)
    print(f"wrote {report.out} ({report.size_bytes} bytes)")
    print(f"rows {report.rows}: {_iso(report.first_ts)} .. {_iso(report.last_ts)}")
    for symbol, rows in report.source_rows.items():
        print(f"source {symbol}: {rows} rows in {_source_file(args.source, symbol).name}")
    print(f"sha256 {report.sha256}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
