"""The embedded sample, the intra-bar price path and path validation."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from phantom.market.replay.make_sample import DEFAULT_SOURCE, make_sample
from phantom.market.replay.path import (
    SAMPLE_FILE,
    Bars,
    PathError,
    PricePath,
    load_feather,
    load_sample,
)

T0 = int(datetime(2022, 11, 1, tzinfo=UTC).timestamp())


def _ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def _path(rows: list[tuple[float, float, float, float]], step: int = 300) -> PricePath:
    ts = np.arange(len(rows), dtype=np.int64) * step + T0
    cols = [np.array(c, dtype=np.float64) for c in zip(*rows, strict=True)]
    return PricePath(ts, {"SOL": Bars(*cols)}, source="test")


def test_sample_spans_the_ftx_crash() -> None:
    path = load_sample()
    assert path.symbols == ("SOL", "ETH", "BTC")
    assert len(path) == 8640
    assert path.start == _ts(2022, 11, 1)
    assert path.end == _ts(2022, 12, 1)
    assert np.all(np.diff(path.timestamps) == 300)
    assert SAMPLE_FILE.stat().st_size < 500_000
    nov9 = path.slice(_ts(2022, 11, 9), _ts(2022, 11, 10))
    assert len(nov9) == 288
    assert nov9.bars["SOL"].low.min() < 15.0
    assert nov9.bars["SOL"].high.max() > 20.0
    assert path.price_at("SOL", _ts(2022, 11, 1)) == pytest.approx(32.57)
    assert 1000 < path.price_at("ETH", _ts(2022, 11, 9, 21)) < 1300
    assert 15_000 < path.price_at("BTC", _ts(2022, 11, 9, 21)) < 18_500


def test_provenance_records_the_sample_hash() -> None:
    provenance = (SAMPLE_FILE.parent / "PROVENANCE.md").read_text()
    digest = hashlib.sha256(SAMPLE_FILE.read_bytes()).hexdigest()
    assert digest in provenance
    assert re.search(r"\b8640\b", provenance)


@pytest.mark.skipif(not DEFAULT_SOURCE.is_dir(), reason="shared candle data not present")
def test_make_sample_reproduces_the_embedded_file(tmp_path: Path) -> None:
    report = make_sample(out=tmp_path / "sample.npz")
    assert report.rows == 8640
    assert (tmp_path / "sample.npz").read_bytes() == SAMPLE_FILE.read_bytes()


def test_price_path_visits_open_extremes_and_close() -> None:
    # up bar: open -> low -> high -> close; down bar: open -> high -> low -> close
    path = _path([(10.0, 12.0, 9.0, 11.0), (11.0, 11.5, 8.0, 8.5)])
    t = float(T0)
    samples = [path.price_at("SOL", t + s) for s in np.linspace(0, 600, 6001)]
    first, second = samples[:3000], samples[3000:]
    assert samples[0] == 10.0
    assert min(first) == pytest.approx(9.0, abs=0.01)
    assert max(first) == pytest.approx(12.0, abs=0.01)
    assert first.index(min(first)) < first.index(max(first))
    assert max(second) == pytest.approx(11.5, abs=0.01)
    assert min(second) == pytest.approx(8.0, abs=0.01)
    assert second.index(max(second)) < second.index(min(second))
    assert path.price_at("SOL", t + 300) == 11.0  # next bar's open
    assert path.price_at("SOL", t + 300 - 1e-9) == pytest.approx(11.0)  # continuous at the seam
    assert path.price_at("SOL", path.end) == 8.5
    # constant speed: legs of 1 + 3 + 1 units, so the leg to the low takes a fifth of the bar
    assert path.price_at("SOL", t + 30) == pytest.approx(9.5)
    assert path.price_at("SOL", t + 60) == pytest.approx(9.0)
    assert path.price_at("SOL", t + 240) == pytest.approx(12.0)
    steps = np.abs(np.diff(samples))
    assert steps.max() < 0.05  # piecewise linear, no jumps


def test_price_path_bridges_gaps_and_rejects_outside_times() -> None:
    ts = np.array([T0, T0 + 300, T0 + 1200], dtype=np.int64)
    bars = Bars(*(np.array(c) for c in ([10.0, 10.0, 20.0],) * 4))
    path = PricePath(ts, {"SOL": bars})
    assert path.bar_seconds == 300
    assert path.price_at("SOL", T0 + 600) == 10.0
    assert path.price_at("SOL", T0 + 900) == pytest.approx(15.0)  # halfway through the gap
    with pytest.raises(ValueError, match="outside the path"):
        path.price_at("SOL", T0 - 1)
    with pytest.raises(KeyError, match="ETH"):
        path.price_at("ETH", T0)


@pytest.mark.parametrize(
    ("row", "value", "message"),
    [
        (2, math.nan, r"row 2 \(2022-11-01 00:10:00 UTC\): SOL low must be a finite price > 0"),
        (1, 0.0, r"row 1 \(2022-11-01 00:05:00 UTC\): SOL low must be a finite price > 0"),
        (3, -1.0, r"row 3 .*SOL low"),
    ],
)
def test_validation_names_the_bad_row(row: int, value: float, message: str) -> None:
    rows = [(10.0, 11.0, 9.0, 10.5)] * 5
    rows[row] = (10.0, 11.0, value, 10.5)
    with pytest.raises(PathError, match=message):
        _path(rows)


def test_validation_rejects_unsorted_duplicate_and_inconsistent_bars() -> None:
    bars = Bars(*(np.full(4, 10.0) for _ in range(4)))
    with pytest.raises(PathError, match=r"row 2: .* duplicates row 1"):
        PricePath(np.array([T0, T0 + 300, T0 + 300, T0 + 900]), {"SOL": bars})
    with pytest.raises(PathError, match=r"row 3: .* is earlier than row 2"):
        PricePath(np.array([T0, T0 + 300, T0 + 900, T0 + 600]), {"SOL": bars})
    with pytest.raises(PathError, match=r"row 1 .*SOL high below"):
        _path([(10.0, 11.0, 9.0, 10.0), (10.0, 9.5, 9.0, 10.0)])
    with pytest.raises(PathError, match=r"3 rows, timestamps have 4"):
        PricePath(np.arange(4) * 300 + T0, {"SOL": Bars(*(np.ones(3) for _ in range(4)))})


def _write_feather(path: Path, rows: list[tuple[int, float, float, float, float]]) -> None:
    dates = pa.array([r[0] * 1_000_000_000 for r in rows], pa.timestamp("ns", tz="UTC"))
    table = pa.table(
        {
            "date": dates,
            **{f: [r[i + 1] for r in rows] for i, f in enumerate(("open", "high", "low", "close"))},
            "volume": [1.0] * len(rows),
        }
    )
    feather.write_feather(table, path)


def test_load_feather_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "SOL_USDT-5m.feather"
    _write_feather(good, [(T0 + 300 * i, 10.0, 11.0, 9.0, 10.0 + i / 10) for i in range(6)])
    path = load_sample(good)
    assert path.symbols == ("SOL",)
    assert len(path) == 6 and path.start == T0
    assert load_feather(good, "XYZ").symbols == ("XYZ",)

    bad = tmp_path / "ETH_USDT-5m.feather"
    rows = [(T0 + 300 * i, 10.0, 11.0, 9.0, 10.0) for i in range(6)]
    rows[4] = (T0 + 300 * 4, 10.0, math.nan, 9.0, 10.0)
    _write_feather(bad, rows)
    with pytest.raises(PathError, match=r"ETH_USDT-5m.feather: row 4 .*ETH high"):
        load_sample(bad)

    unsorted = tmp_path / "BTC_USDT-5m.feather"
    _write_feather(unsorted, [(T0 + 300 * i, 1.0, 1.0, 1.0, 1.0) for i in (0, 1, 3, 2)])
    with pytest.raises(PathError, match=r"row 3: timestamp 2022-11-01 00:10:00 UTC is earlier"):
        load_sample(unsorted)
    with pytest.raises(PathError, match="expected a .npz sample or a .feather"):
        load_sample(tmp_path / "prices.csv")
    with pytest.raises(PathError, match="not found"):
        load_feather(tmp_path / "missing.feather")
