"""Devnet fixtures.

- ``anvil``: a fresh anvil node per test on 127.0.0.1 and a free port, stopped afterwards.
- ``devnet``: the deployed devnet world (WETH9, two Uniswap V2 DEXes, tokens, pools, PhantomArb),
  deployed once per session and reverted to the deployment snapshot before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phantom.devnet.anvil import AnvilError, AnvilProcess, anvil_binary
from phantom.devnet.world import DevnetWorld


def _require_anvil() -> None:
    try:
        anvil_binary()
    except AnvilError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def anvil() -> Iterator[AnvilProcess]:
    """A running anvil (chain id 31337, automine, the public test mnemonic), stopped afterwards."""
    _require_anvil()
    with AnvilProcess() as node:
        yield node


@pytest.fixture(scope="session")
def devnet_world() -> Iterator[DevnetWorld]:
    _require_anvil()
    with DevnetWorld() as world:
        yield world


@pytest.fixture
def devnet(devnet_world: DevnetWorld) -> DevnetWorld:
    """The deployed world, reset to its just-deployed state for this test."""
    devnet_world.reset()
    return devnet_world
