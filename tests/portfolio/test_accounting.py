"""Position accounting: average entry, realized PnL, fees in the native token, summaries."""

from __future__ import annotations

from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_support import ENGINE, FEE_LAMPORTS, JUP, SOL, USDC, fee_only, make_fill, make_intent

from phantom.core.fills import BalanceDelta, FillStatus
from phantom.core.token import Token
from phantom.portfolio.accounting import ACCOUNTING, EMPTY_HOLDING, apply_change, net_deltas
from phantom.portfolio.errors import InsufficientBalance, MissingPrice
from phantom.portfolio.ledger import Ledger
from phantom.portfolio.models import IntentStatus

ONE_SOL = 1_000_000_000
USDT = Token("USDT", 6)


def _trade(
    ledger: Ledger, intent_id: str, deltas: tuple[BalanceDelta, ...], sol_price: str
) -> None:
    intent = make_intent(intent_id)
    ledger.journal_intent(intent)
    ledger.record_fill(make_fill(intent, deltas), {"SOL": Decimal(sol_price), "JUP": Decimal(1)})


def _sol(ledger: Ledger) -> tuple[int, Decimal, Decimal]:
    [pos] = [p for p in ledger.positions(ENGINE) if p.token == SOL]
    return pos.quantity, pos.avg_entry_usd, pos.realized_pnl_usd


def test_average_entry_and_realized_pnl(vault: Ledger) -> None:
    # start: 10 SOL at 100
    _trade(vault, "buy", (BalanceDelta(USDC, -200_000_000), BalanceDelta(SOL, 10 * ONE_SOL)), "200")
    assert _sol(vault) == (20 * ONE_SOL, Decimal(150), Decimal(0))
    _trade(vault, "sell", (BalanceDelta(SOL, -5 * ONE_SOL), BalanceDelta(USDC, 90_000_000)), "180")
    assert _sol(vault) == (15 * ONE_SOL, Decimal(150), Decimal(150))  # (180 - 150) * 5
    _trade(vault, "close", (BalanceDelta(SOL, -15 * ONE_SOL), BalanceDelta(USDC, 1)), "140")
    assert _sol(vault) == (0, Decimal(0), Decimal(0))  # 150 + (140 - 150) * 15; avg resets
    _trade(vault, "reopen", (BalanceDelta(USDC, -1), BalanceDelta(SOL, ONE_SOL)), "90")
    assert _sol(vault) == (ONE_SOL, Decimal(90), Decimal(0))
    assert vault.verify().ok


def test_native_fee_reduces_the_position_and_realizes_at_the_fill_price(vault: Ledger) -> None:
    intent = make_intent("f-1")
    vault.journal_intent(intent)
    failed = make_fill(intent, fee_only(), status=FillStatus.FAILED)
    vault.record_fill(failed, {"SOL": Decimal(120)})
    qty, avg, realized = _sol(vault)
    assert qty == 10 * ONE_SOL - FEE_LAMPORTS
    assert avg == Decimal(100)
    assert realized == Decimal(20) * FEE_LAMPORTS / ONE_SOL  # (120 - 100) * 0.000015
    assert vault.intent("f-1") is not None
    assert vault.verify().ok


def test_deltas_net_per_token_within_a_fill(vault: Ledger) -> None:
    # buying 1 SOL and paying a SOL fee in the same transaction is one buy of the net amount
    deltas = (
        BalanceDelta(USDC, -120_000_000),
        BalanceDelta(SOL, ONE_SOL),
        BalanceDelta(SOL, -FEE_LAMPORTS),
    )
    _trade(vault, "net", deltas, "120")
    qty, avg, realized = _sol(vault)
    assert qty == 11 * ONE_SOL - FEE_LAMPORTS
    with localcontext(ACCOUNTING):  # the ledger's own 40-digit context
        expected = (Decimal(100) * 10 * ONE_SOL + Decimal(120) * (ONE_SOL - FEE_LAMPORTS)) / qty
    assert avg == expected
    assert realized == 0
    assert net_deltas(deltas) == [(USDC, -120_000_000), (SOL, ONE_SOL - FEE_LAMPORTS)]
    assert net_deltas((BalanceDelta(SOL, 5), BalanceDelta(SOL, -5))) == []


def test_apply_change_refuses_selling_more_than_held() -> None:
    held = apply_change(EMPTY_HOLDING, SOL, 10, Decimal(1))
    with pytest.raises(InsufficientBalance):
        apply_change(held, SOL, -11, Decimal(1))
    assert apply_change(held, SOL, 0, Decimal(5)) == held


def test_results_do_not_depend_on_the_callers_decimal_context(tmp_path: Path) -> None:
    def run(path: Path, prec: int) -> tuple[int, Decimal, Decimal]:
        with Ledger(path) as led, localcontext() as ctx:
            ctx.prec = prec
            led.open_vault(ENGINE, [(USDC, 10**9, Decimal(1)), (SOL, 7 * ONE_SOL, Decimal("97.3"))])
            buy = (BalanceDelta(USDC, -3), BalanceDelta(SOL, 3 * ONE_SOL + 1))
            _trade(led, "a", buy, "101.7")
            _trade(led, "b", (BalanceDelta(SOL, -ONE_SOL - 7), BalanceDelta(USDC, 1)), "99.9")
            assert led.verify().ok
            return _sol(led)

    assert run(tmp_path / "a.sqlite", 3) == run(tmp_path / "b.sqlite", 28)


def test_summary_cash_gas_positions_and_pnl(vault: Ledger) -> None:
    vault.deposit(ENGINE, USDT, 500_000_000, Decimal(1))
    jup = (BalanceDelta(USDC, -100_000_000), BalanceDelta(JUP, 200_000_000))
    intent = make_intent("jup", token_out=JUP)
    vault.journal_intent(intent)
    vault.record_fill(
        make_fill(intent, (*jup, *fee_only())), {"SOL": Decimal(100), "JUP": Decimal("0.5")}
    )
    vault.journal_intent(make_intent("pending"))
    summary = vault.summary(ENGINE)
    assert summary.cash == {USDC: 900_000_000, USDT: 500_000_000}
    assert summary.cash_usd == Decimal(1400)
    assert summary.gas == {SOL: 10 * ONE_SOL - FEE_LAMPORTS}
    assert [p.token for p in summary.positions] == [JUP, SOL]
    assert summary.deposited_usd == Decimal(2500)  # 1000 USDC + 10 SOL * 100 + 500 USDT
    assert summary.realized_pnl_usd == 0
    assert summary.fills_by_status[FillStatus.FILLED] == 1 and summary.fills_total == 1
    assert summary.intents_by_status == {IntentStatus.FILLED: 1, IntentStatus.PENDING: 1}
    marks = {"SOL": Decimal(110), "JUP": Decimal("0.6")}
    sol_left = Decimal(10 * ONE_SOL - FEE_LAMPORTS) / ONE_SOL
    assert summary.unrealized_pnl_usd(marks) == Decimal(10) * sol_left + Decimal(20)
    equity = Decimal(1400) + Decimal(110) * sol_left + Decimal(120)
    assert summary.equity_usd(marks) == equity
    assert summary.total_pnl_usd(marks) == equity - Decimal(2500)
    with pytest.raises(MissingPrice, match="JUP"):
        summary.equity_usd({"SOL": Decimal(1)})
    text = summary.render()
    assert "vault arb" in text and "JUP" in text and "pending 1" in text


def test_closed_positions_need_no_mark(vault: Ledger) -> None:
    _trade(vault, "all", (BalanceDelta(SOL, -10 * ONE_SOL), BalanceDelta(USDC, 1)), "100")
    summary = vault.summary(ENGINE)
    assert summary.gas == {}
    assert summary.unrealized_pnl_usd({}) == 0
    assert summary.positions[0].is_open is False


def test_cash_symbols_are_configurable(tmp_path: Path) -> None:
    with Ledger(tmp_path / "c.sqlite", cash_symbols={"USDC"}) as led:
        led.open_vault(ENGINE, [(USDT, 5_000_000, Decimal("0.999"))])
        [usdt] = led.positions(ENGINE)
        assert (usdt.token, usdt.avg_entry_usd) == (USDT, Decimal("0.999"))
        assert led.summary(ENGINE).cash_usd == 0
        assert led.verify().ok


trades = st.lists(
    st.tuples(
        st.integers(-3 * ONE_SOL, 3 * ONE_SOL),  # SOL change before the fee
        st.integers(0, 50_000),  # fee in lamports
        st.decimals(min_value=1, max_value=1000, places=4),  # SOL price
        st.sampled_from(FillStatus),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trades)
def test_random_trades_book_what_verify_replays(
    tmp_path_factory: pytest.TempPathFactory, trades: list[tuple[int, int, Decimal, FillStatus]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "ledger.sqlite"
    with Ledger(path) as led:
        led.open_vault(ENGINE, [(USDC, 10**12, Decimal(1)), (SOL, 5 * ONE_SOL, Decimal(100))])
        expected = 5 * ONE_SOL
        for i, (change, fee, price, status) in enumerate(trades):
            sol = change if status is not FillStatus.FAILED else 0
            deltas = (
                BalanceDelta(USDC, -sol // 10),
                BalanceDelta(SOL, sol),
                BalanceDelta(SOL, -fee),
            )
            intent = make_intent(f"p-{i}")
            led.journal_intent(intent)
            fill = make_fill(intent, deltas, status=status)
            if expected + sol - fee < 0:
                with pytest.raises(InsufficientBalance):
                    led.record_fill(fill, {"SOL": price})
                led.resolve_intent(intent.intent_id, IntentStatus.REJECTED, "would overdraw")
                continue
            led.record_fill(fill, {"SOL": price})
            expected += sol - fee
        assert led.balances(ENGINE).get(SOL, 0) == expected
        report = led.verify()
        assert report.ok, str(report)
