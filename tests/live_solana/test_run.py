"""``run_live_solana_local`` end to end: it lands swaps and reports tiers used, tips paid,
rebroadcasts and failures next to the paper summary's keys; the ledger matches the chain; and
no form of the key appears in anything the session wrote (the key-leak grep)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from solders.keypair import Keypair

from phantom.app.live_solana import run_live_solana_local
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.keystore import SolanaSigner

from .sol_live_support import FAST, live_settings, open_gap, publish

PAPER_KEYS = {
    "trades", "wins", "losses", "realized_pnl_usd", "costs_usd", "costs_total_usd", "rejections",
    "failed", "failures", "partial_fills", "sandwiched", "refuels", "opportunities_seen",
    "intents", "sent", "routes", "seed", "sim_start", "sim_end", "circuit_breaker_trips",
    "engine", "engines",
}  # fmt: skip
SOLANA_KEYS = {"tiers_used", "tips_paid_lamports", "rebroadcasts", "failures"}


def _key_forms(secret64: bytes) -> list[bytes]:
    from phantom.venues.solana.b58 import b58encode

    seed = secret64[:32]
    ints = [str(b) for b in secret64]
    return [
        b58encode(secret64).encode(),
        b58encode(seed).encode(),
        secret64.hex().encode(),
        seed.hex().encode(),
        base64.b64encode(secret64),
        base64.b64encode(seed),
        ("[" + ",".join(ints) + "]").encode(),
        ("[" + ", ".join(ints) + "]").encode(),
        (", ".join(ints[:32])).encode(),
    ]


def _assert_no_leak(secret64: bytes, roots: list[Path], texts: list[str]) -> int:
    forms = _key_forms(secret64)
    scanned = 0
    for root in roots:
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            scanned += 1
            for form in forms:
                assert form not in data, f"a form of the key is in {path}"
    for text in texts:
        for form in forms:
            assert form.decode() not in text
    return scanned


def _check_summary(summary: dict[str, Any]) -> None:
    assert set(summary) >= PAPER_KEYS | SOLANA_KEYS
    assert summary["mode"] == "live" and summary["chain"] == "solana-local"
    assert summary["ledger_ok"] is True
    assert set(summary["chain_minus_ledger"].values()) == {"0"}
    assert summary["trades"] + summary["failed"] == summary["sent"]
    assert sum(summary["tiers_used"].values()) == summary["trades"]
    assert summary["tips_paid_lamports"] >= 1000 * summary["trades"]


def test_a_run_on_the_running_world_lands_swaps_and_reports(
    world: LocalSolanaWorld,
    tmp_path: Path,
    key_path: Path,
    signer: SolanaSigner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish(world, tmp_path, key_path)
    open_gap(world, 300)
    out = tmp_path / "out.json"
    assert run_live_solana_local(live_settings(tmp_path), 2.0, out, options=FAST) == 0
    summary = json.loads(out.read_text())
    _check_summary(summary)
    assert summary["trades"] >= 1 and summary["world"] == "external"
    assert summary["address"] == str(signer.pubkey)
    assert "devnet key file" in summary["signer_source"]
    captured = capsys.readouterr()
    secret = bytes(json.loads(key_path.read_text()))
    roots = [tmp_path / "var" / "sessions", tmp_path / "logs", out]
    assert _assert_no_leak(secret, roots, [captured.out, captured.err]) >= 4


def test_the_embedded_world_with_a_configured_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keypair = Keypair()
    options = FAST.model_copy(update={"noise_interval_s": 0.2, "noise_min_bps": 100,
                                      "noise_max_bps": 300})  # fmt: skip
    settings = live_settings(tmp_path, solana_private_key=str(keypair), seed=3)
    out = tmp_path / "out.json"
    assert run_live_solana_local(settings, 3.0, out, options=options) == 0
    summary = json.loads(out.read_text())
    _check_summary(summary)
    assert (
        summary["world"] == "embedded" and summary["signer_source"] == "SOLANA_PRIVATE_KEY setting"
    )
    assert summary["address"] == str(keypair.pubkey())
    captured = capsys.readouterr()
    roots = [tmp_path / "var", tmp_path / "logs", out]
    assert _assert_no_leak(bytes(keypair), roots, [captured.out, captured.err]) >= 4
