from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from phantom.app.settings import SettingsError, load_settings, masked_settings


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("PHANTOM_"):
            monkeypatch.delenv(key)


def test_defaults_follow_the_seed_documents() -> None:
    s = load_settings()
    assert s.enable_trading is False
    assert s.slippage_base_pct == 0.3
    assert s.slippage_impact_multiplier == 0.05
    assert s.slippage_volatility_multiplier == 3.0
    assert s.transaction_failure_rate_pct == 5.0
    assert s.partial_fill_rate_pct == 10.0
    assert s.min_fill_pct == 80.0
    assert s.jito_tip_lamports == 1000
    assert s.min_profit_usd == Decimal("0.50")
    assert s.max_trade_usd == Decimal("5000")
    assert s.max_concurrent_executions == 3
    assert s.max_execution_time_s == 300.0


def test_sources_in_order_file_env_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "phantom.toml").write_text(
        "min_profit_usd = 2.5\nseed = 3\nmax_slippage_bps = 40\n"
    )
    (tmp_path / ".env").write_text("PHANTOM_SEED=4\nPHANTOM_MAX_SLIPPAGE_BPS=30\n")
    monkeypatch.setenv("PHANTOM_MAX_SLIPPAGE_BPS", "20")
    s = load_settings({"max_trade_usd": "100"})
    assert s.min_profit_usd == Decimal("2.5")  # file
    assert s.seed == 4  # .env beats the file
    assert s.max_slippage_bps == 20  # environment beats .env
    assert s.max_trade_usd == Decimal("100")  # CLI beats everything


def test_bad_value_names_the_setting_and_what_is_allowed() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"transaction_failure_rate_pct": "150"})
    text = str(info.value)
    assert "TRANSACTION_FAILURE_RATE_PCT" in text
    assert "less than or equal to 100" in text


def test_bad_value_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANTOM_JITO_TIP_LAMPORTS", "10")
    with pytest.raises(SettingsError, match="JITO_TIP_LAMPORTS.*greater than or equal to 1000"):
        load_settings()


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(SettingsError, match="unknown setting MIN_PROFIT"):
        load_settings({"min_profit": "1"})


def test_related_limits_are_checked_together() -> None:
    with pytest.raises(SettingsError, match="execution_delay_max_ms must be >="):
        load_settings({"execution_delay_min_ms": "900", "execution_delay_max_ms": "100"})


def test_secrets_are_masked_and_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "5KJvsngHeMpm884wtkJNzQGaCErckhHJBGFsvd3VyK5qMZXj3hS"
    monkeypatch.setenv("PHANTOM_SOLANA_PRIVATE_KEY", secret)
    s = load_settings()
    shown = masked_settings(s)
    assert shown["solana_private_key"] == "********"
    assert secret not in repr(s) and secret not in str(shown)


def test_bad_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "phantom.toml").write_text("seed = = 3\n")
    with pytest.raises(SettingsError, match="phantom.toml: not valid TOML"):
        load_settings()
