"""The bar engines through the live entry point: refusals (trading switch, an engine this loop
does not run, an unknown engine), the embedded world's de-pegs traded by the lst engine end to
end, and restart reconciliation, the arbitrage loop's own code, booking a landed bundle once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from phantom.app.cli import app
from phantom.app.live_solana import run_live_solana_local
from phantom.app.settings import SettingsError, load_settings
from phantom.core.fills import FillStatus
from phantom.localsolana.staking import depeg
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.keystore import SolanaSigner

from .sol_live_support import FAST, Desk, live_settings, publish


def _refused(tmp: Path, capsys: pytest.CaptureFixture[str], **settings: Any) -> str:
    code = run_live_solana_local(live_settings(tmp, **settings), 1, None, options=FAST)
    err = capsys.readouterr().err
    assert code == 2, err
    assert not (tmp / "var" / "sessions").exists()  # nothing started
    return err


@pytest.mark.parametrize("engine", ["lst", "scalp"])
def test_without_enable_trading_a_bar_engine_is_refused_and_sends_nothing(
    world: LocalSolanaWorld,
    tmp_path: Path,
    key_path: Path,
    signer: SolanaSigner,
    capsys: pytest.CaptureFixture[str],
    engine: str,
) -> None:
    publish(world, tmp_path, key_path)
    before = world.chain.deliveries()
    err = _refused(tmp_path, capsys, enable_trading=False, engines=[engine])
    assert "ENABLE_TRADING is not true" in err
    assert world.chain.deliveries() == before


def test_an_engine_this_loop_does_not_run_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(tmp_path, capsys, engines=["funding"])
    assert "ENGINES=funding" in err and "arb, scalp, lst" in err


def test_an_unknown_engine_is_a_settings_error_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SettingsError, match="unknown engine"):
        load_settings({"engines": "nope", "mode": "live"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHANTOM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PHANTOM_ENABLE_TRADING", "true")
    args = ["run", "--mode", "live", "--chain", "solana-local", "--set", "engines=nope"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "ENGINES" in result.output and "nope" in " ".join(result.output.split())
    assert not (tmp_path / "var" / "sessions").exists()


def test_a_scalp_pool_the_world_lacks_is_refused(
    world: LocalSolanaWorld,
    tmp_path: Path,
    key_path: Path,
    signer: SolanaSigner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish(world, tmp_path, key_path)
    options = FAST.model_copy(update={"scalp_pool": "JUP-BONK"})  # no USDC in it
    code = run_live_solana_local(live_settings(tmp_path, engines=["scalp"]), 1, None,
                                 options=options)  # fmt: skip
    assert code == 2 and "no USDC pool 'JUP-BONK'" in capsys.readouterr().err


def test_the_embedded_world_depegs_and_the_lst_engine_trades_them(tmp_path: Path) -> None:
    options = FAST.model_copy(
        update={"bar_s": 0.25, "depeg_interval_s": 0.6, "depeg_recover_s": 0.3,
                "depeg_recover_fraction": 0.3, "epoch_blocks": 40, "stake_poll_interval_s": 0.2,
                "lst_params": {"max_hold_s": 1.5}}
    )  # fmt: skip
    out = tmp_path / "lst.json"
    settings = live_settings(tmp_path, engines=["lst"])
    assert run_live_solana_local(settings, 5.0, out, options=options) == 0
    summary = json.loads(out.read_text())
    assert summary["world"] == "embedded" and summary["engine_name"] == "lst"
    assert summary["session"].startswith("live-solana-local-lst-")
    assert summary["ledger_ok"] is True and set(summary["chain_minus_ledger"].values()) == {"0"}
    entries = [e for s in ("jitoSOL", "mSOL") for e in summary["engine"][s]["entries"]]
    assert entries and summary["trades"] >= len(entries)
    assert summary["engine"]["rate_changes"] > 2  # the initial rates, then epochs
    assert summary["trades"] + summary["failed"] == summary["sent"]
    # a pool that moved past an order's own bound before it was sent: refused, costless
    assert set(summary["failures"]) <= {"unprofitable"}


def test_a_landed_lst_entry_is_booked_once_after_a_crash(
    world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner
) -> None:
    world.staking.epoch_blocks = None
    options = FAST.model_copy(update={"bar_s": 0.25, "stake_poll_interval_s": 0.2})
    world.faults.confirm_after_blocks = 40  # landed ("processed") for 2 s before "confirmed"
    desk = Desk(world, tmp_path, signer, options, engines=["lst"], lst_symbols=["jitoSOL"])
    depeg(world, "jitoSOL", 400)
    desk.step_until(
        lambda: any(world.chain.status(r.signature) for r in desk.run.journal.all()), timeout=10
    )
    intent_id = desk.run.journal.all()[0].intent_id
    assert desk.run.ledger.fills() == [] and len(desk.run.ledger.pending_intents()) == 1
    desk.close()  # the crash: landed, not confirmed, not booked
    world.faults.confirm_after_blocks = 1
    again = Desk(world, tmp_path, signer, options, engines=["lst"], lst_symbols=["jitoSOL"])
    try:
        assert again.run.reconciled == {"book": 1}
        ledger = again.run.ledger
        fills = [f for f in ledger.fills() if f.intent_id == intent_id]
        assert len(fills) == 1 and fills[0].status is FillStatus.FILLED
        assert fills[0].amount_out > 0 and ledger.pending_intents() == []
        summary = again.run.summary()
        assert summary["ledger_ok"] is True
        assert set(summary["chain_minus_ledger"].values()) == {"0"}
    finally:
        again.close()


def test_phantom_run_hands_engines_funding_to_the_funding_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHANTOM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PHANTOM_ENABLE_TRADING", "true")
    args = ["run", "--mode", "live", "--chain", "solana-local", "--set", "engines=funding"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2  # the funding loop's own refusal: no perp venue configured
    assert "no perp venue configured" in " ".join(result.output.split())
    assert not (tmp_path / "var" / "sessions").exists()


def test_phantom_run_refuses_a_bad_options_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHANTOM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PHANTOM_ENABLE_TRADING", "true")
    bad = tmp_path / "options.json"
    bad.write_text(json.dumps({"bar_s": -1, "no_such_option": 1}), encoding="utf-8")
    args = ["run", "--mode", "live", "--chain", "solana-local", "--options", str(bad)]
    result = CliRunner().invoke(app, [*args, "--set", "engines=scalp"])
    assert result.exit_code == 2
    assert "bad --options file" in result.output and "no_such_option" in result.output
    assert not (tmp_path / "var" / "sessions").exists()
