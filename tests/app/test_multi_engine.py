"""Several engines in one paper run: own vaults, shared gates and realism model, determinism."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from phantom.app.paper_perp import PERP_CHAIN
from phantom.app.paper_run import PaperRun, RunOptions
from phantom.app.session import new_session
from phantom.app.settings import Settings, SettingsError, load_settings
from phantom.app.wiring import world_params
from phantom.market.replay.layout import DEFAULT_POOLS
from phantom.portfolio.ledger import Ledger
from phantom.risk.breaker import KillSwitch

ALL = "arb,scalp,lst,funding"
CRASH = "2022-11-08T20:00"  # SOL falls from 24 to 20 in the next hours: scalp and lst trade


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"state_dir": tmp_path / "var", "logs_dir": tmp_path / "logs"}
    values.update(overrides)
    return load_settings(values)


def _run(settings: Settings, wall_s: float) -> tuple[PaperRun, dict[str, Any]]:
    session = new_session(settings.state_dir, settings.seed)
    run = PaperRun(settings, session, RunOptions(wall_s, pace=False), KillSwitch())
    return run, run.run()


def _ledger_ok(run: PaperRun) -> Ledger:
    ledger = Ledger(run.session.ledger_path)
    report = ledger.verify()
    assert report.ok, report.problems
    assert report.vaults_checked == len(run.slots)
    assert ledger.pending_intents() == []
    return ledger


def test_four_engines_same_seed_same_summary_each_vault_verifies(tmp_path: Path) -> None:
    a, sa = _run(_settings(tmp_path / "a", seed=7, engines=ALL, replay_start=CRASH), wall_s=1)
    _, sb = _run(_settings(tmp_path / "b", seed=7, engines=ALL, replay_start=CRASH), wall_s=1)
    assert sa == sb
    assert list(sa["engines"]) == ["arb", "scalp", "lst", "funding"]
    for name, figures in sa["engines"].items():
        assert figures["sent"] > 0 or figures["idle_reason"], name  # trades, or says why not
        assert Decimal(figures["vault"]["deposited_usd"]) > 0
    assert sa["engines"]["arb"]["trades"] > 0
    assert sa["engines"]["lst"]["sent"] > 0  # the de-peg beat its costs
    assert "safety gate" in sa["engines"]["funding"]["idle_reason"]  # funding was negative
    assert sa["sent"] == sum(e["sent"] for e in sa["engines"].values())
    ledger = _ledger_ok(a)
    try:
        assert sorted(ledger.vaults()) == ["arb", "funding", "lst", "scalp"]
        for fill in ledger.fills():
            assert fill.intent_id.startswith((fill.engine, f"refuel-{fill.engine}", "refuel-s"))
    finally:
        ledger.close()


def test_scalp_and_lst_trade_the_crash_and_another_seed_differs(tmp_path: Path) -> None:
    run, a = _run(_settings(tmp_path / "a", seed=7, engines="scalp,lst", replay_start=CRASH), 3)
    _, c = _run(_settings(tmp_path / "c", seed=8, engines="scalp,lst", replay_start=CRASH), 3)
    assert a != c
    scalp, lst = a["engines"]["scalp"], a["engines"]["lst"]
    assert scalp["scalp"]["entries"] > 0 and scalp["scalp"]["venue"] == "raydium-SOL-USDC"
    assert sum(p["signals"] for p in scalp["scalp"]["pods"].values()) > 0
    entries = [e for x in ("jitoSOL", "mSOL") for e in lst["lst"][x]["entries"]]
    assert entries and all(e["discount_bps"] > e["hurdle_bps"] for e in entries)
    assert lst["routes"] == {"private": lst["sent"]}  # the lst engine asks for Jito bundles
    _ledger_ok(run).close()


def test_funding_hedges_and_books_funding_and_perp_cash_in_its_vault(tmp_path: Path) -> None:
    # ETH funding turns positive on 2022-11-02 08:00: the safety gate opens; 16:00 settles
    settings = _settings(
        tmp_path, seed=3, engines="funding", replay_start="2022-11-02T07:00", replay_speed=3600
    )
    run, summary = _run(settings, wall_s=10)  # 10 simulated hours
    figures = summary["engines"]["funding"]["funding"]
    assert figures["entries"] == 1 and figures["margin_moves"] >= 1
    assert figures["prints_paid_or_earned"] >= 1 and Decimal(figures["funding_earned_usd"]) > 0
    assert Decimal(figures["perp_fees_usd"]) > 0
    assert figures["perp_account"]["position"] < 0  # short perp against the spot holding
    assert figures["max_abs_delta_drift_pct"] < 1.0
    assert figures["ledger_matches_venue"] is True
    assert 0 < figures["min_health_pct"] <= 100
    ledger = _ledger_ok(run)
    try:
        balances = {t.key: units for t, units in ledger.balances("funding").items()}
        cash = Decimal(figures["perp_account"]["cash_usd"])
        assert balances[f"{PERP_CHAIN}:USDC"] == int(cash * 10**6)
        assert balances["solana:ETH"] > 0
        entries = [i for i in ledger.intents("funding") if "perp_account" in i.intent.tags]
        assert any("-funding-" in i.intent.intent_id for i in entries)
    finally:
        ledger.close()


def test_kill_switch_leaves_no_pending_intent_in_any_vault(tmp_path: Path) -> None:
    settings = _settings(tmp_path, seed=5, engines="scalp,lst,funding", replay_start=CRASH)
    session = new_session(settings.state_dir, settings.seed)
    kill = KillSwitch()
    run = PaperRun(settings, session, RunOptions(None, pace=False), kill)
    sent_at_stop: list[int] = []

    def stop_after_some_trading(r: PaperRun) -> None:
        if r.stats.sent >= 6 and not kill.engaged:
            kill.engage("test stop")
            sent_at_stop.append(r.stats.sent)

    summary = run.run(on_status=stop_after_some_trading, status_every_s=0.0)
    assert sent_at_stop and summary["sent"] == sent_at_stop[0]
    assert all(not slot.in_flight for slot in run.slots)
    ledger = _ledger_ok(run)
    ledger.close()


def test_default_is_arb_only_on_the_unchanged_world(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    assert s.engines == ["arb"]
    assert world_params(s).pools == DEFAULT_POOLS
    with_lst = world_params(_settings(tmp_path, engines="arb,lst", lst_symbols="mSOL"))
    assert [p.pool_id for p in with_lst.pools[len(DEFAULT_POOLS) :]] == ["orca-mSOL-SOL"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('["funding","arb"]', ["arb", "funding"]),
        ("scalp, lst", ["scalp", "lst"]),
        (["lst"], ["lst"]),
    ],
)
def test_engines_setting_takes_a_json_or_comma_list(
    tmp_path: Path, raw: Any, expected: list[str]
) -> None:
    assert _settings(tmp_path, engines=raw).engines == expected


def test_engines_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANTOM_ENGINES", '["arb","scalp","lst","funding"]')
    assert _settings(tmp_path).engines == ["arb", "scalp", "lst", "funding"]
    monkeypatch.setenv("PHANTOM_ENGINES", "arb,meme")
    with pytest.raises(SettingsError, match=r"ENGINES.*unknown engine\(s\) meme; known: arb"):
        _settings(tmp_path)


@pytest.mark.parametrize("raw", ["", "arb,arb", '["arb",'])
def test_bad_engines_setting_is_a_clear_error(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError, match="ENGINES"):
        _settings(tmp_path, engines=raw)


def test_live_refuses_more_than_one_engine(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="live mode runs at most one engine"):
        _settings(tmp_path, mode="live", engines="arb,scalp")
    assert _settings(tmp_path, mode="live", engines="scalp").engines == ["scalp"]


def test_bad_pool_setting_names_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path, engines="scalp", scalp_pool="raydium-ETH-USDC")
    session = new_session(settings.state_dir, settings.seed)
    with pytest.raises(ValueError, match="SCALP_POOL: raydium-ETH-USDC does not trade SOL/USDC"):
        PaperRun(settings, session, RunOptions(1, pace=False), KillSwitch())


def test_thin_scalp_market_uses_the_dynamic_model(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, seed=7, engines="scalp", replay_start=CRASH, scalp_liquidity_usd="50000"
    )
    run, summary = _run(settings, wall_s=3)
    scalp = summary["engines"]["scalp"]
    assert scalp["scalp"]["venue"] == "dynamic model" and scalp["sent"] > 0
    ledger = _ledger_ok(run)
    try:
        notes = [n for f in ledger.fills("scalp") for n in f.notes if n.startswith("impact:")]
        assert notes and all("dynamic model on cex:SOL/USDC" in n for n in notes)
    finally:
        ledger.close()
