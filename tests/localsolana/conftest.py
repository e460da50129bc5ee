"""Local-world fixtures: a world whose blocks are produced only by the test (deterministic)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phantom.localsolana.faults import Faults
from phantom.localsolana.world import LocalSolanaWorld, WorldConfig


@pytest.fixture
def manual_world() -> Iterator[LocalSolanaWorld]:
    with LocalSolanaWorld(
        WorldConfig(block_interval_s=None), Faults(blockhash_validity_blocks=10)
    ) as w:
        yield w
