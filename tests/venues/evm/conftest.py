"""EVM venue fixtures: a fresh anvil per test (127.0.0.1, free port) and a funded random key."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from phantom.devnet.anvil import AnvilError, AnvilProcess, anvil_binary
from phantom.venues.evm.signer import SecretKey, Signer


@pytest.fixture
def node() -> Iterator[AnvilProcess]:
    """A running anvil (chain 31337, automine), stopped after the test."""
    try:
        anvil_binary()
    except AnvilError as exc:
        pytest.fail(str(exc))
    with AnvilProcess() as anvil:
        yield anvil


@pytest.fixture
def key(node: AnvilProcess) -> SecretKey:
    """A fresh random key holding 100 ETH on ``node``."""
    secret = SecretKey.generate()
    address = Signer(secret).address
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "anvil_setBalance",
        "params": [address, hex(10**20)],
    }
    resp = httpx.post(node.rpc_url, json=body, timeout=5).json()
    assert "error" not in resp, resp
    return secret
