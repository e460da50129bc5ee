"""Live mode on solana-local refuses to start without ENABLE_TRADING, without MODE=live, on
another chain, without a key, with a bad key (never echoed), or while another live engine runs."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

import pytest

from phantom.app.live_solana import run_live_solana_local
from phantom.localsolana.world import LocalSolanaWorld

from .sol_live_support import FAST, live_settings, publish


def _refused(tmp: Path, capsys: pytest.CaptureFixture[str], **settings: Any) -> str:
    code = run_live_solana_local(live_settings(tmp, **settings), 1, None, options=FAST)
    err = capsys.readouterr().err
    assert code == 2, err
    assert not (tmp / "var" / "sessions").exists()  # nothing started
    return err


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"enable_trading": False}, "ENABLE_TRADING is not true"),
        ({"mode": "paper"}, "MODE is not live"),
        ({"chain": "devnet"}, "solana-local only"),
    ],
)
def test_refused_without_the_switches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: dict[str, Any], why: str
) -> None:
    assert why in _refused(tmp_path, capsys, **settings)


def test_refused_without_a_key(
    world: LocalSolanaWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(world, tmp_path, None)  # a running world that names no devnet key
    assert "no key" in _refused(tmp_path, capsys)


def test_a_bad_key_is_refused_and_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "3vQB7B6MrGQZaxCuFg4oh" + "x" * 20 + "0OIl"
    err = _refused(tmp_path, capsys, solana_private_key=secret)
    assert "not a valid base58 Solana key" in err and secret not in err
    for path in (tmp_path / "logs").rglob("*"):
        assert secret not in path.read_text(errors="replace")


def test_refused_while_another_live_engine_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "var").mkdir()
    with open(tmp_path / "var" / "live.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert "another live engine" in _refused(tmp_path, capsys)
