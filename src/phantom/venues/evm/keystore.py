"""Encrypted key files (Web3 Secret Storage v3, scrypt), one per named wallet.

Layout: ``<dir>/<name>.json``, the standard v3 JSON that geth, foundry (``cast wallet``) and
MetaMask import. The directory is created ``0700`` and files ``0600``; a name is never silently
overwritten, and one address is stored under one name only.

Passwords come from an environment variable named by the caller (:func:`password_from_env`) or
an interactive prompt (:func:`prompt_password`, for the CLI). A raw ``PRIVATE_KEY`` variable is
accepted with a warning (:func:`signer_from_env`). No function here logs, returns in an error, or
reprs a key or a password.
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from pydantic import BaseModel, ConfigDict, SecretStr

from phantom.venues.evm.abi import checksum
from phantom.venues.evm.errors import KeystoreError, SigningError, WrongPassword
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.keyfiles import NAME_RE as NAME_RE
from phantom.venues.keyfiles import Password as Password
from phantom.venues.keyfiles import (
    check_scrypt_n,
    list_names,
    password_text,
    read_model,
    write_new,
)

log = logging.getLogger(__name__)

DEFAULT_SCRYPT_N = 2**18  # the v3 default work factor (geth "standard")


class _KeystoreFile(BaseModel):
    """The fields of a v3 file this module relies on (the rest is read by eth_keyfile)."""

    model_config = ConfigDict(extra="allow")
    version: Literal[3]
    address: str
    crypto: dict[str, Any]


def _secret(password: Password) -> str:
    return password_text(password, KeystoreError)


class Keystore:
    """Named v3 keystore files in one directory."""

    def __init__(self, directory: Path | str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> None:
        check_scrypt_n(scrypt_n)
        self.directory = Path(directory)
        self.scrypt_n = scrypt_n

    def __repr__(self) -> str:
        return f"Keystore({str(self.directory)!r})"

    def path(self, name: str) -> Path:
        if not NAME_RE.match(name):
            raise KeystoreError(
                f"invalid wallet name {name!r}: use 1-64 letters, digits, '_', '-', '.'"
            )
        return self.directory / f"{name}.json"

    def new(self, name: str, password: Password) -> str:
        """Create a fresh random key under ``name``; returns its address."""
        return self._store(name, SecretKey.generate(), password)

    def import_key(self, name: str, key: SecretKey | str, password: Password) -> str:
        """Encrypt an existing key (a :class:`SecretKey` or 64 hex digits); returns its address."""
        if isinstance(key, str):
            try:
                key = SecretKey.from_hex(key)
            except ValueError as exc:
                raise KeystoreError(f"cannot import: {exc}") from None
        return self._store(name, key, password)

    def list(self) -> list[tuple[str, str]]:
        """``(name, checksum address)`` of every readable keystore file, sorted by name."""
        return list_names(self.directory, self.address_of, KeystoreError, log)

    def address_of(self, name: str) -> str:
        """The address stored in ``name``'s file (no password needed)."""
        return _checksum(self._read(name).address)

    def unlock(self, name: str, password: Password) -> Signer:
        """Decrypt ``name`` and return its :class:`Signer`; :class:`WrongPassword` on MAC error."""
        data = self._read(name)
        secret = _secret(password)
        raw = b""
        failure = ""
        try:
            raw = bytes(Account.decrypt(data.model_dump(), secret))
        except ValueError as exc:  # eth_keyfile raises ValueError subclasses
            failure = "mac" if "mac" in str(exc).lower() else type(exc).__name__
        except Exception as exc:  # a malformed crypto section; re-raised without the chain
            failure = type(exc).__name__
        if failure == "mac":
            raise WrongPassword(f"wrong password for wallet {name!r}")
        if failure or not raw:
            raise KeystoreError(f"cannot decrypt wallet {name!r} ({failure or 'empty key'})")
        try:
            signer = Signer(SecretKey.from_bytes(raw))
        except (ValueError, SigningError):
            raise KeystoreError(f"wallet {name!r} does not hold a valid key") from None
        if signer.address.lower() != _checksum(data.address).lower():
            raise KeystoreError(f"wallet {name!r}: decrypted key does not match its address")
        return signer

    # -- internals ----------------------------------------------------------------------------

    def _read(self, name: str) -> _KeystoreFile:
        return read_model(
            self.path(name), name, self.directory, _KeystoreFile, "v3 keystore file", KeystoreError
        )

    def _store(self, name: str, key: SecretKey, password: Password) -> str:
        target = self.path(name)
        secret = _secret(password)
        if target.exists():
            raise KeystoreError(f"wallet {name!r} already exists; choose another name")
        signer = Signer(key)
        for other, address in self.list():
            if address == signer.address:
                raise KeystoreError(f"address {address} is already stored as wallet {other!r}")
        blob = Account.encrypt(key.reveal(), secret, kdf="scrypt", iterations=self.scrypt_n)
        write_new(self.directory, target, blob, name, KeystoreError)
        log.info("stored wallet %s (%s)", name, signer.address)
        return signer.address


def _checksum(address: str) -> str:
    body = address if address.startswith("0x") else "0x" + address
    try:
        return checksum(body)
    except ValueError:
        raise KeystoreError(f"keystore address {address[:12]!r}... is not 20 bytes") from None


# -- passwords and raw keys ---------------------------------------------------------------------


def password_from_env(var: str, environ: Mapping[str, str] | None = None) -> SecretStr:
    """The password in environment variable ``var``; the error names the variable only."""
    env = os.environ if environ is None else environ
    value = env.get(var)
    if not value:
        raise KeystoreError(f"environment variable {var} is not set (keystore password)")
    return SecretStr(value)


def prompt_password(
    prompt: str = "Keystore password: ",
    *,
    confirm: bool = False,
    getpass_fn: Callable[[str], str] = getpass.getpass,
) -> SecretStr:
    """Ask on the terminal without echo (the CLI's ``phantom keys`` calls this)."""
    first = getpass_fn(prompt)
    if not first:
        raise KeystoreError("empty password")
    if confirm and getpass_fn("Repeat password: ") != first:
        raise KeystoreError("the passwords do not match")
    return SecretStr(first)


def resolve_password(
    env_var: str | None,
    *,
    interactive: bool,
    environ: Mapping[str, str] | None = None,
    prompt_fn: Callable[[], SecretStr] = prompt_password,
) -> SecretStr:
    """From ``env_var`` when it is set, else from the prompt when ``interactive``."""
    env = os.environ if environ is None else environ
    if env_var and env.get(env_var):
        return password_from_env(env_var, env)
    if interactive:
        return prompt_fn()
    where = f"set {env_var}" if env_var else "name a password variable"
    raise KeystoreError(f"no keystore password: {where} or run interactively")


def signer_from_env(
    var: str = "PRIVATE_KEY", environ: Mapping[str, str] | None = None
) -> Signer | None:
    """A signer from a raw hex key in ``var`` (None if unset), with a warning: prefer a keystore."""
    env = os.environ if environ is None else environ
    value = env.get(var)
    if not value:
        return None
    try:
        signer = Signer(SecretKey.from_hex(value))
    except (ValueError, SigningError):
        raise KeystoreError(
            f"environment variable {var} does not hold a valid private key"
        ) from None
    log.warning(
        "using an unencrypted private key from $%s for %s; prefer an encrypted keystore "
        "(phantom keys import)",
        var,
        signer.address,
    )
    return signer
