"""Builders for the portfolio tests: tokens, intents and fills with realistic deltas."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from phantom.core.costs import CostBreakdown
from phantom.core.fills import BalanceDelta, Fill, FillStatus
from phantom.core.orders import IntentKind, OrderIntent, Route, SwapLeg
from phantom.core.token import Token

USDC = Token("USDC", 6, address="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
SOL = Token("SOL", 9)
JUP = Token("JUP", 6)
ETH = Token("ETH", 18, chain="ethereum")
USDC_ETH = Token("USDC", 6, chain="ethereum", address="0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")

ENGINE = "arb"
FEE_LAMPORTS = 15_000


def make_intent(
    intent_id: str,
    engine: str = ENGINE,
    token_in: Token = USDC,
    token_out: Token = SOL,
    amount_in: int = 100_000_000,
    kind: IntentKind = IntentKind.SWAP,
) -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        engine=engine,
        kind=kind,
        created_at=1_700_000_000.25,
        legs=(SwapLeg("pool-1", token_in, token_out),),
        amount_in=amount_in,
        min_amount_out=1,
        expected_amount_out=2,
        expected_profit_usd=Decimal("0.42"),
        expected_costs=CostBreakdown(fee=Decimal("0.3"), gas=Decimal("0.002")),
        notional_usd=Decimal("100"),
        slippage_bps=50,
        route=Route.PUBLIC,
        reason="test",
        tags=("t",),
    )


def make_fill(
    intent: OrderIntent,
    deltas: tuple[BalanceDelta, ...],
    fill_id: str | None = None,
    status: FillStatus = FillStatus.FILLED,
    costs: CostBreakdown | None = None,
    engine: str | None = None,
) -> Fill:
    return Fill(
        fill_id=fill_id if fill_id is not None else f"fill-{intent.intent_id}",
        intent_id=intent.intent_id,
        engine=engine if engine is not None else intent.engine,
        status=status,
        route=intent.route,
        sent_at=intent.created_at,
        arrived_at=intent.created_at + 0.4,
        amount_in=intent.amount_in,
        amount_out=sum(d.amount for d in deltas if d.amount > 0),
        deltas=deltas,
        costs=costs
        if costs is not None
        else CostBreakdown(fee=Decimal("0.3"), gas=Decimal("0.002")),
        pnl_usd=Decimal("-0.302"),
        fill_fraction=Decimal(1) if status is not FillStatus.PARTIAL else Decimal("0.5"),
        failure_reason="reverted: slippage" if status is FillStatus.FAILED else "",
    )


def buy_sol(usdc_units: int, sol_units: int, fee: int = FEE_LAMPORTS) -> tuple[BalanceDelta, ...]:
    return (
        BalanceDelta(USDC, -usdc_units),
        BalanceDelta(SOL, sol_units),
        BalanceDelta(SOL, -fee),
    )


def sell_sol(sol_units: int, usdc_units: int, fee: int = FEE_LAMPORTS) -> tuple[BalanceDelta, ...]:
    return (
        BalanceDelta(SOL, -sol_units),
        BalanceDelta(USDC, usdc_units),
        BalanceDelta(SOL, -fee),
    )


def fee_only(fee: int = FEE_LAMPORTS) -> tuple[BalanceDelta, ...]:
    return (BalanceDelta(SOL, -fee),)


def dump(path: Path) -> list[tuple[object, ...]]:
    """Every row of every table, for 'nothing changed' assertions."""
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        rows: list[tuple[object, ...]] = []
        for table in tables:
            rows.extend((table, *r) for r in con.execute(f"SELECT * FROM {table} ORDER BY 1, 2"))
        return rows
    finally:
        con.close()


def raw(path: Path, *statements: str, params: tuple[object, ...] = ()) -> None:
    """Corrupt the database behind the ledger's back (foreign keys off, as sqlite3 defaults)."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            con.execute(sql, params if "?" in sql else ())
    finally:
        con.close()
