"""Restarts: a perp order that reached the venue before the process died is booked exactly once
from the venue's account, one that never reached it is abandoned, and the engine picks up the
legs the ledger and the venue hold; a live run killed with SIGKILL while holding both legs is
reconciled by the next run, which keeps the position and matches the chain and the venue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from phantom.app.live_funding import connect_perp
from phantom.app.live_funding_loop import FundingLiveRun
from phantom.app.live_run import live_session
from phantom.app.live_solana_world import describe
from phantom.backtest.funding.legs import perp_order
from phantom.core.token import Token
from phantom.engines.funding.events import PerpIntent, PerpSide
from phantom.localperp.server import LocalPerpServer
from phantom.localsolana.world import LocalSolanaWorld
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus
from phantom.risk.breaker import KillSwitch
from phantom.venues.solana.keystore import SolanaSigner

from .funding_support import (
    API_KEY,
    API_SECRET,
    FAST,
    live_settings,
    publish,
    start_exchange,
    wait_for,
)

WSOL = Token("WSOL", 9)


def _open(world: LocalSolanaWorld, tmp: Path, signer: SolanaSigner, url: str) -> FundingLiveRun:
    settings = live_settings(tmp, url)
    session = live_session(settings.state_dir, "test-funding-session", 0)
    run = FundingLiveRun(
        settings, FAST, session, describe(world, "fundworld0001").venue(), signer,
        connect_perp(settings), KillSwitch(),
    )  # fmt: skip
    run.open()
    return run


def _short(intent_id: str, units: int) -> PerpIntent:
    return PerpIntent(intent_id, "funding", 0.0, "SOL/USDC:USDC", WSOL, PerpSide.SELL, units,
                      False, Decimal(150), Decimal(300), Decimal("0.15"), "test short")  # fmt: skip


def _perp_units_booked(run: FundingLiveRun) -> int:
    held = run.ledger.balances("funding")
    return run.book.venue_cash() - held.get(run.cash, 0) - held.get(run.reserve, 0)


def test_a_perp_order_sent_before_a_crash_is_booked_once(
    world: LocalSolanaWorld, tmp_path: Path, signer: SolanaSigner
) -> None:
    server = start_exchange(world, "0")  # no entry, no payment: only the reconciliation acts
    try:
        run = _open(world, tmp_path, signer, server.url)
        sent, lost = (
            _short("funding-live-s1-crash-1", 2 * 10**9),
            _short("funding-live-s1-crash-2", 10**9),
        )
        for intent in (sent, lost):
            run.book.journal_order(intent)  # written ahead...
        run.perp.place_order(perp_order(sent))  # ...the first reached the venue, then the crash
        run.close()
        assert server.exchange.position() == -2 * 10**9

        again = _open(world, tmp_path, signer, server.url)  # reconciles before anything new
        try:
            ledger = again.ledger
            assert dict(again.leg.reconciled) == {"book": 1, "abandon": 1}
            assert ledger.intent(sent.intent_id).status is IntentStatus.FILLED  # type: ignore[union-attr]
            assert ledger.intent(lost.intent_id).status is IntentStatus.ABANDONED  # type: ignore[union-attr]
            assert len([f for f in ledger.fills("funding") if f.intent_id == sent.intent_id]) == 1
            assert _perp_units_booked(again) == 0  # the fee the order paid is in the ledger
            assert again.engine is not None and again.engine.perp_units == -2 * 10**9
            assert not again.engine.want_open  # no spot leg: the orphan short is closed
            deadline_steps = 400
            while server.exchange.position() != 0 and deadline_steps:
                again.step(0.02)
                deadline_steps -= 1
            assert server.exchange.position() == 0 and _perp_units_booked(again) == 0
        finally:
            again.close()
        third = _open(world, tmp_path, signer, server.url)
        try:
            assert not third.leg.reconciled  # nothing pending: nothing booked twice
            assert (
                len([f for f in third.ledger.fills("funding") if f.intent_id == sent.intent_id])
                == 1
            )
            assert third.ledger.verify().ok and _perp_units_booked(third) == 0
        finally:
            third.close()
    finally:
        server.stop()


def _env(tmp: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOM_")}
    env.update({
        "PHANTOM_MODE": "live", "PHANTOM_ENABLE_TRADING": "true", "PHANTOM_CHAIN": "solana-local",
        "PHANTOM_ENGINES": "funding", "PHANTOM_STATE_DIR": str(tmp / "var"),
        "PHANTOM_LOGS_DIR": str(tmp / "logs"), "PHANTOM_PERP_EXCHANGE": "binanceusdm",
        "PHANTOM_PERP_API_URL": url, "PHANTOM_PERP_API_KEY": API_KEY,
        "PHANTOM_PERP_API_SECRET": API_SECRET,
    })  # fmt: skip
    return env


def _start(tmp: Path, env: dict[str, str], tag: str, *args: str) -> subprocess.Popen[bytes]:
    opts = tmp / "options.json"
    opts.write_text(FAST.model_dump_json(), encoding="utf-8")
    cmd = [sys.executable, "-m", "phantom.app.live_funding", "--options", str(opts), *args]
    with open(tmp / f"{tag}.out", "wb") as out, open(tmp / f"{tag}.err", "wb") as err:
        return subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=err)


def test_sigkill_while_holding_then_restart_keeps_the_position_and_matches(
    world: LocalSolanaWorld, tmp_path: Path, key_path: Path, signer: SolanaSigner
) -> None:
    publish(world, tmp_path, key_path)
    server: LocalPerpServer = start_exchange(world, "0.0005")
    ex = server.exchange
    try:
        env = _env(tmp_path, server.url)
        first = _start(tmp_path, env, "first", "--duration", "60")
        try:
            wait_for(lambda: ex.position() != 0, 30, "the perp short")
            wait_for(lambda: sum(i.kind == "FUNDING_FEE" for i in ex.income) >= 1, 10, "a payment")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        short = ex.position()
        summary = tmp_path / "summary.json"
        second = _start(tmp_path, env, "second", "--duration", "3", "--summary-json", str(summary))
        assert second.wait(timeout=60) == 0, (tmp_path / "second.err").read_text()
    finally:
        server.stop()
    s = json.loads(summary.read_text())
    f = s["funding"]
    assert f["entries"] == 0 and f["status"]["open"] and ex.position() == short  # kept
    assert f["status"]["perp_units"] == short and f["status"]["spot_units"] >= -short - 10**6
    assert s["chain_minus_ledger"] == {"SOL": "0", "USDC": "0", "WSOL": "0"}
    assert s["venue_minus_ledger"] == "0" and s["ledger_ok"] and s["unresolved"] == 0
    venue_ids = {str(i.tran_id) for i in ex.income if i.kind == "FUNDING_FEE"}
    (session_dir,) = (tmp_path / "var" / "sessions").glob("live-funding-*")
    with Ledger(session_dir / "ledger.sqlite") as ledger:
        booked = [i.intent_id for i in ledger.intents("funding") if "-funding-" in i.intent_id]
    ids = [b.rsplit("-", 1)[1] for b in booked]
    assert len(ids) == len(set(ids)) and set(ids) <= venue_ids  # each payment once, all real
    assert len(ids) >= len(venue_ids) - 2  # all but what settled after the second run ended
    assert Decimal(f["funding_earned_usd"]) > 0
    for path in tmp_path.rglob("*"):  # what both processes wrote: no API key or secret
        if path.is_file():
            data = path.read_bytes()
            assert API_SECRET.encode() not in data and API_KEY.encode() not in data, path
