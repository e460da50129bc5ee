"""The CLI as a user runs it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phantom.app.cli import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHANTOM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PHANTOM_LOGS_DIR", str(tmp_path / "logs"))
    return tmp_path


def test_live_is_refused_clearly(env: Path) -> None:
    for args in (["run", "--live"], ["run", "--mode", "live"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        assert "live mode refused" in result.output


def test_config_show_masks_secrets(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANTOM_JUPITER_API_KEY", "sk-very-secret-value-123")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0
    assert "sk-very-secret-value-123" not in result.output
    assert "JUPITER_API_KEY" in result.output and "********" in result.output
    assert "SLIPPAGE_BASE_PCT" in result.output


def test_bad_setting_exits_2_naming_it(env: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--set", "max_trade_usd=-5"])
    assert result.exit_code == 2
    assert "MAX_TRADE_USD" in result.output


def test_run_writes_summary_and_ledger_verify_catches_tampering(env: Path) -> None:
    runner = CliRunner()
    out = env / "out.json"
    result = runner.invoke(
        app, ["run", "--fast", "--duration", "3", "--seed", "5", "--summary-json", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    for key in (
        "trades",
        "wins",
        "losses",
        "realized_pnl_usd",
        "costs_usd",
        "rejections",
        "failed",
        "partial_fills",
    ):
        assert f'"{key}"' in text
    assert runner.invoke(app, ["ledger", "verify"]).exit_code == 0
    current = (env / "var" / "current").read_text().strip()
    db = env / "var" / "sessions" / current / "ledger.sqlite"
    con = sqlite3.connect(db)
    con.execute(  # a balance that no fill explains
        "UPDATE balances SET amount = '1' WHERE token_id = (SELECT MIN(token_id) FROM balances)"
    )
    con.commit()
    con.close()
    broken = runner.invoke(app, ["ledger", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN cash_reconciles" in broken.output  # USDC is the cash token


def test_bad_replay_data_is_a_clear_error(env: Path) -> None:
    bad = env / "prices.npz"
    bad.write_bytes(b"not an archive")
    result = CliRunner().invoke(
        app, ["run", "--fast", "--duration", "1", "--set", f"replay_data={bad}"]
    )
    assert result.exit_code == 2
    assert "cannot start the paper run" in result.output
