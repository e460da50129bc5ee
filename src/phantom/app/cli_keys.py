"""``phantom keys``: encrypted wallets.

- ``--chain evm`` (default): Web3 Secret Storage v3 files (scrypt), importable by geth/foundry.
- ``--chain solana``: AES-256-GCM with a scrypt key (the header authenticated too).

The password comes from $PHANTOM_KEYSTORE_PASSWORD or a prompt; keys are never printed.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.console import Console

from phantom.venues.evm.errors import KeystoreError as EvmKeystoreError
from phantom.venues.evm.keystore import Keystore, prompt_password, resolve_password
from phantom.venues.solana.errors import KeystoreError as SolanaKeystoreError
from phantom.venues.solana.keystore import SolanaKeystore

PASSWORD_ENV = "PHANTOM_KEYSTORE_PASSWORD"
KEY_ERRORS = (EvmKeystoreError, SolanaKeystoreError)

keys_app = typer.Typer(no_args_is_help=True, help="Encrypted wallets (EVM keystore v3, Solana)")
console = Console()
err = Console(stderr=True)


class Chain(StrEnum):
    EVM = "evm"
    SOLANA = "solana"


DirOpt = Annotated[Path, typer.Option("--dir", help="Keystore directory")]
ChainOpt = Annotated[Chain, typer.Option(help="evm (default) or solana")]


def _password(confirm: bool) -> SecretStr:
    interactive = sys.stdin.isatty()
    if interactive and confirm:
        return resolve_password(
            PASSWORD_ENV, interactive=True, prompt_fn=lambda: prompt_password(confirm=True)
        )
    return resolve_password(PASSWORD_ENV, interactive=interactive)


def _store(chain: Chain, directory: Path) -> Keystore | SolanaKeystore:
    return SolanaKeystore(directory / "solana") if chain is Chain.SOLANA else Keystore(directory)


@keys_app.command("new")
def keys_new(name: str, directory: DirOpt = Path("keystore"), chain: ChainOpt = Chain.EVM) -> None:
    """Create a new key, encrypted with a password from $PHANTOM_KEYSTORE_PASSWORD or a prompt."""
    try:
        address = _store(chain, directory).new(name, _password(confirm=True))
    except KEY_ERRORS as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"{name}: {address}")


@keys_app.command("import")
def keys_import(
    name: str, directory: DirOpt = Path("keystore"), chain: ChainOpt = Chain.EVM
) -> None:
    """Import a private key (EVM: hex; Solana: base58), read without echo, into an encrypted
    keystore file."""
    import getpass

    prompt = "Private key (base58): " if chain is Chain.SOLANA else "Private key (hex): "
    raw = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
    try:
        address = _store(chain, directory).import_key(name, raw.strip(), _password(confirm=True))
    except (*KEY_ERRORS, ValueError):
        err.print("[red]error:[/red] could not import the key (is it a valid private key?)")
        raise typer.Exit(2) from None
    console.print(f"{name}: {address}")


@keys_app.command("list")
def keys_list(directory: DirOpt = Path("keystore"), chain: ChainOpt = Chain.EVM) -> None:
    """List the wallets (names and addresses; never keys)."""
    for name, address in _store(chain, directory).list():
        console.print(f"{name}\t{address}")
