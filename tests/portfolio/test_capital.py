"""The capital manager: reservations of in-flight intents, gas, marked snapshots."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ledger_support import ENGINE, FEE_LAMPORTS, SOL, USDC, buy_sol, make_fill, make_intent

from phantom.core.orders import IntentKind
from phantom.portfolio.capital import CapitalManager
from phantom.portfolio.errors import InsufficientCapital, MissingPrice
from phantom.portfolio.ledger import Ledger

ONE_SOL = 1_000_000_000


@pytest.fixture
def capital(vault: Ledger) -> CapitalManager:
    return CapitalManager(vault, [ENGINE])


def test_reserve_and_release(capital: CapitalManager) -> None:
    assert capital.available(ENGINE, USDC) == 1_000_000_000
    intent = make_intent("i-1", amount_in=300_000_000)
    capital.reserve(intent)
    assert capital.reserved(ENGINE, USDC) == 300_000_000
    assert capital.available(ENGINE, USDC) == 700_000_000
    assert capital.available(ENGINE, SOL) == 10 * ONE_SOL
    with pytest.raises(ValueError, match="already reserved"):
        capital.reserve(intent)
    with pytest.raises(InsufficientCapital, match="700000000 free"):
        capital.reserve(make_intent("i-2", amount_in=700_000_001))
    assert capital.release("i-1") is True
    assert capital.release("i-1") is False
    assert capital.available(ENGINE, USDC) == 1_000_000_000


def test_booked_fill_then_release(capital: CapitalManager, vault: Ledger) -> None:
    intent = make_intent("i-1", amount_in=100_000_000)
    vault.journal_intent(intent)
    capital.reserve(intent)
    vault.record_fill(make_fill(intent, buy_sol(100_000_000, ONE_SOL)), {"SOL": Decimal(100)})
    capital.release(intent.intent_id)
    assert capital.available(ENGINE, USDC) == 900_000_000
    assert capital.gas_balance(ENGINE, SOL) == 11 * ONE_SOL - FEE_LAMPORTS


def test_unmanaged_engine_is_an_error(capital: CapitalManager) -> None:
    with pytest.raises(ValueError, match="not managed"):
        capital.available("lst", USDC)
    with pytest.raises(ValueError, match="not managed"):
        capital.reserve(make_intent("x", engine="lst"))


def test_needs_refuel_unless_one_is_in_flight(capital: CapitalManager) -> None:
    assert not capital.needs_refuel(ENGINE, SOL, critical_units=10 * ONE_SOL)
    assert capital.needs_refuel(ENGINE, SOL, critical_units=10 * ONE_SOL + 1)
    refuel = make_intent("r-1", amount_in=10_000_000, kind=IntentKind.REFUEL)
    capital.reserve(refuel)
    assert not capital.needs_refuel(ENGINE, SOL, critical_units=10 * ONE_SOL + 1)
    capital.release("r-1")
    assert capital.needs_refuel(ENGINE, SOL, critical_units=10 * ONE_SOL + 1)


def test_snapshot(capital: CapitalManager, vault: Ledger) -> None:
    intent = make_intent("i-1", amount_in=100_000_000)
    vault.journal_intent(intent)
    vault.record_fill(
        make_fill(intent, buy_sol(100_000_000, ONE_SOL, fee=0)), {"SOL": Decimal(100)}
    )
    capital.reserve(make_intent("i-2", amount_in=50_000_000))
    snap = capital.snapshot(ENGINE, {"SOL": Decimal(110)})
    assert snap.cash_usd == Decimal(900)
    assert snap.gas == {SOL: 11 * ONE_SOL}
    [sol] = snap.positions
    assert (sol.mark_usd, sol.market_value_usd, sol.unrealized_pnl_usd) == (
        Decimal(110),
        Decimal(1210),
        Decimal(110),
    )
    assert snap.unrealized_pnl_usd == Decimal(110)
    assert snap.realized_pnl_usd == 0
    assert snap.equity_usd == Decimal(2110)
    assert snap.deposited_usd == Decimal(2000)
    assert snap.total_pnl_usd == Decimal(110)
    assert snap.reserved == {USDC: 50_000_000}
    with pytest.raises(MissingPrice, match="SOL"):
        capital.snapshot(ENGINE, {})


def test_restore_reserves_pending_intents(vault: Ledger) -> None:
    vault.journal_intent(make_intent("i-1", amount_in=5))
    vault.journal_intent(make_intent("i-2", amount_in=7))
    fresh = CapitalManager(vault, [ENGINE])
    assert fresh.restore() == 2
    assert fresh.restore() == 0
    assert fresh.reserved(ENGINE, USDC) == 12
    assert [r.intent_id for r in fresh.in_flight()] == ["i-1", "i-2"]
