"""Live Solana fixtures: the live layout of the local world (three pools in a triangle) on
127.0.0.1, blocks every 50 ms, and a devnet key file it funds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from phantom.app.live_solana_world import ensure_key_file, fund, world_config
from phantom.localsolana.faults import Faults
from phantom.localsolana.world import LocalSolanaWorld
from phantom.venues.solana.keystore import SolanaSigner

from .sol_live_support import BLOCK_S


@pytest.fixture
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
