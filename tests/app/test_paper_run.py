"""The paper run on the replay world: deterministic, every cost kind charged, refuel, stop."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from phantom.app.paper_run import PaperRun, RunOptions
from phantom.app.session import new_session
from phantom.app.settings import Settings, load_settings
from phantom.portfolio.ledger import Ledger
from phantom.risk.breaker import KillSwitch


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"state_dir": tmp_path / "var", "logs_dir": tmp_path / "logs"}
    values.update(overrides)
    return load_settings(values)


def _run(settings: Settings, wall_s: float, kill: KillSwitch | None = None) -> dict[str, Any]:
    session = new_session(settings.state_dir, settings.seed)
    run = PaperRun(settings, session, RunOptions(wall_s, pace=False), kill or KillSwitch())
    summary = run.run()
    ledger = Ledger(session.ledger_path)
    try:
        report = ledger.verify()
        assert report.ok, report.problems
        assert ledger.pending_intents() == []
    finally:
        ledger.close()
    return summary


def test_same_seed_same_summary_other_seed_differs(tmp_path: Path) -> None:
    a = _run(_settings(tmp_path / "a", seed=7), wall_s=4)
    b = _run(_settings(tmp_path / "b", seed=7), wall_s=4)
    c = _run(_settings(tmp_path / "c", seed=8), wall_s=4)
    assert a == b
    assert a != c
    assert a["trades"] > 0


def test_every_cost_kind_is_charged_over_a_few_hours(tmp_path: Path) -> None:
    summary = _run(_settings(tmp_path, seed=7), wall_s=18)  # 3 simulated hours
    costs = {k: Decimal(v) for k, v in summary["costs_usd"].items()}
    assert all(v > 0 for v in costs.values()), costs
    assert summary["failed"] > 0 and summary["partial_fills"] > 0
    assert summary["sandwiched"] > 0
    assert set(summary["routes"]) == {"public", "public_tight", "private"}
    assert summary["rejections"]["min_profit_usd"] > 0
    assert summary["trades"] == summary["wins"] + summary["losses"]


def test_gas_refuel_buys_native_at_a_costed_fill(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, seed=3, arb_initial_sol="0.0201", gas_critical_sol="0.02", gas_replenish_usd="5"
    )
    session = new_session(settings.state_dir, settings.seed)
    run = PaperRun(settings, session, RunOptions(3, pace=False), KillSwitch())
    summary = run.run()
    assert summary["refuels"] >= 1
    ledger = Ledger(session.ledger_path)
    try:
        refuel = [f for f in ledger.fills() if f.intent_id.startswith("refuel-")]
        assert refuel and refuel[0].costs.fee > 0 and refuel[0].costs.gas > 0
        sol = next(t for t in ledger.balances("arb") if t.symbol == "SOL")
        assert ledger.balances("arb")[sol] > sol.to_units(Decimal("0.02"))
        assert ledger.verify().ok
    finally:
        ledger.close()


def test_kill_switch_stops_new_entries_and_resolves_in_flight(tmp_path: Path) -> None:
    settings = _settings(tmp_path, seed=7)
    session = new_session(settings.state_dir, settings.seed)
    kill = KillSwitch()
    run = PaperRun(settings, session, RunOptions(None, pace=False), kill)
    sent_at_stop: list[int] = []

    def stop_after_some_trading(r: PaperRun) -> None:
        if r.stats.sent >= 20 and not kill.engaged:
            kill.engage("test stop")
            sent_at_stop.append(r.stats.sent)

    summary = run.run(on_status=stop_after_some_trading, status_every_s=0.0)
    assert sent_at_stop and summary["sent"] == sent_at_stop[0]  # nothing new after the stop
    ledger = Ledger(session.ledger_path)
    try:
        assert ledger.pending_intents() == []  # in-flight orders resolved and booked
        assert len(ledger.fills()) == summary["sent"]
        assert ledger.verify().ok
    finally:
        ledger.close()


@pytest.mark.parametrize("bad", ["nan", "-1"])
def test_bad_capital_setting_fails_before_anything_runs(tmp_path: Path, bad: str) -> None:
    from phantom.app.settings import SettingsError

    with pytest.raises(SettingsError, match="ARB_INITIAL_USD"):
        _settings(tmp_path, arb_initial_usd=bad)
