"""Fixtures for the ledger tests."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_support import ENGINE, SOL, USDC

from phantom.core.clock import SimClock
from phantom.portfolio.ledger import Ledger


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(1_700_000_000.0)


@pytest.fixture
def ledger(db_path: Path, clock: SimClock) -> Iterator[Ledger]:
    with Ledger(db_path, clock=clock) as led:
        yield led


@pytest.fixture
def vault(ledger: Ledger) -> Ledger:
    """A ledger whose ``arb`` vault holds 1000 USDC and 10 SOL bought at 100 USD."""
    ledger.open_vault(
        ENGINE, [(USDC, 1_000_000_000, Decimal(1)), (SOL, 10_000_000_000, Decimal(100))]
    )
    return ledger
