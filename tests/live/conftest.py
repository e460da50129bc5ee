"""Live EVM fixtures: one devnet deployed per session, reverted to its snapshot before each test.

``world``: the deployed devnet (anvil on 127.0.0.1, a free port), automine on, mempool empty.
``desk``: an arbitrage desk on it (market read from chain, gas model, live client, ledger), torn
down after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from phantom.devnet.anvil import AnvilError, anvil_binary
from phantom.devnet.world import DevnetWorld

from .live_support import Desk


@pytest.fixture(scope="session")
def live_world() -> Iterator[DevnetWorld]:
    try:
        anvil_binary()
    except AnvilError as exc:
        pytest.fail(str(exc))
    with DevnetWorld() as world:
        yield world


@pytest.fixture
def world(live_world: DevnetWorld) -> DevnetWorld:
    live_world.reset()
    return live_world


@pytest.fixture
def desk(world: DevnetWorld, tmp_path: Path) -> Iterator[Desk]:
    d = Desk(world, tmp_path)
    try:
        yield d
    finally:
        d.close()
