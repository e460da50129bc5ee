"""The loaders: one test per error class, each naming the file and the offending rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from phantom.backtest.data import (
    GapPolicy,
    fill_gaps,
    find_gaps,
    load_candles,
    load_funding,
    load_trades,
)
from phantom.backtest.errors import (
    BadPrices,
    BadValues,
    DataError,
    DuplicateTimestamps,
    DuplicateTrades,
    EmptyData,
    MissingColumns,
    MissingTimestamps,
    UnsortedTimestamps,
)


def _table(path: Path) -> Any:
    return feather.read_table(path)


def _write(table: Any, path: Path) -> Path:
    feather.write_feather(table, path)
    return path


def _with_column(table: Any, name: str, values: Any) -> Any:
    i = table.column_names.index(name)
    return table.set_column(i, name, pa.array(values, type=table.schema.field(name).type))


def _reorder(table: Any, order: list[int]) -> Any:
    return table.take(pa.array(order))


def test_real_slice_loads_clean(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    assert len(c) == 864 and c.symbol == "SOL/USDT" and c.timeframe_s == 3600.0
    assert c.gaps == () and c.filled_bars == 0
    assert c.ts[0] == 1_666_224_000.0  # 2022-10-20T00:00:00Z
    assert np.all(np.diff(c.ts) == 3600.0)


def test_unsorted_timestamps_name_the_row(ftx_path: Path, tmp_path: Path) -> None:
    t = _table(ftx_path)
    order = list(range(t.num_rows))
    order[10], order[11] = order[11], order[10]
    bad = _write(_reorder(t, order), tmp_path / "SOL_USDT-1h.feather")
    with pytest.raises(UnsortedTimestamps) as exc:
        load_candles(bad)
    assert exc.value.rows[0].index == 11
    assert exc.value.rows[0].ts == "2022-10-20T10:00:00Z"
    assert str(bad) in str(exc.value) and "row 11 (2022-10-20T10:00:00Z)" in str(exc.value)


def test_duplicated_timestamps_name_the_rows(ftx_path: Path, tmp_path: Path) -> None:
    t = _table(ftx_path)
    order = [*range(0, 21), 20, 20, *range(21, t.num_rows)]
    bad = _write(_reorder(t, order), tmp_path / "SOL_USDT-1h.feather")
    with pytest.raises(DuplicateTimestamps) as exc:
        load_candles(bad)
    assert [r.index for r in exc.value.rows] == [21, 22]
    assert exc.value.total == 2
    assert "same time as row 20" in str(exc.value)


def test_missing_timestamps_against_the_inferred_timeframe(gap_path: Path) -> None:
    with pytest.raises(MissingTimestamps) as exc:
        load_candles(gap_path)
    rows = exc.value.rows
    assert [(r.index, r.ts) for r in rows] == [
        (157, "2020-12-21T13:00:00Z"),
        (237, "2020-12-25T01:00:00Z"),
    ]
    assert "4 bar(s) missing" in str(exc.value) and "--fill-gaps" in str(exc.value)


def test_gap_rows_are_indexes_in_the_file(gap_path: Path) -> None:
    c = load_candles(gap_path, gaps=GapPolicy.REPORT)
    assert [(g.index, g.after, g.missing) for g in c.gaps] == [
        (157, "2020-12-21T13:00:00Z", 4),
        (237, "2020-12-25T01:00:00Z", 1),
    ]
    assert len(c) == 307  # kept as they are: nothing filled, nothing dropped


def test_fill_gaps_forward_fills_and_counts(gap_path: Path) -> None:
    c = load_candles(gap_path, gaps=GapPolicy.FILL)
    assert c.filled_bars == 5 and len(c) == 312
    assert find_gaps(c.ts, c.timeframe_s) == ()
    i = int(np.searchsorted(c.ts, 1_608_555_600.0))  # 2020-12-21T13:00:00Z, the last real bar
    last_close = c.close[i]
    assert np.all(c.close[i + 1 : i + 5] == last_close)
    assert np.all(c.open[i + 1 : i + 5] == last_close) and np.all(c.volume[i + 1 : i + 5] == 0)
    assert c.close[i + 5] != last_close or c.volume[i + 5] > 0  # real data resumes


def test_fill_gaps_is_a_no_op_without_gaps(ftx_path: Path) -> None:
    c = load_candles(ftx_path)
    assert fill_gaps(c) is c


@pytest.mark.parametrize(("column", "value"), [("close", float("nan")), ("low", 0.0)])
def test_nan_or_non_positive_prices(
    ftx_path: Path, tmp_path: Path, column: str, value: float
) -> None:
    t = _table(ftx_path)
    values = t.column(column).to_pylist()
    values[100] = value
    bad = _write(_with_column(t, column, values), tmp_path / "SOL_USDT-1h.feather")
    with pytest.raises(BadPrices) as exc:
        load_candles(bad)
    assert exc.value.rows[0].index == 100
    assert exc.value.rows[0].ts == "2022-10-24T04:00:00Z"
    assert column in exc.value.rows[0].detail


def test_negative_volume(ftx_path: Path, tmp_path: Path) -> None:
    t = _table(ftx_path)
    values = t.column("volume").to_pylist()
    values[5] = -1.0
    bad = _write(_with_column(t, "volume", values), tmp_path / "x.feather")
    with pytest.raises(BadValues, match="row 5"):
        load_candles(bad)


def test_missing_column(ftx_path: Path, tmp_path: Path) -> None:
    t = _table(ftx_path).drop_columns(["close"])
    with pytest.raises(MissingColumns, match="'close'"):
        load_candles(_write(t, tmp_path / "x.feather"))


def test_empty_range_is_an_error(ftx_path: Path) -> None:
    with pytest.raises(EmptyData):
        load_candles(ftx_path, start=2_000_000_000.0)


def test_range_selection_includes_both_ends(ftx_path: Path) -> None:
    c = load_candles(ftx_path, start=1_667_692_800.0, end=1_667_779_200.0)  # 11-06 .. 11-07
    assert len(c) == 25 and c.first_row == 408


def test_parquet_reads_like_feather(ftx_path: Path, tmp_path: Path) -> None:
    pq.write_table(_table(ftx_path), tmp_path / "SOL_USDT-1h.parquet")
    a = load_candles(ftx_path)
    b = load_candles(tmp_path / "SOL_USDT-1h.parquet")
    assert np.array_equal(a.ts, b.ts) and np.array_equal(a.close, b.close)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("date,open\n")
    with pytest.raises(ValueError, match="unknown data format"):
        load_candles(tmp_path / "x.csv")
    with pytest.raises(FileNotFoundError):
        load_candles(tmp_path / "absent.feather")


def test_every_data_error_is_a_value_error() -> None:
    for cls in (UnsortedTimestamps, DuplicateTimestamps, MissingTimestamps, BadPrices):
        assert issubclass(cls, DataError) and issubclass(cls, ValueError)


# --- funding -------------------------------------------------------------------------------
def test_funding_with_millisecond_jitter(candles_dir: Path) -> None:
    f = load_funding(candles_dir / "XRP_USDT_USDT-8h-funding_rate.feather")
    assert len(f.ts) == 91 and f.gaps == ()
    assert abs(f.interval_s - 28_800.0) < 0.1
    assert f.rate[0] == 0.0001


def test_funding_nan_rate(candles_dir: Path, tmp_path: Path) -> None:
    t = _table(candles_dir / "XRP_USDT_USDT-8h-funding_rate.feather")
    rates = t.column("open").to_pylist()
    rates[3] = float("nan")
    bad = _write(_with_column(t, "open", rates), tmp_path / "f.feather")
    with pytest.raises(BadValues, match="row 3"):
        load_funding(bad)


def test_funding_gap(candles_dir: Path, tmp_path: Path) -> None:
    t = _table(candles_dir / "XRP_USDT_USDT-8h-funding_rate.feather")
    keep = [i for i in range(t.num_rows) if i not in (40, 41)]
    bad = _write(_reorder(t, keep), tmp_path / "f.feather")
    with pytest.raises(MissingTimestamps, match="2 bar"):
        load_funding(bad)
    assert len(load_funding(bad, gaps=GapPolicy.REPORT).gaps) == 1


# --- trades --------------------------------------------------------------------------------
def test_trades_load(candles_dir: Path) -> None:
    tr = load_trades(candles_dir / "XRP_ETH-trades.feather")
    assert len(tr.ts) == 400 and tr.ts[0] == 1_570_752_011.62
    assert tr.buy.dtype == np.bool_ and 0 < tr.buy.sum() < 400
    assert np.all(np.diff(tr.ts) >= 0)  # equal timestamps are normal for trades


def test_trades_going_backwards(candles_dir: Path, tmp_path: Path) -> None:
    t = _table(candles_dir / "XRP_ETH-trades.feather")
    order = list(range(t.num_rows))
    order[50], order[300] = order[300], order[50]
    with pytest.raises(UnsortedTimestamps):
        load_trades(_write(_reorder(t, order), tmp_path / "t.feather"))


def test_trades_duplicated_id(candles_dir: Path, tmp_path: Path) -> None:
    t = _table(candles_dir / "XRP_ETH-trades.feather")
    order = [*range(0, 11), 10, *range(11, t.num_rows)]
    with pytest.raises(DuplicateTrades, match="row 11"):
        load_trades(_write(_reorder(t, order), tmp_path / "t.feather"))


def test_trades_bad_price(candles_dir: Path, tmp_path: Path) -> None:
    t = _table(candles_dir / "XRP_ETH-trades.feather")
    prices = t.column("price").to_pylist()
    prices[7] = -0.5
    with pytest.raises(BadPrices, match="row 7"):
        load_trades(_write(_with_column(t, "price", prices), tmp_path / "t.feather"))
