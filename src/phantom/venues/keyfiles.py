"""Named key files in one directory: the file handling both venues' keystores share.

Each venue keeps its own crypto format (EVM: Web3 Secret Storage v3; Solana: scrypt +
AES-256-GCM) and its own error types; this module only names, lists, reads and writes the files.
Layout: ``<dir>/<name>.json``, the directory created ``0700``, a file ``0600``, written to a
temporary file and linked into place so a name is never silently overwritten. Nothing here logs,
reprs or puts in an error a key or a password.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
Password = str | SecretStr

M = TypeVar("M", bound=BaseModel)


def check_scrypt_n(scrypt_n: int) -> None:
    if scrypt_n < 2 or scrypt_n & (scrypt_n - 1):
        raise ValueError(f"scrypt_n must be a power of two >= 2, got {scrypt_n}")


def password_text(password: Password, error: type[Exception]) -> str:
    """The password's text; ``error`` (the venue's keystore error) when it is empty."""
    value = password.get_secret_value() if isinstance(password, SecretStr) else password
    if not value:
        raise error("the keystore password must not be empty")
    return value


def list_names(
    directory: Path,
    identify: Callable[[str], str],
    error: type[Exception],
    log: logging.Logger,
) -> list[tuple[str, str]]:
    """``(name, identify(name))`` of every readable key file, sorted by name; a file whose
    ``identify`` raises ``error`` is skipped with a warning on ``log``."""
    if not directory.is_dir():
        return []
    out: list[tuple[str, str]] = []
    for file in sorted(directory.glob("*.json")):
        name = file.stem
        if not NAME_RE.match(name):
            continue
        try:
            out.append((name, identify(name)))
        except error as exc:
            log.warning("skipping unreadable keystore file %s: %s", file.name, exc)
    return out


def read_model(
    file: Path, name: str, directory: Path, model: type[M], what: str, error: type[Exception]
) -> M:
    """The key file ``file`` (wallet ``name``) parsed as ``model``; ``error`` names only the
    file and the kind of failure (``what`` is the format, e.g. "v3 keystore file")."""
    if not file.is_file():
        raise error(f"no wallet named {name!r} in {directory}")
    try:
        return model.model_validate(json.loads(file.read_text()))
    except (OSError, ValueError, ValidationError) as exc:
        raise error(f"{file.name} is not a {what} ({type(exc).__name__})") from None


def write_new(
    directory: Path, target: Path, blob: dict[str, Any], name: str, error: type[Exception]
) -> None:
    """Write ``blob`` as JSON to ``target`` (in ``directory``), durably and only if no file of
    that name exists: ``error`` if one appeared meanwhile."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(blob, fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)  # atomic, and fails if the name appeared meanwhile
        except FileExistsError:
            raise error(f"wallet {name!r} already exists") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
