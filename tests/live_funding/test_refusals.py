"""Live funding refuses to start (exit 2, a clear reason, nothing started) without ENABLE_TRADING
or MODE=live, on another chain or engine, without a perp venue (exchange, URL, key and secret),
and when the venue refuses the credentials: the API secret is never in the message or a log."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from phantom.app.live_funding import run_live_funding
from phantom.app.settings import SettingsError
from phantom.localperp.exchange import LocalPerpExchange
from phantom.localperp.marks import FixedMark
from phantom.localperp.schedule import FundingSchedule
from phantom.localperp.server import LocalPerpServer

from .funding_support import API_KEY, API_SECRET, FAST, live_settings


@pytest.fixture
def perp_url() -> Iterator[str]:
    exchange = LocalPerpExchange(FixedMark(Decimal(150)), FundingSchedule([Decimal("0.0001")]))
    with LocalPerpServer(exchange, API_KEY, API_SECRET) as server:
        yield server.url


def _refused(tmp: Path, capsys: pytest.CaptureFixture[str], url: str | None, **kw: Any) -> str:
    code = run_live_funding(live_settings(tmp, url, **kw), 1, None, options=FAST)
    err = capsys.readouterr().err
    assert code == 2, err
    assert not (tmp / "var" / "sessions").exists()  # nothing started
    for path in (tmp / "logs").rglob("*"):
        assert API_SECRET not in path.read_text(errors="replace")
    assert API_SECRET not in err
    return err


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"enable_trading": False}, "ENABLE_TRADING is not true"),
        ({"mode": "paper"}, "MODE is not live"),
        ({"chain": "devnet"}, "solana-local only"),
        ({"engines": "arb"}, "this entry point runs funding"),
    ],
)
def test_refused_without_the_switches(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    perp_url: str,
    settings: dict[str, Any],
    why: str,
) -> None:
    assert why in _refused(tmp_path, capsys, perp_url, **settings)


@pytest.mark.parametrize(
    ("url", "settings", "why"),
    [
        ("", {"perp_exchange": ""}, "no perp venue configured: set PERP_EXCHANGE"),
        (None, {}, "set PERP_API_URL"),
        ("", {"perp_api_secret": ""}, "needs PERP_API_KEY and PERP_API_SECRET"),
        ("", {"perp_api_key": None}, "needs PERP_API_KEY and PERP_API_SECRET"),
        ("", {"perp_market": "SOL/USDT:USDT"}, "binanceusdm has no market 'SOL/USDT:USDT'"),
    ],
)
def test_refused_without_a_perp_venue(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    perp_url: str,
    url: str | None,
    settings: dict[str, Any],
    why: str,
) -> None:
    assert why in _refused(tmp_path, capsys, None if url is None else perp_url, **settings)


def test_a_wrong_api_secret_is_refused_by_the_venue_and_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], perp_url: str
) -> None:
    wrong = "wrong-secret-5e1f-never-shown"
    err = _refused(tmp_path, capsys, perp_url, perp_api_secret=wrong)
    assert "the perp venue refused" in err and "Signature for this request is not valid" in err
    assert wrong not in err
    for path in (tmp_path / "logs").rglob("*"):
        assert wrong not in path.read_text(errors="replace")
    err = _refused(tmp_path, capsys, perp_url, perp_api_key="someone-else")
    assert "Invalid API-key" in err and "someone-else" not in err


def test_a_bad_perp_setting_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="PERP_API_URL"):
        live_settings(Path("/nonexistent"), "ftp://127.0.0.1:1")
    with pytest.raises(SettingsError) as err:
        live_settings(Path("/nonexistent"), None, perp_exchange="Not An Id")
    assert "PERP_EXCHANGE" in str(err.value)
