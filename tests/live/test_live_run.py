"""A live session on the devnet, in its own process with the noise traders: it lands arbitrages,
books them from their receipts, stops cleanly on SIGTERM, and never writes its key anywhere."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phantom.devnet.world import DevnetWorld
from phantom.portfolio.ledger import Ledger

from .proc_support import ledger_path, prepare, start


@dataclass
class LiveSession:
    tmp: Path
    code: int
    stop_s: float
    summary: dict[str, Any]
    stdout: str
    stderr: str


def _filled(log: Path) -> bool:
    if not log.exists():
        return False
    for line in log.read_text(encoding="utf-8").splitlines():
        if '"event": "fill"' in line and '"status": "filled"' in line:
            return True
    return False


@pytest.fixture(scope="module")
def session(live_world: DevnetWorld, tmp_path_factory: pytest.TempPathFactory) -> LiveSession:
    live_world.reset()
    tmp = tmp_path_factory.mktemp("live")
    env = prepare(live_world, tmp)
    summary_path = tmp / "summary.json"
    proc = start(tmp, env, "--duration", "120", "--noise-traders", "--summary-json",
                 str(summary_path))  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _filled(tmp / "logs" / "phantom.log") and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp / "run.stderr").read_text()
            time.sleep(0.1)
        time.sleep(1.0)  # let a few more trades happen, some perhaps in flight at the signal
    finally:
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        stop_s = time.monotonic() - t0
    live_world.reset()
    return LiveSession(
        tmp=tmp,
        code=code,
        stop_s=stop_s,
        summary=json.loads(summary_path.read_text()),
        stdout=(tmp / "run.stdout").read_text(),
        stderr=(tmp / "run.stderr").read_text(),
    )


def test_lands_arbitrages_and_books_them_from_receipts(session: LiveSession) -> None:
    s = session.summary
    assert session.code == 0, session.stderr
    assert s["mode"] == "live" and s["trades"] >= 1 and s["wins"] >= 1
    landed = [t for t in s["trades_detail"] if t["status"] == "filled"]
    assert landed and all(t["tx"] and t["realized_profit_units"] > 0 for t in landed)
    # every realized profit is the simulation's unless the pools moved in between
    assert any(t["realized_profit_units"] == t["simulated_profit_units"] for t in landed)
    for t in landed:  # predicted vs realized is reported per trade
        assert {"predicted_profit_usd", "predicted_profit_units", "realized_pnl_usd"} <= set(t)
    assert set(s["costs_usd"]) == {"fee", "slippage", "mev", "gas", "priority_fee", "tip"}
    # The ledger, fed only by receipts, holds exactly what the chain holds.
    assert set(s["chain_minus_ledger"].values()) == {"0"} and s["ledger_ok"] is True
    ledger = Ledger(ledger_path(session.tmp))
    try:
        assert ledger.verify().ok
        fills = ledger.fills()
        journal = sqlite3.connect(ledger_path(session.tmp).with_name("evm_txs.sqlite"))
        try:
            for fill in fills:
                if fill.status.value == "filled":
                    hashes = [
                        r[0]
                        for r in journal.execute(
                            "SELECT tx_hash FROM evm_txs WHERE intent_id = ?", (fill.intent_id,)
                        )
                    ]
                    assert hashes and any(h in " ".join(fill.notes) for h in hashes)
        finally:
            journal.close()
    finally:
        ledger.close()


def test_sigterm_stops_new_sends_and_resolves_what_was_in_flight(session: LiveSession) -> None:
    assert session.code == 0 and session.stop_s < 30
    ledger = Ledger(ledger_path(session.tmp))
    try:
        assert ledger.pending_intents() == []  # nothing left in flight
    finally:
        ledger.close()
    log = (session.tmp / "logs" / "phantom.log").read_text(encoding="utf-8")
    assert '"event": "live_end"' in log
    assert "summary written to" in session.stdout


def test_the_key_never_leaves_memory(session: LiveSession, live_world: DevnetWorld) -> None:
    secret = live_world.deployment.account("arbitrageur").private_key.get_secret_value()
    body = secret[2:].lower()
    needles = [body, body.upper()]
    raw_key = bytes.fromhex(body)
    texts = {"stdout": session.stdout, "stderr": session.stderr}
    for root in (session.tmp / "var", session.tmp / "logs"):
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            assert raw_key not in data, f"raw key bytes in {path}"
            texts[str(path)] = data.decode("latin-1")
            if path.suffix == ".sqlite":
                con = sqlite3.connect(path)
                try:
                    texts[f"{path} (dump)"] = "\n".join(con.iterdump())
                finally:
                    con.close()
    texts["summary"] = json.dumps(session.summary)
    assert any("ledger.sqlite" in name for name in texts), "the scan missed the ledger"
    for name, text in texts.items():
        for needle in needles:
            assert needle not in text, f"private key found in {name}"
