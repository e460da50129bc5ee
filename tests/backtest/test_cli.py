"""``phantom backtest`` through its typer command, as the lead mounts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phantom.app import wiring
from phantom.app.cli_backtest import backtest_app, parse_date
from phantom.app.settings import Settings
from phantom.backtest.spec import SOL, default_realism


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("PHANTOM_SEED", "PHANTOM_SLIPPAGE_BASE_PCT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _run(*args: str) -> object:
    return CliRunner().invoke(backtest_app, list(args))


def test_compare_writes_summary_html_and_pngs(env: Path, ftx_path: Path) -> None:
    out = env / "out"
    result = _run(
        "--engine", "sma", "--data", f"price={ftx_path}", "--compare", "--out", str(out),
        "--param", "fast=5", "--param", "slow=20",
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    text = result.output  # type: ignore[attr-defined]
    assert "win rate" in text and "FTX collapse" in text and str(out) in text
    for name in ("summary.json", "report.html", "equity.png", "crashes.png"):
        assert (out / name).exists()
    s = json.loads((out / "summary.json").read_text())
    assert s["modes"] == ["realistic", "naive"]
    assert s["settings"]["realism"]["transaction_failure_rate_pct"] == "5.0"


def test_naive_range_and_settings_overrides(env: Path, luna_path: Path) -> None:
    out = env / "o"
    result = _run(
        "--engine", "sma", "--data", f"price={luna_path}", "--naive", "--out", str(out),
        "--from", "2022-05-01", "--to", "2022-05-20", "--no-charts", "--seed", "4",
        "--set", "slippage_base_pct=0.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    s = json.loads((out / "summary.json").read_text())
    assert s["modes"] == ["naive"] and s["seed"] == 4 and s["charts"] == []
    assert s["range"] == {"from": "2022-05-01T00:00:00Z", "to": "2022-05-21T00:00:00Z"}
    assert s["settings"]["realism"]["slippage_base_pct"] == "0.5"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "nope"], "unknown engine 'nope'"),
        (["--naive", "--compare"], "exclude each other"),
        (["--param", "speed=3"], "unknown parameter(s) speed"),
        (["--from", "yesterday"], "--from: expected an ISO date"),
        (["--fee-pct", "abc"], "--fee-pct: expected a number"),
        (["--set", "transaction_failure_rate_pct=140"], "TRANSACTION_FAILURE_RATE_PCT"),
    ],
)
def test_bad_usage_exits_2_naming_the_problem(
    env: Path, ftx_path: Path, args: list[str], message: str
) -> None:
    base = ["--engine", "sma", "--data", f"price={ftx_path}", "--out", str(env / "x")]
    result = _run(*base, *args)  # a repeated option: the last one wins
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert message in " ".join(result.output.split())  # type: ignore[attr-defined]


def test_bad_data_exits_2_with_its_location(env: Path, gap_path: Path) -> None:
    result = _run(
        "--engine", "sma", "--data", f"price={gap_path}", "--gaps", "error",
        "--out", str(env / "x"),
    )  # fmt: skip
    assert result.exit_code == 2  # type: ignore[attr-defined]
    flat = " ".join(result.output.split())  # type: ignore[attr-defined]
    assert "row 157 (2020-12-21T13:00:00Z)" in flat
    result = _run("--engine", "sma", "--data", "price=absent.feather", "--out", str(env / "x"))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    result = _run("--engine", "sma", "--data", f"volume={gap_path}", "--out", str(env / "x"))
    assert "unknown data role(s) volume" in " ".join(result.output.split())  # type: ignore[attr-defined]


def test_fill_gaps_reports_the_count(env: Path, gap_path: Path) -> None:
    out = env / "g"
    result = _run(
        "--engine", "sma", "--data", f"price={gap_path}", "--fill-gaps", "--no-charts",
        "--out", str(out), "--param", "fast=3", "--param", "slow=8",
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    data = json.loads((out / "summary.json").read_text())["data"]
    assert (data["gap_policy"], data["filled_bars"], data["gaps"]) == ("fill", 5, 2)


def test_python_c_runs_the_typer_app(env: Path, ftx_path: Path) -> None:
    code = "from phantom.app.cli_backtest import backtest_app; backtest_app()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--engine", "sma", "--data", f"price={ftx_path}",
         "--compare", "--no-charts", "--out", str(env / "p")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (env / "p" / "summary.json").exists() and "realistic" in proc.stdout


def test_parse_date_bounds() -> None:
    assert parse_date("2022-11-06", "--from") == 1_667_692_800.0
    assert parse_date("2022-11-06", "--to", end=True) == pytest.approx(1_667_779_200.0, abs=1e-5)
    assert parse_date("2022-11-06T12:00:00", "--to", end=True) == 1_667_736_000.0


def test_default_realism_matches_the_settings_defaults(env: Path) -> None:
    assert default_realism() == wiring.realism_params(Settings(), SOL)
