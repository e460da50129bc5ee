"""Fixtures shared by the AMM tests."""

from __future__ import annotations

import pytest

from phantom.core.pool import ConstantProductPool
from phantom.core.token import Token

E18 = 10**18


@pytest.fixture
def weth() -> Token:
    return Token("WETH", 18, chain="ethereum")


@pytest.fixture
def usdc_eth() -> Token:
    return Token("USDC", 6, chain="ethereum")


@pytest.fixture
def tok_x() -> Token:
    return Token("X", 18, chain="ethereum")


@pytest.fixture
def tok_y() -> Token:
    return Token("Y", 18, chain="ethereum")


@pytest.fixture
def cp_pool(tok_x: Token, tok_y: Token) -> ConstantProductPool:
    """The domain-facts §6 example pool: 1000 X / 2,000,000 Y, 0.3 % fee, 18 decimals."""
    return ConstantProductPool("xy", "uniswap_v2", tok_x, tok_y, 1000 * E18, 2_000_000 * E18, 3000)
