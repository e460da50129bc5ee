"""Live funding fixtures: the live layout of the local Solana world (its WSOL-USDC pool is the
spot leg) on 127.0.0.1 with 50 ms blocks, shared by a module, and a devnet key file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from phantom.app.live_solana_world import ensure_key_file, fund, world_config
from phantom.localsolana.faults import Faults
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.keystore import SolanaSigner

from .funding_support import BLOCK_S


@pytest.fixture(scope="module")
def world() -> Iterator[LocalSolanaWorld]:
    with LocalSolanaWorld(world_config(BLOCK_S), Faults(blockhash_validity_blocks=60)) as w:
        yield w


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "solana-local" / "devnet-key.json"


@pytest.fixture
def signer(world: LocalSolanaWorld, key_path: Path) -> SolanaSigner:
    s = ensure_key_file(key_path)
    fund(world, s)
    return s
