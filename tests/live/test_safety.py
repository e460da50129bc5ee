"""Live mode refuses to start unless trading is enabled, the mode is live and a key exists."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

import pytest

from phantom.app.live_run import run_live_devnet
from phantom.app.settings import load_settings
from phantom.devnet.deployment import write_deployment
from phantom.devnet.world import DevnetWorld


def _settings(tmp: Path, **over: Any) -> Any:
    base: dict[str, Any] = {
        "mode": "live",
        "enable_trading": True,
        "chain": "devnet",
        "devnet_dir": str(tmp / "devnet"),
        "state_dir": str(tmp / "var"),
        "logs_dir": str(tmp / "logs"),
    }
    base.update(over)
    return load_settings(base)


def _refused(tmp: Path, capsys: pytest.CaptureFixture[str], **over: Any) -> str:
    code = run_live_devnet(_settings(tmp, **over), 1.0, tmp / "summary.json")
    assert code == 2
    assert not (tmp / "summary.json").exists()
    assert not (tmp / "var" / "sessions").exists()  # no session, nothing sent
    return capsys.readouterr().err


def test_refused_without_enable_trading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "ENABLE_TRADING" in _refused(tmp_path, capsys, enable_trading=False)


def test_refused_without_mode_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "MODE is not live" in _refused(tmp_path, capsys, mode="paper")


def test_refused_on_another_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "devnet only" in _refused(tmp_path, capsys, chain="base")


def test_refused_without_a_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no key" in _refused(tmp_path, capsys)  # no wallet, no devnet deployment


def test_refused_when_the_wallet_cannot_be_unlocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHANTOM_TEST_NO_SUCH_PASSWORD", raising=False)
    err = _refused(
        tmp_path, capsys, evm_wallet="trading",
        keystore_password_env="PHANTOM_TEST_NO_SUCH_PASSWORD",
        keystore_dir=str(tmp_path / "keys"),
    )  # fmt: skip
    assert "cannot unlock wallet 'trading'" in err


def test_one_live_engine_at_a_time(
    world: DevnetWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_deployment(world.deployment, tmp_path / "devnet" / "deployment.json")
    (tmp_path / "var").mkdir()
    with open(tmp_path / "var" / "live.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert "another live engine" in _refused(tmp_path, capsys)
