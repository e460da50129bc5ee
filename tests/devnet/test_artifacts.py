"""Contract build: solc-js compile is deterministic and a stale build is rebuilt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from phantom.devnet.anvil import repo_root
from phantom.devnet.artifacts import (
    ArtifactError,
    build_is_fresh,
    ensure_compiled,
    project_artifact,
    uniswap_artifact,
)


def _copy_project(dst: Path) -> Path:
    root = repo_root()
    shutil.copytree(root / "contracts", dst / "contracts")
    (dst / "scripts").mkdir()
    shutil.copy(root / "scripts" / "compile_contracts.mjs", dst / "scripts")
    (dst / "node_modules").symlink_to(root / "node_modules")
    return dst


def test_compile_is_deterministic_and_tracks_sources(tmp_path: Path) -> None:
    repo_build = ensure_compiled()
    copy = _copy_project(tmp_path)
    assert not build_is_fresh(copy)
    # The stamp digest does not depend on where the checkout lives.
    shutil.copytree(repo_build, copy / "build" / "contracts")
    assert build_is_fresh(copy)
    # Editing a source makes the build stale; the loader recompiles on demand.
    src = copy / "contracts" / "Reverter.sol"
    src.write_text(src.read_text() + "\n// touched\n")
    assert not build_is_fresh(copy)
    assert project_artifact("Reverter", copy).abi.has_function("poke")
    assert build_is_fresh(copy)
    # A second compile of unchanged sources gives byte-identical artifacts.
    out = copy / "build" / "contracts"
    for name in ("PhantomArb", "TestToken"):
        assert (out / f"{name}.json").read_bytes() == (repo_build / f"{name}.json").read_bytes()


def test_compile_error_is_reported(tmp_path: Path) -> None:
    copy = _copy_project(tmp_path)
    (copy / "contracts" / "Broken.sol").write_text("pragma solidity ^0.8.24; contract B { x }")
    with pytest.raises(ArtifactError, match="compilation failed"):
        ensure_compiled(copy)


def test_artifacts_have_abi_and_bytecode() -> None:
    arb = project_artifact("PhantomArb")
    assert arb.abi.has_function("execute") and arb.abi.has_function("uniswapV2Call")
    assert arb.bytecode[:1] == b"\x60"  # PUSH1: creation code
    for name in ("UniswapV2Factory", "UniswapV2Pair", "UniswapV2Router02", "WETH9"):
        assert len(uniswap_artifact(name).bytecode) > 100
    with pytest.raises(ArtifactError, match="unknown"):
        uniswap_artifact("UniswapV3Pool")
