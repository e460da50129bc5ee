"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantom.core.token import Token

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def usdc() -> Token:
    return Token("USDC", 6)


@pytest.fixture
def sol() -> Token:
    return Token("SOL", 9)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
