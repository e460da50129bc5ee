"""``run_live_funding`` end to end on the LiteSVM world and the local perp exchange: with funding
that beats the costs the engine buys WSOL on chain and shorts the same size on the venue, the
funding payments are booked, the ledger matches the chain and the venue; when funding stays
negative for the set time it closes both legs; ``phantom stop`` (the STOP file) ends the run;
and no form of the API secret, the API key or the Solana key is in anything the session wrote."""

from __future__ import annotations

import base64
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from phantom.app.live_funding import run_live_funding
from phantom.localsolana.world import LocalSolanaWorld
from phantom.portfolio.ledger import Ledger
from phantom.venues.solana.b58 import b58encode
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


def _secret_forms(key_path: Path) -> list[bytes]:
    secret64 = bytes(json.loads(key_path.read_text()))
    forms = [API_SECRET.encode(), API_KEY.encode()]
    for raw in (secret64, secret64[:32]):
        forms += [b58encode(raw).encode(), raw.hex().encode(), base64.b64encode(raw)]
    return [*forms, json.dumps(list(secret64)).encode(), ",".join(map(str, secret64)).encode()]


def test_opens_both_legs_books_funding_and_exits_when_funding_turns(
    world: LocalSolanaWorld,
    tmp_path: Path,
    key_path: Path,
    signer: SolanaSigner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish(world, tmp_path, key_path)
    server = start_exchange(world, "0.0005")  # 0.05 % per 8 h: 55 % APR, beats every cost
    ex = server.exchange
    settings = live_settings(tmp_path, server.url)
    stop_file = tmp_path / "var" / "STOP"

    def earned() -> int:
        return sum(1 for i in ex.income if i.kind == "FUNDING_FEE" and i.amount > 0)

    def turn_then_stop() -> None:  # funding turns against the short; then `phantom stop`
        wait_for(lambda: ex.position() != 0, 20, "the perp short")
        wait_for(lambda: earned() >= 3, 20, "three funding payments")
        with ex.lock:
            ex.schedule.replace([Decimal("-0.0001")])  # -11 % APR: not a spike, a trend
        wait_for(lambda: ex.position() == 0, 20, "the exit")
        wait_for(lambda: not (tmp_path / "var" / "STOP").exists() and ex.stats.orders >= 2, 5, "")
        stop_file.touch()

    watcher = threading.Thread(target=turn_then_stop, daemon=True)
    watcher.start()
    try:
        code = run_live_funding(settings, 40, tmp_path / "summary.json", options=FAST)
    finally:
        server.stop()
    out = capsys.readouterr()
    assert code == 0, out.err
    s = json.loads((tmp_path / "summary.json").read_text())
    f = s["funding"]
    assert (s["mode"], s["chain"], s["engine"]) == ("live", "solana-local", "funding")
    # the spot leg: a buy and a sell of WSOL landed on chain, booked from their balances
    buy, sell = s["spot_trades"]
    assert buy["status"] == sell["status"] == "filled" and buy["signatures"] and sell["signatures"]
    assert "open:" in buy["reason"] and "close: funding_negative" in sell["reason"]
    assert s["chain_minus_ledger"] == {"SOL": "0", "USDC": "0", "WSOL": "0"}
    # the perp leg: a short of the same size, bought back
    short, cover = (t for t in s["perp_trades"] if t["side"])
    assert (short["side"], cover["side"]) == ("sell", "buy") and short["filled"] == cover["filled"]
    assert abs(int(buy["amount_out"]) - int(short["filled"])) < ex.spec.step_units  # delta ~ 0
    assert f["max_abs_delta_drift_pct"] < 0.1 and 85 < f["min_health_pct"] < 95
    # funding: every payment the venue made to the position is booked, once, to the unit
    paid = [i.amount for i in ex.income if i.kind == "FUNDING_FEE"]
    assert sum(1 for p in paid if p > 0) >= 3 and sum(1 for p in paid if p < 0) >= 2
    assert f["prints_paid_or_earned"] == len(paid) and sum(paid) > 0
    assert f["funding_earned_usd"] == str(ex.quote.to_decimal(sum(paid)))
    assert f["entries"] == f["exits"] == 1 and f["status"]["exit_reason"] == "funding_negative"
    assert f["perp_account"]["position"] == 0 and f["status"]["spot_units"] == 0
    assert s["venue_minus_ledger"] == "0" and s["ledger_matches_venue"] and s["ledger_ok"]
    assert s["trades"] == 2 and s["failed"] == 0 and s["unresolved"] == 0
    (session_dir,) = (tmp_path / "var" / "sessions").glob("live-funding-*")
    with Ledger(session_dir / "ledger.sqlite") as ledger:
        booked = [i for i in ledger.intents("funding") if "-funding-" in i.intent_id]
        assert len(booked) == len(paid)
    # the key-leak grep: files the session wrote, its console output
    forms = _secret_forms(key_path)
    scanned = 0
    for path in [*(tmp_path / "var").rglob("*"), *(tmp_path / "logs").rglob("*"),
                 tmp_path / "summary.json"]:  # fmt: skip
        if path.is_file() and path != key_path:
            data = path.read_bytes()
            scanned += 1
            assert not [form for form in forms if form in data], f"a secret is in {path}"
    assert scanned >= 5
    for form in forms:
        assert form.decode() not in out.out + out.err
