"""Booking fills: everything a fill changes commits together, and a repeat changes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from ledger_support import (
    ENGINE,
    ETH,
    FEE_LAMPORTS,
    JUP,
    SOL,
    USDC,
    USDC_ETH,
    buy_sol,
    dump,
    fee_only,
    make_fill,
    make_intent,
)

from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, FillStatus
from phantom.core.token import Token
from phantom.portfolio.errors import (
    DuplicateFill,
    FillMismatch,
    InsufficientBalance,
    IntentClosed,
    MissingPrice,
    TokenConflict,
    UnknownIntent,
)
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus

PRICES = {"SOL": Decimal(100), "JUP": Decimal("0.5")}


def test_fill_updates_balances_positions_and_intent(vault: Ledger) -> None:
    intent = make_intent("i-1")
    vault.journal_intent(intent)
    fill = make_fill(intent, buy_sol(100_000_000, 1_000_000_000))
    vault.record_fill(fill, {"SOL": Decimal(100)})
    assert vault.balances(ENGINE) == {
        USDC: 900_000_000,
        SOL: 11_000_000_000 - FEE_LAMPORTS,
    }
    [sol] = vault.positions(ENGINE)
    assert sol.quantity == 11_000_000_000 - FEE_LAMPORTS
    assert sol.avg_entry_usd == Decimal(100)
    journaled = vault.intent("i-1")
    assert journaled is not None and journaled.status is IntentStatus.FILLED
    assert vault.fills() == [fill] == vault.fills(ENGINE)
    assert vault.fills("other") == []
    assert vault.verify().ok


def test_each_fill_status_marks_the_intent(vault: Ledger) -> None:
    for status in FillStatus:
        intent = make_intent(f"i-{status.value}")
        vault.journal_intent(intent)
        deltas = fee_only() if status is FillStatus.FAILED else buy_sol(1_000_000, 10_000_000)
        vault.record_fill(make_fill(intent, deltas, status=status), PRICES)
        journaled = vault.intent(intent.intent_id)
        assert journaled is not None
        assert journaled.status.value == status.value
    failed = vault.intent("i-failed")
    assert failed is not None and failed.reason == "reverted: slippage"
    summary = vault.summary(ENGINE)
    assert summary.fills_by_status == {s: 1 for s in FillStatus}
    assert vault.verify().ok


def test_duplicate_fill_id_changes_nothing(vault: Ledger, db_path: Path) -> None:
    first, second = make_intent("i-1"), make_intent("i-2")
    vault.journal_intent(first)
    vault.journal_intent(second)
    fill = make_fill(first, buy_sol(1_000_000, 10_000_000), fill_id="f-1")
    vault.record_fill(fill, PRICES)
    before = dump(db_path)
    with pytest.raises(DuplicateFill, match="f-1 is already recorded"):
        vault.record_fill(fill, PRICES)
    with pytest.raises(DuplicateFill, match="already recorded"):  # same id, other intent
        vault.record_fill(make_fill(second, fee_only(), fill_id="f-1"), PRICES)
    assert dump(db_path) == before
    assert vault.verify().ok


def test_second_fill_for_an_intent_changes_nothing(vault: Ledger, db_path: Path) -> None:
    intent = make_intent("i-1")
    vault.journal_intent(intent)
    vault.record_fill(make_fill(intent, buy_sol(1_000_000, 10_000_000), fill_id="f-1"), PRICES)
    before = dump(db_path)
    with pytest.raises(DuplicateFill, match="already has fill f-1"):
        vault.record_fill(make_fill(intent, fee_only(), fill_id="f-2"), PRICES)
    assert dump(db_path) == before


def test_refusals_change_nothing(vault: Ledger, db_path: Path) -> None:
    intent = make_intent("i-1")
    vault.journal_intent(intent)
    before = dump(db_path)
    with pytest.raises(UnknownIntent):
        vault.record_fill(make_fill(make_intent("never"), fee_only()), PRICES)
    with pytest.raises(FillMismatch, match="engine"):
        vault.record_fill(make_fill(intent, fee_only(), engine="lst"), PRICES)
    with pytest.raises(MissingPrice, match="SOL"):
        vault.record_fill(make_fill(intent, fee_only()), {"JUP": Decimal(1)})
    with pytest.raises(ValueError, match="price of SOL"):
        vault.record_fill(make_fill(intent, fee_only()), {"SOL": Decimal(-1)})
    # the SOL credit is booked before the USDC debit fails: the rollback must undo it
    overdraw = (BalanceDelta(SOL, 10), BalanceDelta(USDC, -1_000_000_001))
    with pytest.raises(InsufficientBalance, match="USDC"):
        vault.record_fill(make_fill(intent, overdraw), PRICES)
    with pytest.raises(InsufficientBalance, match="JUP"):  # a token never held
        vault.record_fill(make_fill(intent, (BalanceDelta(JUP, -1),)), PRICES)
    assert dump(db_path) == before
    journaled = vault.intent("i-1")
    assert journaled is not None and journaled.status is IntentStatus.PENDING


def test_token_conflicts_are_refused(vault: Ledger, db_path: Path) -> None:
    intent = make_intent("i-1")
    vault.journal_intent(intent)
    before = dump(db_path)
    fake_sol = Token("SOL", 6)
    with pytest.raises(TokenConflict):
        vault.record_fill(make_fill(intent, (BalanceDelta(fake_sol, 1),)), PRICES)
    with pytest.raises(TokenConflict):
        vault.record_fill(
            make_fill(intent, (BalanceDelta(SOL, 1), BalanceDelta(fake_sol, 1))), PRICES
        )
    assert dump(db_path) == before


def test_fill_for_a_rejected_or_abandoned_intent_is_refused(vault: Ledger) -> None:
    intent = make_intent("i-1")
    vault.journal_intent(intent)
    vault.resolve_intent("i-1", IntentStatus.ABANDONED, "crash")
    with pytest.raises(IntentClosed, match="abandoned"):
        vault.record_fill(make_fill(intent, fee_only()), PRICES)


def test_cash_only_fill_needs_no_price(vault: Ledger) -> None:
    intent = make_intent("i-1", token_out=USDC)
    vault.journal_intent(intent)
    vault.record_fill(make_fill(intent, (BalanceDelta(USDC, 5_000_000),)), {})
    assert vault.balances(ENGINE)[USDC] == 1_005_000_000


def test_wei_amounts_beyond_64_bits(ledger: Ledger) -> None:
    whale = 2**70  # ~1180 ETH in wei, beyond SQLite's INTEGER
    ledger.open_vault("evm", [(ETH, whale, Decimal(3000)), (USDC_ETH, 10**12, Decimal(1))])
    intent = make_intent("e-1", engine="evm", token_in=ETH, token_out=USDC_ETH, amount_in=10**18)
    ledger.journal_intent(intent)
    deltas = (
        BalanceDelta(ETH, -(10**18)),
        BalanceDelta(USDC_ETH, 3_000_000_000),
        BalanceDelta(ETH, -21_000 * 30 * 10**9),
    )
    ledger.record_fill(make_fill(intent, deltas), {"ETH": Decimal(3100)})
    expected_eth = whale - 10**18 - 21_000 * 30 * 10**9
    assert ledger.balances("evm")[ETH] == expected_eth
    summary = ledger.summary("evm")
    assert summary.gas == {ETH: expected_eth}
    [eth] = summary.positions
    assert eth.realized_pnl_usd == Decimal(100) * Decimal(10**18 + 21_000 * 30 * 10**9) / 10**18
    assert ledger.verify().ok


def test_costs_are_summed_per_vault(vault: Ledger) -> None:
    for i in range(3):
        intent = make_intent(f"i-{i}")
        vault.journal_intent(intent)
        costs = CostBreakdown(fee=Decimal("0.1"), mev=Decimal("0.05"), tip=Decimal("0.001"))
        vault.record_fill(make_fill(intent, fee_only(), costs=costs), PRICES)
    costs = vault.summary(ENGINE).costs
    assert (costs.fee, costs.mev, costs.tip) == (Decimal("0.3"), Decimal("0.15"), Decimal("0.003"))
    assert costs.slippage == 0
    assert vault.verify().ok


def test_a_repeat_is_a_duplicate_whatever_its_prices(vault: Ledger) -> None:
    intent = make_intent("i-1")
    vault.journal_intent(intent)
    fill = make_fill(intent, fee_only())
    vault.record_fill(fill, PRICES)
    with pytest.raises(DuplicateFill):
        vault.record_fill(fill, {})
