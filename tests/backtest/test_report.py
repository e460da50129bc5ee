"""summary.json (byte-identical for the same inputs and seed), report.html, charts, crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from phantom.backtest import BacktestSpec, Mode, run_backtest
from phantom.backtest.crash_events import CRASH_EVENTS, events_between
from phantom.backtest.report import summary_json, write_reports


def _compare(path: Path, seed: int = 0) -> BacktestSpec:
    return BacktestSpec(
        engine="sma",
        data={"price": path},
        modes=(Mode.REALISTIC, Mode.NAIVE),
        seed=seed,
        params={"fast": 5, "slow": 20},
    )


def test_summary_json_is_byte_identical_for_the_same_inputs_and_seed(
    luna_path: Path, tmp_path: Path
) -> None:
    a = write_reports(run_backtest(_compare(luna_path, seed=9)), tmp_path / "a", charts=False)
    b = write_reports(run_backtest(_compare(luna_path, seed=9)), tmp_path / "b", charts=False)
    assert a["summary"].read_bytes() == b["summary"].read_bytes()
    other = summary_json(run_backtest(_compare(luna_path, seed=10)))
    assert other.encode() != a["summary"].read_bytes()


def test_summary_lists_both_modes_and_the_crash_with_its_pnl(luna_path: Path) -> None:
    s = json.loads(summary_json(run_backtest(_compare(luna_path))))
    assert s["modes"] == ["realistic", "naive"]
    assert set(s["comparison"]["win_rate_pct"]) == {"realistic", "naive"}
    assert s["params"] == {
        "fast": "5",
        "slow": "20",
        "position_pct": "100",
        "slippage_bps": "200",
        "max_notional_usd": "none",
        "min_notional_usd": "1",
        "max_retries": "3",
    }
    (luna,) = s["crash_events"]
    assert luna["key"] == "2022-05-luna" and luna["first_day"] == "2022-05-07"
    assert set(luna["pnl"]) == {"realistic", "naive"}
    assert luna["asset_change_pct"] < -30
    for mode in ("realistic", "naive"):
        res = s["results"][mode]
        assert res["crash_events"][0]["key"] == "2022-05-luna"
        assert res["periodicity"].startswith("daily")
        assert len(res["drawdowns"]) <= 5
        assert set(res["costs_usd"]) == {"fee", "slippage", "mev", "gas", "priority_fee", "tip"}
    assert s["data"]["bars"] == 840 and s["data"]["gaps"] == 0
    assert s["settings"]["realism"] is None and s["settings"]["fee_pct"] == "0.1"


def test_reports_and_charts_are_written(ftx_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    written = write_reports(run_backtest(_compare(ftx_path)), tmp_path)
    for name in ("equity.png", "compare.png", "trades.png", "drawdowns.png", "crashes.png"):
        data = written[name].read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    html = written["html"].read_text()
    assert html.count("data:image/png;base64,") == 5
    assert "FTX collapse" in html and "realistic" in html and "naive" in html
    s = json.loads(written["summary"].read_text())
    assert s["charts"] == [
        "equity.png",
        "compare.png",
        "trades.png",
        "drawdowns.png",
        "crashes.png",
    ]
    assert [e["key"] for e in s["crash_events"]] == ["2022-11-ftx"]


def test_crash_table_dates() -> None:
    keys = [e.key for e in CRASH_EVENTS]
    assert {"2020-03-covid", "2021-05-19", "2022-05-luna", "2022-11-ftx", "2024-08-05"} <= set(keys)
    ftx = next(e for e in CRASH_EVENTS if e.key == "2022-11-ftx")
    assert ftx.end_ts - ftx.start_ts == 5 * 86_400
    assert [e.key for e in events_between(ftx.start_ts - 1, ftx.start_ts)] == ["2022-11-ftx"]
    assert events_between(0.0, 1.0) == ()
    assert all(e.source for e in CRASH_EVENTS)
