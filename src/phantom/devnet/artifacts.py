"""Contract build artifacts: the project's own (``build/contracts``) and Uniswap V2's (npm).

The project's Solidity in ``contracts/`` is compiled by ``scripts/compile_contracts.mjs`` (solc-js,
offline). :func:`ensure_compiled` recompiles when ``build/contracts/stamp.json`` does not match a
digest of the sources and of the script, so a stale build is never used. The Uniswap artifacts
are read from ``node_modules`` as published (``@uniswap/v2-core``, ``@uniswap/v2-periphery``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from phantom.devnet.abi import ContractAbi
from phantom.devnet.anvil import repo_root

COMPILE_SCRIPT = Path("scripts") / "compile_contracts.mjs"
BUILD_DIR = Path("build") / "contracts"

#: Where each Uniswap artifact lives under node_modules.
UNISWAP_ARTIFACTS: dict[str, Path] = {
    "UniswapV2Factory": Path("@uniswap/v2-core/build/UniswapV2Factory.json"),
    "UniswapV2Pair": Path("@uniswap/v2-core/build/UniswapV2Pair.json"),
    "UniswapV2Router02": Path("@uniswap/v2-periphery/build/UniswapV2Router02.json"),
    "WETH9": Path("@uniswap/v2-periphery/build/WETH9.json"),
}


class ArtifactError(RuntimeError):
    """An artifact is missing, malformed, or could not be built."""


@dataclass(frozen=True)
class Artifact:
    """A contract's ABI and creation bytecode."""

    name: str
    abi_json: tuple[dict[str, Any], ...]
    bytecode: bytes
    source: str

    @cached_property
    def abi(self) -> ContractAbi:
        return ContractAbi(self.abi_json)

    def deploy_data(self, *args: Any) -> bytes:
        """Creation bytecode followed by the ABI-encoded constructor arguments."""
        return self.bytecode + self.abi.encode_constructor(*args)


def _bytecode_of(raw: dict[str, Any]) -> str:
    value = raw.get("bytecode")
    if isinstance(value, dict):  # some tools nest {"object": ...}
        value = value.get("object")
    if not isinstance(value, str):
        evm = raw.get("evm", {})
        value = evm.get("bytecode", {}).get("object") if isinstance(evm, dict) else None
    if not isinstance(value, str) or not value.removeprefix("0x"):
        raise ArtifactError("artifact has no creation bytecode")
    return value.removeprefix("0x")


def _load(path: Path, name: str) -> Artifact:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"artifact {name} not found at {path}") from None
    except ValueError as exc:
        raise ArtifactError(f"artifact {path} is not valid JSON: {exc}") from None
    abi = raw.get("abi")
    if not isinstance(abi, list):
        raise ArtifactError(f"artifact {path} has no abi list")
    try:
        code = bytes.fromhex(_bytecode_of(raw))
    except ValueError:
        raise ArtifactError(f"artifact {path} bytecode is not hex (unlinked library?)") from None
    except ArtifactError as exc:
        raise ArtifactError(f"{path}: {exc}") from None
    return Artifact(name=name, abi_json=tuple(abi), bytecode=code, source=str(path))


# -- the project's contracts -------------------------------------------------------------------


def contract_sources(root: Path) -> list[Path]:
    return sorted((root / "contracts").rglob("*.sol"))


def source_digest(root: Path | None = None) -> str:
    """Digest of contracts/**/*.sol and the compile script, as the script computes it."""
    base = root if root is not None else repo_root()
    files = [*contract_sources(base), base / COMPILE_SCRIPT]
    entries = sorted((p.relative_to(base).as_posix(), p) for p in files)
    digest = hashlib.sha256()
    for rel, path in entries:
        digest.update(rel.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def build_is_fresh(root: Path | None = None) -> bool:
    base = root if root is not None else repo_root()
    stamp = base / BUILD_DIR / "stamp.json"
    try:
        recorded = json.loads(stamp.read_text()).get("digest")
    except (OSError, ValueError):
        return False
    return bool(recorded == source_digest(base))


def ensure_compiled(root: Path | None = None, force: bool = False) -> Path:
    """Compile ``contracts/`` with solc-js unless the build is fresh; returns the build folder.

    Concurrent callers serialise on a lock file, so only one compiles.
    """
    base = root if root is not None else repo_root()
    out = base / BUILD_DIR
    if not force and build_is_fresh(base):
        return out
    node = shutil.which("node")
    if node is None:
        raise ArtifactError("node (Node.js >= 20) is needed to compile contracts/; install it")
    if not (base / "node_modules" / "solc").is_dir():
        raise ArtifactError(f"solc-js is not installed; run `make install` (or `npm ci` in {base})")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / ".compile.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and build_is_fresh(base):
            return out
        proc = subprocess.run(
            [node, str(base / COMPILE_SCRIPT)],
            cwd=base,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if proc.returncode != 0:
        raise ArtifactError(f"contract compilation failed:\n{proc.stderr.strip()[-4000:]}")
    return out


def project_artifact(name: str, root: Path | None = None) -> Artifact:
    """One of the project's contracts (``PhantomArb``, ``TestToken``, ``Reverter``)."""
    base = root if root is not None else repo_root()
    out = ensure_compiled(base)
    return _load(out / f"{name}.json", name)


# -- Uniswap V2 ----------------------------------------------------------------------------------


def uniswap_artifact(name: str, root: Path | None = None) -> Artifact:
    """A published Uniswap V2 artifact: see :data:`UNISWAP_ARTIFACTS` for the names."""
    rel = UNISWAP_ARTIFACTS.get(name)
    if rel is None:
        raise ArtifactError(
            f"unknown Uniswap artifact {name!r}; known: {sorted(UNISWAP_ARTIFACTS)}"
        )
    base = root if root is not None else repo_root()
    path = base / "node_modules" / rel
    if not path.is_file():
        raise ArtifactError(
            f"{path} is missing; run `make install` (or `npm ci` in {base}) to install "
            "@uniswap/v2-core and @uniswap/v2-periphery"
        )
    return _load(path, name)


def artifact(name: str, root: Path | None = None) -> Artifact:
    """Any known artifact by contract name."""
    if name in UNISWAP_ARTIFACTS:
        return uniswap_artifact(name, root)
    return project_artifact(name, root)


def pair_init_code_hash(root: Path | None = None) -> bytes:
    """keccak256 of the UniswapV2Pair creation code: the CREATE2 init-code hash of every pair."""
    return bytes(keccak(uniswap_artifact("UniswapV2Pair", root).bytecode))


def router_knows_init_code_hash(root: Path | None = None) -> bool:
    """True if the router's hard-coded ``pairFor`` hash equals the pair artifact's hash.

    The router bytecode embeds the hash as a PUSH32 constant (opcode 0x7f).
    """
    router = uniswap_artifact("UniswapV2Router02", root).bytecode
    return b"\x7f" + pair_init_code_hash(root) in router
