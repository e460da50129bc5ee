"""Keys: sources, the encrypted keystore, monitor-only, balances, and the key-leak grep."""

from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path

import pytest
from pydantic import SecretStr
from sol_support import USDC_START, StackFactory, run

from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.b58 import b58decode, b58encode
from phantom.venues.solana.errors import KeystoreError, WrongPassword
from phantom.venues.solana.jupiter import JupiterClient
from phantom.venues.solana.keystore import SolanaKeystore, SolanaSigner
from phantom.venues.solana.router import EndpointConfig, SmartRouter
from phantom.venues.solana.rpc import SolanaRpc
from phantom.venues.solana.wallet import WalletSource, balances, load_signer

FAST_N = 2**10


def _secret_b58(signer: SolanaSigner) -> str:
    return b58encode(signer.seed() + bytes(signer.pubkey))


def test_b58_round_trip() -> None:
    for raw in (b"", b"\0\0abc", bytes(range(64))):
        assert b58decode(b58encode(raw)) == raw
    with pytest.raises(ValueError):
        b58decode("0OIl")


def test_sources_env_file_keystore_and_monitor_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    signer = SolanaSigner.generate()
    secret = _secret_b58(signer)
    from_env = load_signer(WalletSource(), {"SOLANA_PRIVATE_KEY": secret})
    assert from_env is not None and from_env.pubkey == signer.pubkey
    keyfile = tmp_path / "id.json"
    keyfile.write_text(json.dumps(list(signer.seed() + bytes(signer.pubkey))))
    from_file = load_signer(WalletSource(keypair_file=keyfile), {})
    assert from_file is not None and from_file.pubkey == signer.pubkey
    store = SolanaKeystore(tmp_path / "ks", scrypt_n=FAST_N)
    assert store.import_key("main", secret, "pw-123") == str(signer.pubkey)
    source = WalletSource(keystore_dir=tmp_path / "ks", keystore_name="main", scrypt_n=FAST_N)
    unlocked = load_signer(source, {"PHANTOM_KEYSTORE_PASSWORD": "pw-123"})
    assert unlocked is not None and unlocked.pubkey == signer.pubkey
    with caplog.at_level(logging.WARNING):
        assert load_signer(WalletSource(), {}) is None
    assert "MONITOR-ONLY" in caplog.text
    with pytest.raises(KeystoreError, match="SOLANA_PRIVATE_KEY"):
        load_signer(WalletSource(), {"SOLANA_PRIVATE_KEY": "not-base58-0OIl"})


def test_keystore_new_list_wrong_password_tamper(tmp_path: Path) -> None:
    store = SolanaKeystore(tmp_path, scrypt_n=FAST_N)
    pub = store.new("alpha", SecretStr("correct horse"))
    assert store.list() == [("alpha", pub)]
    assert (tmp_path / "alpha.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(KeystoreError, match="already exists"):
        store.new("alpha", "x")
    with pytest.raises(WrongPassword):
        store.unlock("alpha", "wrong")
    blob = json.loads((tmp_path / "alpha.json").read_text())
    blob["pubkey"] = str(SolanaSigner.generate().pubkey)  # header is authenticated
    (tmp_path / "beta.json").write_text(json.dumps(blob))
    with pytest.raises(WrongPassword):
        store.unlock("beta", "correct horse")
    assert str(store.unlock("alpha", "correct horse").pubkey) == pub


def test_balances_over_rpc(world: LocalSolanaWorld) -> None:
    signer = SolanaSigner.generate()
    world.fund(signer.pubkey, 123_456_789, {"USDC": USDC_START})

    async def go() -> object:
        async with SmartRouter([EndpointConfig(url=world.rpc_url)]) as router:
            mints = [str(world.mints["USDC"]), str(world.mints["JUP"])]
            return await balances(SolanaRpc(router), str(signer.pubkey), mints)

    got = run(go())
    assert got.lamports == 123_456_789  # type: ignore[attr-defined]
    assert got.tokens == {str(world.mints["USDC"]): USDC_START, str(world.mints["JUP"]): 0}  # type: ignore[attr-defined]


def test_key_leak_grep(
    tmp_path: Path, make_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Run a swap and every key path; no secret appears in logs, reprs, errors or files."""
    stack = make_stack()
    signer = stack.signer
    secrets = [_secret_b58(signer), signer.seed().hex(), b58encode(signer.seed())]
    api_key, password = "jup-api-key-SECRET-42", "pw-SECRET-99"
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):

        async def swap() -> object:
            try:
                return await stack.swapper.execute_swap(stack.order())
            finally:
                await stack.close()

        result = run(swap())
        store = SolanaKeystore(tmp_path, scrypt_n=FAST_N)
        store.import_key("k", secrets[0], password)
        texts.append((tmp_path / "k.json").read_text())
        for bad in (secrets[0][:-3] + "0OI", secrets[0][:40]):
            with pytest.raises(KeystoreError) as info:
                load_signer(WalletSource(), {"SOLANA_PRIVATE_KEY": bad})
            texts.append(str(info.value))
        with pytest.raises(WrongPassword) as wrong:
            store.unlock("k", password + "x")
        texts.append(str(wrong.value))
        client = JupiterClient("https://api.example.com/swap/v1", api_key=SecretStr(api_key))
        texts += [repr(client), repr(EndpointConfig(url="https://rpc.example.com/" + api_key))]
        run(client.aclose())
    assert result.status == "landed"  # type: ignore[attr-defined]
    texts += [
        caplog.text,
        repr(signer),
        str(signer),
        f"{signer}",
        repr(stack.swapper),
        repr(result),
    ]
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    blob = "\n".join(texts)
    for secret in [*secrets, api_key, password]:
        assert secret not in blob
