"""Keystore round trip, masked secrets, passwords from env/prompt, raw key with a warning."""

from __future__ import annotations

import json
import logging
import pickle
import stat
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from pydantic import SecretStr

from phantom.venues.evm.errors import KeystoreError, SigningError, WrongPassword
from phantom.venues.evm.keystore import (
    Keystore,
    password_from_env,
    prompt_password,
    resolve_password,
    signer_from_env,
)
from phantom.venues.evm.signer import SecretKey, Signer

FAST_N = 2**12  # tests only; production default is 2**18
KEY_HEX = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KEY_ADDR = str(Account.from_key(bytes.fromhex(KEY_HEX)).address)
PASSWORD = "correct horse battery staple"


def assert_no_secret(text: str) -> None:
    assert KEY_HEX not in text.lower()
    assert PASSWORD not in text


def test_secret_key_is_masked_everywhere() -> None:
    key = SecretKey.from_hex("0x" + KEY_HEX)
    signer = Signer(key)
    texts = [repr(key), str(key), f"{key}", f"{key!r}", repr(signer), str(signer), repr([key])]
    for text in texts:
        assert_no_secret(text)
    assert "****" in repr(key) and KEY_ADDR in repr(signer)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    assert not hasattr(signer, "key") and not hasattr(key, "key")
    with pytest.raises(TypeError):
        hash(key)


@pytest.mark.parametrize("bad", ["", "0x1234", "zz" * 32, "00" * 32, KEY_HEX + "00"])
def test_bad_keys_are_refused_without_echo(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        SecretKey.from_hex(bad)
    assert bad[:16] not in str(info.value) or not bad


def test_signer_signs_type2_and_messages() -> None:
    signer = Signer(SecretKey.from_hex(KEY_HEX))
    tx = {
        "type": 2, "chainId": 1, "nonce": 0, "to": KEY_ADDR, "value": 1, "data": b"",
        "gas": 21000, "maxFeePerGas": 2, "maxPriorityFeePerGas": 1, "accessList": [],
    }  # fmt: skip
    signed = signer.sign_transaction(tx)
    assert signed.raw[0] == 2 and signed.tx_hash.startswith("0x") and len(signed.tx_hash) == 66
    assert Account.recover_transaction(signed.raw) == KEY_ADDR
    sig = signer.sign_message("hello")
    assert (
        Account.recover_message(encode_defunct(text="hello"), signature=sig.signature) == KEY_ADDR
    )
    with pytest.raises(SigningError) as info:
        signer.sign_transaction({"nonce": "bad"})
    assert_no_secret(str(info.value))
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_keystore_round_trip(tmp_path: Path) -> None:
    ks = Keystore(tmp_path / "keys", scrypt_n=FAST_N)
    assert ks.list() == []
    imported = ks.import_key("main", KEY_HEX, PASSWORD)
    fresh = ks.new("hot", SecretStr(PASSWORD))
    assert imported == KEY_ADDR
    assert ks.list() == [("hot", fresh), ("main", KEY_ADDR)]
    assert ks.unlock("main", PASSWORD).address == KEY_ADDR
    assert ks.unlock("hot", SecretStr(PASSWORD)).address == fresh
    file = ks.path("main")
    blob = json.loads(file.read_text())
    assert blob["version"] == 3 and blob["crypto"]["kdf"] == "scrypt"
    assert blob["crypto"]["kdfparams"]["n"] == FAST_N
    assert_no_secret(file.read_text())
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    # Interoperable: plain eth_account decrypts it.
    assert bytes(Account.decrypt(blob, PASSWORD)).hex() == KEY_HEX


def test_keystore_errors(tmp_path: Path) -> None:
    ks = Keystore(tmp_path, scrypt_n=FAST_N)
    ks.import_key("main", KEY_HEX, PASSWORD)
    with pytest.raises(WrongPassword, match="wrong password for wallet 'main'") as info:
        ks.unlock("main", "nope")
    assert info.value.__context__ is None
    with pytest.raises(KeystoreError, match="already exists"):
        ks.new("main", PASSWORD)
    with pytest.raises(KeystoreError, match="already stored as wallet 'main'"):
        ks.import_key("copy", KEY_HEX, PASSWORD)
    with pytest.raises(KeystoreError, match="no wallet named"):
        ks.unlock("ghost", PASSWORD)
    with pytest.raises(KeystoreError, match="invalid wallet name"):
        ks.new("../evil", PASSWORD)
    with pytest.raises(KeystoreError, match="must not be empty"):
        ks.new("empty", "")
    with pytest.raises(KeystoreError, match="cannot import") as bad:
        ks.import_key("bad", KEY_HEX[:-2] + "zz", PASSWORD)
    assert KEY_HEX[:40] not in str(bad.value)
    (tmp_path / "junk.json").write_text("{not json")
    assert [n for n, _ in ks.list()] == ["main"]
    with pytest.raises(KeystoreError, match="not a v3 keystore"):
        ks.unlock("junk", PASSWORD)


def test_passwords_from_env_and_prompt() -> None:
    env = {"PHANTOM_KEYSTORE_PASSWORD": PASSWORD}
    pw = password_from_env("PHANTOM_KEYSTORE_PASSWORD", env)
    assert pw.get_secret_value() == PASSWORD and PASSWORD not in repr(pw)
    with pytest.raises(KeystoreError, match="MISSING_VAR is not set") as info:
        password_from_env("MISSING_VAR", {})
    assert_no_secret(str(info.value))
    answers = iter([PASSWORD, PASSWORD])
    got = prompt_password(confirm=True, getpass_fn=lambda _p: next(answers))
    assert got.get_secret_value() == PASSWORD
    answers = iter([PASSWORD, "other"])
    with pytest.raises(KeystoreError, match="do not match"):
        prompt_password(confirm=True, getpass_fn=lambda _p: next(answers))
    assert resolve_password("X", interactive=False, environ={"X": PASSWORD}).get_secret_value()
    prompted = resolve_password("X", interactive=True, environ={}, prompt_fn=lambda: SecretStr("p"))
    assert prompted.get_secret_value() == "p"
    with pytest.raises(KeystoreError, match="set X or run interactively"):
        resolve_password("X", interactive=False, environ={})


def test_raw_private_key_env_warns_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert signer_from_env("PRIVATE_KEY", {}) is None
    signer = signer_from_env("PRIVATE_KEY", {"PRIVATE_KEY": "0x" + KEY_HEX})
    assert signer is not None and signer.address == KEY_ADDR
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "unencrypted private key from $PRIVATE_KEY" in warnings[0].getMessage()
    assert_no_secret(caplog.text)
    with pytest.raises(KeystoreError, match="PRIVATE_KEY does not hold a valid") as info:
        signer_from_env("PRIVATE_KEY", {"PRIVATE_KEY": KEY_HEX[:-1]})
    assert_no_secret(str(info.value))
