"""The funding backtest driver on the real fixture slices: SOL's March 2024 rally, BTC's FTX."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest
from funding_support import FIX

from phantom.backtest.funding.data import SeriesError, load_series, symbol_of, to_epoch
from phantom.backtest.funding.run import FundingBacktestConfig, run_funding_backtest
from phantom.backtest.spec import default_realism

SOL_DIR = FIX / "sol_2024_03"
BTC_DIR = FIX / "btc_2022_11"


def _sol(out: Path, seed: int = 0, config: FundingBacktestConfig | None = None) -> dict[str, Any]:
    return run_funding_backtest(
        SOL_DIR / "SOL_USDT-1h.feather",
        SOL_DIR / "SOL_USDT_USDT-1h-futures.feather",
        SOL_DIR / "SOL_USDT_USDT-1h-funding_rate.feather",
        SOL_DIR / "SOL_USDT_USDT-1h-mark.feather",
        "2024-02-20",
        None,
        seed,
        out,
        config,
    )


def _btc(out: Path, config: FundingBacktestConfig | None = None) -> dict[str, Any]:
    return run_funding_backtest(
        BTC_DIR / "BTC_USDT-1h.feather",
        BTC_DIR / "BTC_USDT_USDT-1h-futures.feather",
        BTC_DIR / "BTC_USDT_USDT-1h-funding_rate.feather",
        BTC_DIR / "BTC_USDT_USDT-1h-mark.feather",
        None,
        "2022-11-20T23:00:00",
        0,
        out,
        config,
    )


def test_sol_rally_reduces_instead_of_being_liquidated(tmp_path: Path) -> None:
    summary = _sol(tmp_path)
    r = summary["results"]
    assert r["entries"] == 1 and r["liquidations"] == []
    assert r["reduces"] >= 1  # the +80 % rally pushed health under 60 % and the engine cut
    assert 25 < r["min_health_pct"] < 65
    assert Decimal(r["funding_earned_usd"]) > 100  # ~0.04 % per 8 h on ~6,000 USD for a month
    assert Decimal(r["funding_paid_usd"]) == 0  # every SOL print in the slice is positive
    assert r["max_abs_delta_drift_pct"] < 1.0
    costs = r["costs_usd"]
    assert Decimal(costs["spot_slippage"]) > 0 and Decimal(costs["perp_fee"]) > 0
    parts = sum((Decimal(v) for k, v in costs.items() if k != "total"), Decimal(0))
    assert abs(Decimal(costs["total"]) - parts) < Decimal("0.05")  # each rounded to a cent
    pnl = Decimal(r["pnl_usd"])
    assert 0 < pnl < Decimal(r["funding_earned_usd"])  # hedged: funding minus costs, no rally PnL
    assert r["spot_buy_and_hold_return_pct"] > 50
    assert summary["range"]["from"] == "2024-02-20T00:00:00Z"
    assert (tmp_path / "summary.json").exists() and (tmp_path / "equity.csv").exists()


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    _sol(tmp_path / "a", seed=7)
    _sol(tmp_path / "b", seed=7)
    a = (tmp_path / "a" / "summary.json").read_bytes()
    assert a == (tmp_path / "b" / "summary.json").read_bytes()
    assert json.loads(a)["seed"] == 7


def test_btc_through_ftx_stays_out_with_on_chain_spot_costs(tmp_path: Path) -> None:
    r = _btc(tmp_path)["results"]
    assert r["entries"] == 0 and r["gate_refusals"] > 0
    assert r["pnl_usd"] == "0.00"


def test_btc_through_ftx_exits_on_the_negative_print(tmp_path: Path) -> None:
    """With a deep spot venue (5 bps) the gate lets BTC in; the -0.119 % print takes it out."""
    deep = dataclasses.replace(default_realism(), slippage_base_pct=0.05)
    summary = _btc(tmp_path, FundingBacktestConfig(realism=deep))
    r = summary["results"]
    assert r["entries"] == 1 and r["exits"]["funding_spike"] == 1
    exits = [e for e in r["positions_log"] if e["event"] == "exit"]
    assert exits[0]["at"] == "2022-11-10T00:00:00Z"
    assert r["open_at_end"] is False and r["liquidations"] == []
    assert Decimal(r["funding_paid_usd"]) > 0  # the 2022-11-09/10 prints were paid before exit


def test_unknown_parameter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown parameter"):
        _sol(tmp_path, config=FundingBacktestConfig(params={"no_such_knob": "1"}))
    with pytest.raises(ValueError, match="bad value"):
        _sol(tmp_path, config=FundingBacktestConfig(params={"horizon_h": "soon"}))


def test_loader_refuses_bad_files(tmp_path: Path) -> None:
    good = load_series(SOL_DIR / "SOL_USDT-1h.feather")
    assert good.timeframe_s == 3600.0 and len(good) == 720
    assert symbol_of(SOL_DIR / "SOL_USDT_USDT-1h-funding_rate.feather") == ("SOL", "USDT")
    assert to_epoch("2024-02-20") == 1708387200.0
    table = feather.read_table(SOL_DIR / "SOL_USDT-1h.feather")
    unsorted = table.take(pa.array(np.r_[1, 0, np.arange(2, table.num_rows)]))
    feather.write_feather(unsorted, tmp_path / "X_USDT-1h.feather")
    with pytest.raises(SeriesError, match="strictly increasing"):
        load_series(tmp_path / "X_USDT-1h.feather")
    feather.write_feather(table.drop_columns(["close"]), tmp_path / "Y_USDT-1h.feather")
    with pytest.raises(SeriesError, match="missing column"):
        load_series(tmp_path / "Y_USDT-1h.feather")
