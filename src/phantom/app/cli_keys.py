"""``phantom keys``: encrypted EVM keystore files (Web3 Secret Storage v3, scrypt)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.console import Console

from phantom.venues.evm.errors import KeystoreError
from phantom.venues.evm.keystore import Keystore, prompt_password, resolve_password

PASSWORD_ENV = "PHANTOM_KEYSTORE_PASSWORD"

keys_app = typer.Typer(no_args_is_help=True, help="Encrypted wallets (EVM keystore v3)")
console = Console()
err = Console(stderr=True)

DirOpt = Annotated[Path, typer.Option("--dir", help="Keystore directory")]


def _password(confirm: bool) -> SecretStr:
    interactive = sys.stdin.isatty()
    if interactive and confirm:
        return resolve_password(
            PASSWORD_ENV, interactive=True, prompt_fn=lambda: prompt_password(confirm=True)
        )
    return resolve_password(PASSWORD_ENV, interactive=interactive)


@keys_app.command("new")
def keys_new(name: str, directory: DirOpt = Path("keystore")) -> None:
    """Create a new key, encrypted with a password from $PHANTOM_KEYSTORE_PASSWORD or a prompt."""
    try:
        address = Keystore(directory).new(name, _password(confirm=True))
    except KeystoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"{name}: {address}")


@keys_app.command("import")
def keys_import(name: str, directory: DirOpt = Path("keystore")) -> None:
    """Import a raw hex private key (read without echo) into an encrypted keystore file."""
    import getpass

    raw = getpass.getpass("Private key (hex): ") if sys.stdin.isatty() else sys.stdin.readline()
    try:
        address = Keystore(directory).import_key(
            name,
            raw.strip(),
            _password(confirm=True),
        )
    except (KeystoreError, ValueError):
        err.print("[red]error:[/red] could not import the key (is it 32 bytes of hex?)")
        raise typer.Exit(2) from None
    console.print(f"{name}: {address}")


@keys_app.command("list")
def keys_list(directory: DirOpt = Path("keystore")) -> None:
    """List the wallets (names and addresses; never keys)."""
    for name, address in Keystore(directory).list():
        console.print(f"{name}\t{address}")
