"""The Solana wallet: where its key comes from, SOL and SPL balances, and the gas refuel check.

Key sources, first match wins: the ``SOLANA_PRIVATE_KEY`` environment variable (base58, with a
warning: prefer a keystore), a Solana CLI keypair JSON file, or a named encrypted keystore file
(password from an environment variable). No key means **monitor-only**: :func:`load_signer` returns
``None`` and logs that clearly, and every signing path refuses with :class:`MonitorOnly`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr

from phantom.venues.solana.errors import KeystoreError
from phantom.venues.solana.keystore import DEFAULT_SCRYPT_N, SolanaKeystore, SolanaSigner
from phantom.venues.solana.rpc import SolanaRpc

log = logging.getLogger(__name__)

PRIVATE_KEY_ENV = "SOLANA_PRIVATE_KEY"
PASSWORD_ENV = "PHANTOM_KEYSTORE_PASSWORD"


class WalletSource(BaseModel):
    """Where the signing key comes from (settings)."""

    model_config = ConfigDict(frozen=True)

    private_key_env: str = PRIVATE_KEY_ENV
    keypair_file: Path | None = None
    keystore_dir: Path | None = None
    keystore_name: str | None = None
    password_env: str = PASSWORD_ENV
    scrypt_n: int = DEFAULT_SCRYPT_N


def load_signer(
    source: WalletSource, environ: Mapping[str, str] | None = None
) -> SolanaSigner | None:
    """The configured signer, or ``None`` (monitor-only, logged) when no key is configured."""
    env = os.environ if environ is None else environ
    raw = env.get(source.private_key_env)
    if raw:
        try:
            signer = SolanaSigner.from_base58(raw)
        except KeystoreError:
            raise KeystoreError(
                f"environment variable {source.private_key_env} does not hold a valid base58 "
                "Solana private key"
            ) from None
        log.warning(
            "using an unencrypted Solana key from $%s (%s); prefer an encrypted keystore",
            source.private_key_env,
            signer.pubkey,
        )
        return signer
    if source.keypair_file is not None:
        signer = SolanaSigner.from_json_file(source.keypair_file)
        log.info("solana wallet %s from keypair file %s", signer.pubkey, source.keypair_file.name)
        return signer
    if source.keystore_dir is not None and source.keystore_name:
        password = env.get(source.password_env)
        if not password:
            raise KeystoreError(
                f"environment variable {source.password_env} is not set (keystore password)"
            )
        keystore = SolanaKeystore(source.keystore_dir, scrypt_n=source.scrypt_n)
        signer = keystore.unlock(source.keystore_name, SecretStr(password))
        log.info("solana wallet %s unlocked from keystore %r", signer.pubkey, source.keystore_name)
        return signer
    log.warning(
        "no Solana private key configured (%s, keypair file or keystore): MONITOR-ONLY mode, "
        "nothing will be signed or sent",
        source.private_key_env,
    )
    return None


@dataclass(frozen=True, slots=True)
class Balances:
    lamports: int
    tokens: dict[str, int]  # mint -> atoms, summed over the owner's token accounts


async def sol_balance(rpc: SolanaRpc, owner: str) -> int:
    """Native SOL in lamports."""
    return await rpc.get_balance(owner)


async def token_balance(rpc: SolanaRpc, owner: str, mint: str) -> int:
    """``owner``'s balance of ``mint`` in atoms, over all its token accounts."""
    rows = await rpc.get_token_accounts_by_owner(owner, mint=mint)
    return sum(row.amount for row in rows if row.owner == owner)


async def balances(rpc: SolanaRpc, owner: str, mints: list[str]) -> Balances:
    lamports = await sol_balance(rpc, owner)
    return Balances(lamports, {mint: await token_balance(rpc, owner, mint) for mint in mints})
