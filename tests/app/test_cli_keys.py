"""``phantom keys``: a key made or imported is stored encrypted and never printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from phantom.app.cli import app
from phantom.venues.evm.keystore import Keystore

KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def test_import_list_and_unlock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANTOM_KEYSTORE_PASSWORD", "correct horse")
    runner = CliRunner()
    store = tmp_path / "ks"
    made = runner.invoke(app, ["keys", "import", "hot", "--dir", str(store)], input=KEY + "\n")
    assert made.exit_code == 0, made.output
    assert KEY not in made.output
    listed = runner.invoke(app, ["keys", "list", "--dir", str(store)])
    assert "hot" in listed.output
    address = listed.output.split()[1]
    files = list(store.glob("*.json"))
    assert files and all(KEY not in f.read_text() for f in files)
    signer = Keystore(store).unlock("hot", "correct horse")
    assert signer.address.lower() == address.lower()


def test_new_without_password_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHANTOM_KEYSTORE_PASSWORD", raising=False)
    result = CliRunner().invoke(app, ["keys", "new", "w", "--dir", str(tmp_path / "ks")])
    assert result.exit_code == 2
    assert "PHANTOM_KEYSTORE_PASSWORD" in result.output


def test_solana_keystore_import_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from solders.keypair import Keypair

    from phantom.venues.solana.keystore import SolanaKeystore

    monkeypatch.setenv("PHANTOM_KEYSTORE_PASSWORD", "battery staple")
    keypair = Keypair()
    secret = str(keypair)  # base58 of the 64-byte keypair
    store = tmp_path / "ks"
    runner = CliRunner()
    made = runner.invoke(
        app, ["keys", "import", "sol", "--chain", "solana", "--dir", str(store)], input=secret
    )
    assert made.exit_code == 0, made.output
    assert secret not in made.output and str(keypair.pubkey()) in made.output
    listed = runner.invoke(app, ["keys", "list", "--chain", "solana", "--dir", str(store)])
    assert str(keypair.pubkey()) in listed.output
    assert all(secret not in f.read_text() for f in (store / "solana").glob("*"))
    signer = SolanaKeystore(store / "solana").unlock("sol", "battery staple")
    assert signer.pubkey == keypair.pubkey()
