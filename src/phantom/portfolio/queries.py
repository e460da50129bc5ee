"""Read-side queries: balances, positions, deposits, journaled intents, fills, vault summaries."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal

from phantom.core.costs import COST_KINDS, CostBreakdown
from phantom.core.fills import Fill, FillStatus
from phantom.core.token import Token
from phantom.portfolio.accounting import (
    ZERO,
    add_usd,
    costs_counter,
    fills_counter,
    usd_value,
)
from phantom.portfolio.codec import dec_dec, dec_int, fill_from_json, intent_from_json
from phantom.portfolio.models import (
    Deposit,
    IntentStatus,
    JournaledIntent,
    Position,
    VaultSummary,
)
from phantom.portfolio.store import (
    TOKEN_COLUMNS,
    counter_decimal,
    counter_int,
    get_counters,
    require_vault,
    token_from_row,
)

ONE_USD = Decimal(1)  # cash tokens are valued at par


def balances(conn: sqlite3.Connection, engine: str) -> dict[Token, int]:
    """Non-zero balances of a vault, ordered by (chain, symbol)."""
    require_vault(conn, engine)
    rows = conn.execute(
        f"SELECT {TOKEN_COLUMNS}, b.amount FROM balances b JOIN tokens t ON t.id = b.token_id"
        " WHERE b.engine = ? ORDER BY t.chain, t.symbol",
        (engine,),
    ).fetchall()
    out: dict[Token, int] = {}
    for symbol, decimals, chain, address, amount in rows:
        units = dec_int(amount, f"balance of {engine}/{symbol}")
        if units:
            out[token_from_row(symbol, decimals, chain, address)] = units
    return out


def positions(conn: sqlite3.Connection, engine: str) -> list[Position]:
    """Every non-cash position of a vault, closed ones included, ordered by (chain, symbol)."""
    require_vault(conn, engine)
    rows = conn.execute(
        f"SELECT {TOKEN_COLUMNS}, p.quantity, p.avg_entry_usd, p.realized_pnl_usd"
        " FROM positions p JOIN tokens t ON t.id = p.token_id"
        " WHERE p.engine = ? ORDER BY t.chain, t.symbol",
        (engine,),
    ).fetchall()
    out: list[Position] = []
    for symbol, decimals, chain, address, qty, avg, realized in rows:
        what = f"position {engine}/{symbol}"
        out.append(
            Position(
                token=token_from_row(symbol, decimals, chain, address),
                quantity=dec_int(qty, what),
                avg_entry_usd=dec_dec(avg, what),
                realized_pnl_usd=dec_dec(realized, what),
            )
        )
    return out


def deposits(conn: sqlite3.Connection, engine: str) -> list[Deposit]:
    require_vault(conn, engine)
    rows = conn.execute(
        f"SELECT d.seq, {TOKEN_COLUMNS}, d.amount, d.price_usd"
        " FROM deposits d JOIN tokens t ON t.id = d.token_id WHERE d.engine = ? ORDER BY d.seq",
        (engine,),
    ).fetchall()
    return [
        Deposit(
            seq=int(seq),
            engine=engine,
            token=token_from_row(symbol, decimals, chain, address),
            amount=dec_int(amount, f"deposit {seq}"),
            price_usd=dec_dec(price, f"deposit {seq}"),
        )
        for seq, symbol, decimals, chain, address, amount, price in rows
    ]


def _journaled(row: tuple[str, str, str, float, float | None]) -> JournaledIntent:
    body, status, reason, journaled_at, resolved_at = row
    return JournaledIntent(
        intent=intent_from_json(body),
        status=IntentStatus(status),
        journaled_at=float(journaled_at),
        resolved_at=None if resolved_at is None else float(resolved_at),
        reason=reason,
    )


_INTENT_COLUMNS = "body, status, reason, journaled_at, resolved_at"


def intent(conn: sqlite3.Connection, intent_id: str) -> JournaledIntent | None:
    row = conn.execute(
        f"SELECT {_INTENT_COLUMNS} FROM intents WHERE intent_id = ?", (intent_id,)
    ).fetchone()
    return None if row is None else _journaled(row)


def intents(
    conn: sqlite3.Connection, engine: str | None = None, status: IntentStatus | None = None
) -> list[JournaledIntent]:
    """Journaled intents in journal order, optionally of one engine and/or one status."""
    where: list[str] = []
    params: list[str] = []
    if engine is not None:
        where.append("engine = ?")
        params.append(engine)
    if status is not None:
        where.append("status = ?")
        params.append(IntentStatus(status).value)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(
        f"SELECT {_INTENT_COLUMNS} FROM intents{clause} ORDER BY seq", params
    ).fetchall()
    return [_journaled(r) for r in rows]


def fills(conn: sqlite3.Connection, engine: str | None = None) -> list[Fill]:
    """Decoded fills in the order they were recorded."""
    if engine is None:
        rows = conn.execute("SELECT body FROM fills ORDER BY seq").fetchall()
    else:
        rows = conn.execute(
            "SELECT body FROM fills WHERE engine = ? ORDER BY seq", (engine,)
        ).fetchall()
    return [fill_from_json(r[0]) for r in rows]


def summary(
    conn: sqlite3.Connection,
    engine: str,
    is_cash: Callable[[Token], bool],
    is_native: Callable[[Token], bool],
) -> VaultSummary:
    held = balances(conn, engine)
    cash = {t: units for t, units in held.items() if is_cash(t)}
    cash_usd = ZERO
    for token, units in cash.items():
        cash_usd = add_usd(cash_usd, usd_value(token, units, ONE_USD))
    deposited = ZERO
    for dep in deposits(conn, engine):
        deposited = add_usd(deposited, dep.value_usd)
    pos = tuple(positions(conn, engine))
    realized = ZERO
    for p in pos:
        realized = add_usd(realized, p.realized_pnl_usd)
    counters = get_counters(conn, engine)
    by_status = conn.execute(
        "SELECT status, COUNT(*) FROM intents WHERE engine = ? GROUP BY status", (engine,)
    ).fetchall()
    return VaultSummary(
        engine=engine,
        cash=cash,
        cash_usd=cash_usd,
        gas={t: units for t, units in held.items() if is_native(t)},
        positions=pos,
        realized_pnl_usd=realized,
        deposited_usd=deposited,
        fills_by_status={s: counter_int(counters, fills_counter(s)) for s in FillStatus},
        intents_by_status={IntentStatus(s): int(n) for s, n in by_status},
        costs=CostBreakdown(**{k: counter_decimal(counters, costs_counter(k)) for k in COST_KINDS}),
    )
