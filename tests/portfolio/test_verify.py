"""``verify`` names the invariant a corrupted database breaks."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_support import ENGINE, buy_sol, fee_only, make_fill, make_intent, raw, sell_sol

from phantom.core.fills import FillStatus
from phantom.portfolio.codec import fill_to_json
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus

SOL_ID = "(SELECT id FROM tokens WHERE symbol = 'SOL')"
USDC_ID = "(SELECT id FROM tokens WHERE symbol = 'USDC')"


@pytest.fixture
def booked(vault: Ledger) -> Ledger:
    """A buy, a sell and a failed fill, one rejected and one pending intent."""
    trades = [
        ("i-buy", buy_sol(120_000_000, 1_000_000_000), "120", FillStatus.FILLED),
        ("i-sell", sell_sol(500_000_000, 70_000_000), "140", FillStatus.PARTIAL),
        ("i-fail", fee_only(), "130", FillStatus.FAILED),
    ]
    for intent_id, deltas, price, status in trades:
        intent = make_intent(intent_id)
        vault.journal_intent(intent)
        fill = make_fill(intent, deltas, fill_id=f"f-{intent_id[2:]}", status=status)
        vault.record_fill(fill, {"SOL": Decimal(price)})
    vault.journal_intent(make_intent("i-rejected"))
    vault.resolve_intent("i-rejected", IntentStatus.REJECTED, "gate")
    vault.journal_intent(make_intent("i-pending"))
    report = vault.verify()
    assert report.ok, str(report)
    assert (report.fills_checked, report.intents_checked, report.vaults_checked) == (3, 5, 1)
    return vault


def _scalar(path: Path, sql: str) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def _broken(ledger: Ledger) -> set[str]:
    report = ledger.verify()
    assert not report.ok
    for problem in report.problems:
        assert problem.invariant in str(report) and problem.detail
    return report.invariants_broken


def test_position_quantity_off_by_one(booked: Ledger, db_path: Path) -> None:
    qty = int(_scalar(db_path, f"SELECT quantity FROM positions WHERE token_id = {SOL_ID}"))
    raw(db_path, f"UPDATE positions SET quantity = '{qty + 1}' WHERE token_id = {SOL_ID}")
    assert _broken(booked) == {"fills_sum_to_positions"}


def test_balance_and_position_both_off(booked: Ledger, db_path: Path) -> None:
    raw(
        db_path,
        f"UPDATE positions SET quantity = '1' WHERE token_id = {SOL_ID}",
        f"UPDATE balances SET amount = '1' WHERE token_id = {SOL_ID}",
    )
    assert _broken(booked) == {"fills_sum_to_positions"}


def test_lost_fill(booked: Ledger, db_path: Path) -> None:
    raw(db_path, "DELETE FROM fills WHERE fill_id = 'f-sell'")
    broken = _broken(booked)
    assert {"fills_sum_to_positions", "cash_reconciles", "outcomes_have_fills"} <= broken


def test_fill_counted_twice(booked: Ledger, db_path: Path) -> None:
    raw(
        db_path,
        "DROP INDEX fills_fill_id",
        "DROP INDEX fills_intent_id",
        "INSERT INTO fills SELECT seq + 100, fill_id, intent_id, engine, status, body, prices,"
        " recorded_at FROM fills WHERE fill_id = 'f-buy'",
    )
    assert "no_duplicate_fill" in _broken(booked)


def test_second_fill_for_one_intent(booked: Ledger, db_path: Path) -> None:
    intent = make_intent("i-buy")
    body = fill_to_json(make_fill(intent, (), fill_id="f-other"))
    raw(
        db_path,
        "DROP INDEX fills_intent_id",
        "INSERT INTO fills VALUES (100, 'f-other', 'i-buy', 'arb', 'filled', ?, '{}', 0)",
        params=(body,),
    )
    broken = _broken(booked)
    assert "no_duplicate_fill" in broken
    assert "fills_sum_to_positions" not in broken  # the extra fill has no deltas


def test_cash_balance_edited(booked: Ledger, db_path: Path) -> None:
    raw(db_path, f"UPDATE balances SET amount = '5' WHERE token_id = {USDC_ID}")
    assert _broken(booked) == {"cash_reconciles"}


def test_negative_balance(booked: Ledger, db_path: Path) -> None:
    raw(db_path, f"UPDATE balances SET amount = '-5' WHERE token_id = {USDC_ID}")
    report = booked.verify()
    assert report.invariants_broken == {"cash_reconciles"}
    assert any("negative" in p.detail for p in report.problems)


def test_cash_token_with_a_position_row(booked: Ledger, db_path: Path) -> None:
    raw(db_path, f"INSERT INTO positions VALUES ('arb', {USDC_ID}, '0', '0', '0')")
    assert _broken(booked) == {"cash_reconciles"}


def test_fill_without_journaled_intent(booked: Ledger, db_path: Path) -> None:
    body = fill_to_json(make_fill(make_intent("ghost"), (), fill_id="f-ghost"))
    raw(
        db_path,
        "INSERT INTO fills VALUES (100, 'f-ghost', 'ghost', 'arb', 'filled', ?, '{}', 0)",
        params=(body,),
    )
    broken = _broken(booked)
    assert "fills_have_intents" in broken
    assert broken <= {"fills_have_intents", "counters_reconcile"}


def test_intent_status_disagrees_with_its_fill(booked: Ledger, db_path: Path) -> None:
    raw(db_path, "UPDATE intents SET status = 'partial' WHERE intent_id = 'i-buy'")
    assert _broken(booked) == {"fills_have_intents"}


def test_intent_marked_filled_without_a_fill(booked: Ledger, db_path: Path) -> None:
    raw(db_path, "UPDATE intents SET status = 'filled' WHERE intent_id = 'i-pending'")
    assert _broken(booked) == {"outcomes_have_fills"}


def test_realized_pnl_edited(booked: Ledger, db_path: Path) -> None:
    raw(db_path, f"UPDATE positions SET realized_pnl_usd = '999' WHERE token_id = {SOL_ID}")
    assert _broken(booked) == {"realized_pnl_reconciles"}


def test_average_entry_edited(booked: Ledger, db_path: Path) -> None:
    raw(db_path, f"UPDATE positions SET avg_entry_usd = '1' WHERE token_id = {SOL_ID}")
    assert _broken(booked) == {"avg_entry_reconciles"}


def test_stored_fill_price_edited(booked: Ledger, db_path: Path) -> None:
    raw(db_path, """UPDATE fills SET prices = '{"SOL":"1"}' WHERE fill_id = 'f-sell'""")
    assert "realized_pnl_reconciles" in _broken(booked)


def test_counter_edited(booked: Ledger, db_path: Path) -> None:
    raw(db_path, "UPDATE vault_counters SET value = '7' WHERE name = 'fills.filled'")
    assert _broken(booked) == {"counters_reconcile"}


def test_garbled_fill_body(booked: Ledger, db_path: Path) -> None:
    raw(db_path, "UPDATE fills SET body = '{' WHERE fill_id = 'f-fail'")
    assert "records_decode" in _broken(booked)


def test_fill_columns_disagree_with_body(booked: Ledger, db_path: Path) -> None:
    raw(db_path, "UPDATE fills SET status = 'failed' WHERE fill_id = 'f-buy'")
    assert "records_decode" in _broken(booked)


def test_intent_journaled_twice(booked: Ledger, db_path: Path) -> None:
    raw(
        db_path,
        "DROP INDEX intents_intent_id",
        "INSERT INTO intents (intent_id, engine, kind, status, reason, body, journaled_at)"
        " SELECT intent_id, engine, kind, status, reason, body, journaled_at FROM intents"
        " WHERE intent_id = 'i-pending'",
    )
    assert _broken(booked) == {"no_duplicate_intent"}


def test_verify_sees_a_fresh_ledger_as_ok(ledger: Ledger) -> None:
    report = ledger.verify()
    assert report.ok and report.problems == []
    assert "ok" in str(report) and ENGINE not in str(report)
