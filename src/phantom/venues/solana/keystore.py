"""Solana keys: a masked signer, and encrypted keystore files (scrypt + AES-256-GCM).

File format (``<dir>/<name>.json``, directory 0700, file 0600, never overwritten)::

    {"version": 1, "kind": "phantom-solana-keystore", "pubkey": "<base58>",
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<hex>"},
     "cipher": {"name": "aes-256-gcm", "nonce": "<hex>"}, "ciphertext": "<hex>"}

The 32-byte ed25519 seed is encrypted with a key derived by scrypt (memory-hard: 128 MiB at the
default ``n = 2**17``) from the password; the header (version, kind, pubkey, KDF and cipher
parameters) is authenticated as associated data, so a tampered file or a wrong password fails the
GCM tag check (:class:`WrongPassword`). Nothing here logs, reprs or puts in an error a key, seed or
password.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Literal, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import BaseModel, ConfigDict, Field
from solders.keypair import Keypair
from solders.message import VersionedMessage, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature

from phantom.venues.keyfiles import NAME_RE as NAME_RE
from phantom.venues.keyfiles import Password as Password
from phantom.venues.keyfiles import (
    check_scrypt_n,
    list_names,
    password_text,
    read_model,
    write_new,
)
from phantom.venues.solana.b58 import b58decode
from phantom.venues.solana.errors import KeystoreError, WrongPassword

log = logging.getLogger(__name__)

DEFAULT_SCRYPT_N = 2**17
KIND = "phantom-solana-keystore"


class SolanaSigner:
    """An ed25519 keypair that never shows itself: ``repr``/``str`` give the public key only."""

    __slots__ = ("__keypair", "pubkey")

    def __init__(self, keypair: Keypair) -> None:
        self.__keypair = keypair
        self.pubkey: Pubkey = keypair.pubkey()

    @classmethod
    def generate(cls) -> SolanaSigner:
        return cls(Keypair())

    @classmethod
    def from_seed(cls, seed: bytes) -> SolanaSigner:
        if len(seed) != 32:
            raise KeystoreError("an ed25519 seed is 32 bytes")
        return cls(Keypair.from_seed(seed))

    @classmethod
    def from_base58(cls, text: str) -> SolanaSigner:
        """From a base58 secret: 64 bytes (seed + public key) or a 32-byte seed."""
        try:
            raw = b58decode(text.strip())
        except ValueError:
            raise KeystoreError("the private key is not valid base58") from None
        return cls._from_raw(raw)

    @classmethod
    def from_json_file(cls, path: Path | str) -> SolanaSigner:
        """From a Solana CLI keypair file: a JSON array of 64 integers."""
        try:
            values = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            raise KeystoreError(f"cannot read keypair file {Path(path).name}") from None
        if not isinstance(values, list) or not all(
            isinstance(v, int) and 0 <= v < 256 for v in values
        ):
            raise KeystoreError(f"{Path(path).name} is not a JSON array of bytes")
        return cls._from_raw(bytes(values))

    @classmethod
    def _from_raw(cls, raw: bytes) -> SolanaSigner:
        if len(raw) == 32:
            return cls.from_seed(raw)
        if len(raw) != 64:
            raise KeystoreError("a Solana private key is 64 bytes (or a 32-byte seed)")
        signer = cls.from_seed(raw[:32])
        if bytes(signer.pubkey) != raw[32:]:
            raise KeystoreError("the private key's public half does not match its seed")
        return signer

    def seed(self) -> bytes:
        """The 32-byte seed. Call only to encrypt it."""
        return bytes(self.__keypair.secret())

    def sign_message(self, message: VersionedMessage) -> Signature:
        return self.__keypair.sign_message(to_bytes_versioned(message))

    def sign_bytes(self, data: bytes) -> Signature:
        return self.__keypair.sign_message(data)

    def __repr__(self) -> str:
        return f"SolanaSigner({self.pubkey})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("SolanaSigner cannot be pickled")


class _Kdf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["scrypt"]
    n: int = Field(ge=2)
    r: int = Field(ge=1)
    p: int = Field(ge=1)
    salt: str = Field(min_length=32)


class _Cipher(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["aes-256-gcm"]
    nonce: str = Field(min_length=24, max_length=24)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    kind: Literal["phantom-solana-keystore"]
    pubkey: str
    kdf: _Kdf
    cipher: _Cipher
    ciphertext: str

    def aad(self) -> bytes:
        head = self.model_dump(exclude={"ciphertext"})
        return json.dumps(head, sort_keys=True, separators=(",", ":")).encode()


def _secret(password: Password) -> bytes:
    return password_text(password, KeystoreError).encode()


def _derive(password: Password, kdf: _Kdf) -> bytes:
    try:
        return Scrypt(salt=bytes.fromhex(kdf.salt), length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(
            _secret(password)
        )
    except ValueError:
        raise KeystoreError("invalid scrypt parameters in the keystore file") from None


class SolanaKeystore:
    """Named encrypted key files in one directory (``phantom keys --chain solana``)."""

    def __init__(self, directory: Path | str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> None:
        check_scrypt_n(scrypt_n)
        self.directory = Path(directory)
        self.scrypt_n = scrypt_n

    def __repr__(self) -> str:
        return f"SolanaKeystore({str(self.directory)!r})"

    def path(self, name: str) -> Path:
        if not NAME_RE.match(name):
            raise KeystoreError(f"invalid wallet name {name!r}: use 1-64 letters, digits, '_-.'")
        return self.directory / f"{name}.json"

    def new(self, name: str, password: Password) -> str:
        """Create a random key under ``name``; returns its public key (base58)."""
        return self.store(name, SolanaSigner.generate(), password)

    def import_key(self, name: str, secret: str, password: Password) -> str:
        """Encrypt a base58 private key (64 bytes or a 32-byte seed); returns its public key."""
        return self.store(name, SolanaSigner.from_base58(secret), password)

    def import_file(self, name: str, keypair_file: Path | str, password: Password) -> str:
        """Encrypt a Solana CLI keypair JSON file's key; returns its public key."""
        return self.store(name, SolanaSigner.from_json_file(keypair_file), password)

    def list(self) -> list[tuple[str, str]]:
        """``(name, public key)`` of every readable keystore file, sorted by name."""
        return list_names(self.directory, lambda name: self._read(name).pubkey, KeystoreError, log)

    def unlock(self, name: str, password: Password) -> SolanaSigner:
        data = self._read(name)
        key = _derive(password, data.kdf)
        try:
            seed = AESGCM(key).decrypt(
                bytes.fromhex(data.cipher.nonce), bytes.fromhex(data.ciphertext), data.aad()
            )
        except InvalidTag:
            seed = b""
        except ValueError:
            raise KeystoreError(f"wallet {name!r}: malformed ciphertext") from None
        if not seed:
            raise WrongPassword(f"wrong password for wallet {name!r} (or the file was altered)")
        signer = SolanaSigner.from_seed(seed)
        if str(signer.pubkey) != data.pubkey:
            raise KeystoreError(f"wallet {name!r}: decrypted key does not match its public key")
        return signer

    def _read(self, name: str) -> _File:
        return read_model(
            self.path(name), name, self.directory, _File, "Solana keystore file", KeystoreError
        )

    def store(self, name: str, signer: SolanaSigner, password: Password) -> str:
        target = self.path(name)
        if target.exists():
            raise KeystoreError(f"wallet {name!r} already exists; choose another name")
        pubkey = str(signer.pubkey)
        for other, existing in self.list():
            if existing == pubkey:
                raise KeystoreError(f"public key {pubkey} is already stored as wallet {other!r}")
        kdf = _Kdf(name="scrypt", n=self.scrypt_n, r=8, p=1, salt=os.urandom(16).hex())
        cipher = _Cipher(name="aes-256-gcm", nonce=os.urandom(12).hex())
        head = _File(version=1, kind=KIND, pubkey=pubkey, kdf=kdf, cipher=cipher, ciphertext="")
        sealed = AESGCM(_derive(password, kdf)).encrypt(
            bytes.fromhex(cipher.nonce), signer.seed(), head.aad()
        )
        blob: dict[str, Any] = head.model_dump()
        blob["ciphertext"] = sealed.hex()
        write_new(self.directory, target, blob, name, KeystoreError)
        log.info("stored solana wallet %s (%s)", name, pubkey)
        return pubkey
