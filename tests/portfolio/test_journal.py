"""Vaults and the write-ahead journal: create once, journal before acting, resolve once."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_support import ENGINE, SOL, USDC, dump, make_intent

from phantom.core.clock import SimClock
from phantom.portfolio.errors import (
    DuplicateIntent,
    IntentClosed,
    SchemaMismatch,
    UnknownIntent,
    UnknownVault,
)
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus


def test_new_database_uses_wal_and_full_sync(ledger: Ledger) -> None:
    assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert ledger.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_open_vault_creates_once_and_books_deposits(vault: Ledger, db_path: Path) -> None:
    before = dump(db_path)
    again = vault.open_vault(ENGINE, [(USDC, 5, Decimal(1))])
    assert again is False
    assert dump(db_path) == before  # the second call changed nothing
    assert vault.balances(ENGINE) == {SOL: 10_000_000_000, USDC: 1_000_000_000}
    [deposit_usdc, deposit_sol] = vault.deposits(ENGINE)
    assert (deposit_usdc.token, deposit_usdc.amount) == (USDC, 1_000_000_000)
    assert deposit_sol.value_usd == Decimal(1000)
    [sol] = vault.positions(ENGINE)
    assert (sol.token, sol.quantity, sol.avg_entry_usd) == (SOL, 10_000_000_000, Decimal(100))
    assert vault.vaults() == vault.engines() == [ENGINE]
    assert vault.verify().ok


def test_deposits_are_validated_before_anything_is_written(ledger: Ledger, db_path: Path) -> None:
    before = dump(db_path)
    with pytest.raises(ValueError, match="amount"):
        ledger.open_vault(ENGINE, [(USDC, 10, Decimal(1)), (SOL, 0, Decimal(100))])
    with pytest.raises(ValueError, match="price"):
        ledger.open_vault(ENGINE, [(SOL, 10, Decimal("NaN"))])
    with pytest.raises(ValueError, match="engine"):
        ledger.open_vault("", [])
    assert dump(db_path) == before


def test_deposit_into_existing_vault(vault: Ledger) -> None:
    vault.deposit(ENGINE, SOL, 10_000_000_000, Decimal(200))
    [sol] = vault.positions(ENGINE)
    assert sol.quantity == 20_000_000_000
    assert sol.avg_entry_usd == Decimal(150)
    with pytest.raises(UnknownVault):
        vault.deposit("nobody", SOL, 1, Decimal(1))
    assert vault.verify().ok


def test_journal_is_committed_and_survives_reopen(vault: Ledger, db_path: Path) -> None:
    intent = make_intent("i-1")
    vault.journal_intent(intent)
    # another connection sees it at once: committed before the order would be sent
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("SELECT status FROM intents").fetchall() == [("pending",)]
    finally:
        other.close()
    vault.close()
    with Ledger(db_path) as reopened:
        [pending] = reopened.pending_intents()
        assert pending.intent == intent
        assert pending.status is IntentStatus.PENDING
        assert pending.journaled_at == 1_700_000_000.0


def test_journal_refuses_duplicates_and_unknown_vaults(vault: Ledger) -> None:
    vault.journal_intent(make_intent("i-1"))
    with pytest.raises(DuplicateIntent):
        vault.journal_intent(make_intent("i-1"))
    with pytest.raises(UnknownVault):
        vault.journal_intent(make_intent("i-2", engine="ghost"))
    assert [j.intent_id for j in vault.pending_intents()] == ["i-1"]


def test_resolve_intent(vault: Ledger, clock: SimClock) -> None:
    vault.journal_intent(make_intent("i-1"))
    clock.advance_to(1_700_000_005.0)
    vault.resolve_intent("i-1", IntentStatus.REJECTED, "risk: size")
    journaled = vault.intent("i-1")
    assert journaled is not None
    assert (journaled.status, journaled.reason) == (IntentStatus.REJECTED, "risk: size")
    assert journaled.resolved_at == 1_700_000_005.0
    assert vault.pending_intents() == []
    with pytest.raises(IntentClosed, match="already rejected"):
        vault.resolve_intent("i-1", IntentStatus.ABANDONED, "again")
    with pytest.raises(UnknownIntent):
        vault.resolve_intent("nope", IntentStatus.REJECTED, "")
    vault.journal_intent(make_intent("i-2"))
    with pytest.raises(ValueError, match="record_fill"):
        vault.resolve_intent("i-2", IntentStatus.FILLED, "")
    assert vault.intent("missing") is None


def test_abandon_pending(vault: Ledger) -> None:
    vault.open_vault("lst", [(USDC, 1_000_000, Decimal(1))])
    for i in range(3):
        vault.journal_intent(make_intent(f"arb-{i}"))
    vault.journal_intent(make_intent("lst-0", engine="lst"))
    vault.resolve_intent("arb-0", IntentStatus.REJECTED, "gate")
    assert vault.abandon_pending("restart", engine="lst") == 1
    assert vault.abandon_pending("restart") == 2
    assert vault.abandon_pending("restart") == 0
    abandoned = vault.intents(status=IntentStatus.ABANDONED)
    assert [j.intent_id for j in abandoned] == ["arb-1", "arb-2", "lst-0"]
    assert {j.reason for j in abandoned} == {"restart"}
    assert vault.verify().ok


def test_last_activity_uses_domain_timestamps(vault: Ledger) -> None:
    assert vault.last_activity_ts() is None
    vault.journal_intent(make_intent("i-1"))
    assert vault.last_activity_ts() == 1_700_000_000.25


def test_reopen_with_other_cash_symbols_is_refused(vault: Ledger, db_path: Path) -> None:
    vault.close()
    with pytest.raises(SchemaMismatch, match="cash symbols"):
        Ledger(db_path, cash_symbols={"USDC"})
    with Ledger(db_path, cash_symbols=["USDT", "USD", "USDC"]) as same:
        assert same.vaults() == [ENGINE]


def test_closed_ledger_says_so(db_path: Path) -> None:
    led = Ledger(db_path)
    led.close()
    led.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        led.vaults()
