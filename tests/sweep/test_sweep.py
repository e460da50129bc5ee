"""Sweeps over real SOL candles: local processes, deterministic order, the missing-Ray error."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from phantom.backtest.spec import BacktestSpec, Mode
from phantom.backtest.sweep import RAY_MISSING, SweepError, format_table, run_sweep

FTX = Path(__file__).parent.parent / "fixtures" / "candles" / "SOL_USDT-1h-ftx.feather"


def _spec() -> BacktestSpec:
    return BacktestSpec(
        engine="sma", data={"price": FTX}, modes=(Mode.REALISTIC, Mode.NAIVE), seed=5
    )


def test_two_by_two_sweep_on_processes(tmp_path: Path) -> None:
    result = run_sweep(_spec(), "fast=5:10:5,slow=20|40", tmp_path, workers=2, progress=False)
    keys = [(r["fast"], r["slow"], r["mode"]) for r in result.rows]
    assert keys == [
        (f, s, m) for f in ("5", "10") for s in ("20", "40") for m in ("realistic", "naive")
    ]
    assert all(r["error"] == "" and r["trades"] > 0 for r in result.rows)
    assert result.csv_path == tmp_path / "sweep.csv"
    with result.csv_path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["fast"], r["slow"], r["mode"]) for r in rows] == keys
    assert list(rows[0])[:3] == ["fast", "slow", "mode"]
    table = format_table(result)
    assert table.splitlines()[0].split()[:4] == ["fast", "slow", "mode", "trades"]
    # the same points in one process give the same rows, byte for byte in the csv
    grid = "fast=5:10:5,slow=20|40"
    again = run_sweep(_spec(), grid, tmp_path / "one", workers=1, progress=False)
    assert again.rows == result.rows
    assert (tmp_path / "one" / "sweep.csv").read_bytes() == result.csv_path.read_bytes()


def test_a_point_the_engine_refuses_is_a_row_not_a_crash(tmp_path: Path) -> None:
    result = run_sweep(_spec(), "fast=30,slow=20|40", None, workers=1, progress=False)
    assert result.csv_path is None
    bad, *good = result.rows
    assert bad["slow"] == "20" and "fast < slow" in bad["error"] and bad["trades"] is None
    assert [r["mode"] for r in good] == ["realistic", "naive"]


def test_missing_ray_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(SweepError, match="pip install 'ray>=2.9'") as info:
        run_sweep(_spec(), "fast=5,slow=20", tmp_path, ray_address="auto", progress=False)
    assert str(info.value) == RAY_MISSING
    assert not (tmp_path / "sweep.csv").exists()
